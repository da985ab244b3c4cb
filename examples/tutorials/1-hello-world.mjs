// RabbitMQ tutorial 1, "Hello World!": send.js and receive.js as one program.
// switchyard's default bus in Node lives in this process, so the two programs of the tutorial
// run here as two functions, each with its own connection, written as the tutorial's files are;
// the only change is the import (amqplib → switchyard). This version sends ten messages.
//   node examples/tutorials/1-hello-world.mjs
import amqp from "switchyard";
import { drained } from "./drained.mjs";

// --- receive.js -------------------------------------------------------------------------------
async function receive() {
  const connection = await amqp.connect("amqp://localhost");
  process.once("SIGINT", async () => {
    await connection.close();
  });

  const channel = await connection.createChannel();
  const queue = "hello";
  await channel.assertQueue(queue, { durable: false });

  await channel.consume(queue, (message) => {
    if (message) console.log(" [x] Received '%s'", message.content.toString());
  }, { noAck: true });

  console.log(" [*] Waiting for messages. To exit press CTRL+C");
}

// --- send.js ----------------------------------------------------------------------------------
async function send() {
  const connection = await amqp.connect("amqp://localhost");
  try {
    const channel = await connection.createChannel();
    const queue = "hello";
    await channel.assertQueue(queue, { durable: false });

    for (let i = 0; i < 10; i++) {
      const text = `Hello World ${i}`;
      channel.sendToQueue(queue, Buffer.from(text));
      console.log(" [x] Sent '%s'", text);
    }
    await channel.close();
  } finally {
    await connection.close();
  }
}

// --- running both (not part of the tutorial) --------------------------------------------------
// Start the consumer, run the producer, wait until the queue is drained, then stop the consumer
// the way Ctrl+C would. switchyard's stats() tells when nothing is left to print.

await receive();
await send();
await drained("hello");
process.emit("SIGINT");
