// RabbitMQ tutorial 3, "Publish/Subscribe": emit_log.js and receive_logs.js as one program.
// Two receivers (as from two shells) each bind a server-named queue to the "logs" fanout
// exchange; one log message reaches both. Only the import differs (amqplib → switchyard), and
// receiveLogs() returns its queue's name so the runner below can tell when it was consumed.
//   node examples/tutorials/3-publish-subscribe.mjs
import amqp from "switchyard";
import { drained } from "./drained.mjs";

// --- receive_logs.js --------------------------------------------------------------------------
async function receiveLogs() {
  const connection = await amqp.connect("amqp://localhost");
  process.once("SIGINT", async () => {
    await connection.close();
  });

  const channel = await connection.createChannel();
  const exchange = "logs";
  await channel.assertExchange(exchange, "fanout", { durable: false });
  const { queue } = await channel.assertQueue("", { exclusive: true });
  await channel.bindQueue(queue, exchange, "");

  await channel.consume(queue, (message) => {
    if (message) console.log(" [x] '%s'", message.content.toString());
  }, { noAck: true });

  console.log(" [*] Waiting for logs. To exit press CTRL+C");
  return queue;
}

// --- emit_log.js ------------------------------------------------------------------------------
async function emitLog(...argv) {
  const connection = await amqp.connect("amqp://localhost");
  try {
    const channel = await connection.createChannel();
    const exchange = "logs";
    const text = argv.join(" ") || "info: Hello World!";
    await channel.assertExchange(exchange, "fanout", { durable: false });
    channel.publish(exchange, "", Buffer.from(text));
    console.log(" [x] Sent '%s'", text);
    await channel.close();
  } finally {
    await connection.close();
  }
}

// --- running both (not part of the tutorial) --------------------------------------------------

const queues = [await receiveLogs(), await receiveLogs()];
await emitLog();
await drained(...queues);
process.emit("SIGINT");
