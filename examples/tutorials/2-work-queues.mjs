// RabbitMQ tutorial 2, "Work Queues": new_task.js and worker.js as one program.
// Two workers share the "task_queue"; five tasks are sent as the tutorial does from five shells
// (`new_task.js First message.` … `new_task.js Fifth message.....`). Each dot is a second of work,
// so this takes about nine seconds. Only the import differs from the tutorial (amqplib → switchyard).
//   node examples/tutorials/2-work-queues.mjs
import amqp from "switchyard";
import { drained } from "./drained.mjs";

// --- worker.js --------------------------------------------------------------------------------
async function worker() {
  const connection = await amqp.connect("amqp://localhost");
  process.once("SIGINT", async () => {
    await connection.close();
  });

  const channel = await connection.createChannel();
  const queue = "task_queue";
  await channel.assertQueue(queue, { durable: true });
  await channel.prefetch(1);

  await channel.consume(queue, (message) => {
    const content = message.content.toString();
    const secs = content.split(".").length - 1;
    console.log(" [x] Received '%s'", content);
    setTimeout(() => {
      console.log(" [x] Done");
      channel.ack(message);
    }, secs * 1000);
  }, { noAck: false });

  console.log(" [*] Waiting for messages. To exit press CTRL+C");
}

// --- new_task.js ------------------------------------------------------------------------------
async function newTask(...argv) {
  const connection = await amqp.connect("amqp://localhost");
  try {
    const channel = await connection.createChannel();
    const queue = "task_queue";
    const text = argv.join(" ") || "Hello World!";
    await channel.assertQueue(queue, { durable: true });
    channel.sendToQueue(queue, Buffer.from(text), { persistent: true });
    console.log(" [x] Sent '%s'", text);
    await channel.close();
  } finally {
    await connection.close();
  }
}

// --- running both (not part of the tutorial) --------------------------------------------------

await worker();
await worker();
await newTask("First", "message.");
await newTask("Second", "message..");
await newTask("Third", "message...");
await newTask("Fourth", "message....");
await newTask("Fifth", "message.....");
await drained("task_queue");
process.emit("SIGINT");
