// RabbitMQ tutorial 4, "Routing": emit_log_direct.js and receive_logs_direct.js as one program.
// One receiver binds "warning" and "error" (the tutorial's "save to file" one), another binds
// "info", "warning" and "error"; then an info, a warning and an error are emitted. Only the import
// differs (amqplib → switchyard), and receiveLogsDirect() returns its queue's name for the runner.
//   node examples/tutorials/4-routing.mjs
import amqp from "switchyard";
import { drained } from "./drained.mjs";

// --- receive_logs_direct.js -------------------------------------------------------------------
async function receiveLogsDirect(...severities) {
  const connection = await amqp.connect("amqp://localhost");
  process.once("SIGINT", async () => {
    await connection.close();
  });

  const channel = await connection.createChannel();
  const exchange = "direct_logs";
  await channel.assertExchange(exchange, "direct", { durable: false });
  const { queue } = await channel.assertQueue("", { exclusive: true });
  for (const severity of severities) {
    await channel.bindQueue(queue, exchange, severity);
  }

  await channel.consume(queue, (message) => {
    if (message) console.log(" [x] %s:'%s'", message.fields.routingKey, message.content.toString());
  }, { noAck: true });

  console.log(" [*] Waiting for logs. To exit press CTRL+C");
  return queue;
}

// --- emit_log_direct.js -----------------------------------------------------------------------
async function emitLogDirect(...argv) {
  const severity = argv.length > 0 ? argv[0] : "info";
  const text = argv.slice(1).join(" ") || "Hello World!";
  const connection = await amqp.connect("amqp://localhost");
  try {
    const channel = await connection.createChannel();
    const exchange = "direct_logs";
    await channel.assertExchange(exchange, "direct", { durable: false });
    channel.publish(exchange, severity, Buffer.from(text));
    console.log(" [x] Sent %s:'%s'", severity, text);
    await channel.close();
  } finally {
    await connection.close();
  }
}

// --- running both (not part of the tutorial) --------------------------------------------------

const queues = [
  await receiveLogsDirect("warning", "error"),
  await receiveLogsDirect("info", "warning", "error"),
];
await emitLogDirect("info", "Hello World!");
await emitLogDirect("warning", "Disk almost full");
await emitLogDirect("error", "Run. Run. Or it will explode.");
await drained(...queues);
process.emit("SIGINT");
