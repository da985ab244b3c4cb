// RabbitMQ tutorial 5, "Topics": emit_log_topic.js and receive_logs_topic.js as one program.
// Four receivers bind the tutorial's patterns ("#", "kern.*", "*.critical", and both of the
// last two); four messages are emitted. Only the import differs (amqplib → switchyard), and
// receiveLogsTopic() returns its queue's name for the runner.
//   node examples/tutorials/5-topics.mjs
import amqp from "switchyard";
import { drained } from "./drained.mjs";

// --- receive_logs_topic.js --------------------------------------------------------------------
async function receiveLogsTopic(...bindingKeys) {
  const connection = await amqp.connect("amqp://localhost");
  process.once("SIGINT", async () => {
    await connection.close();
  });

  const channel = await connection.createChannel();
  const exchange = "topic_logs";
  await channel.assertExchange(exchange, "topic", { durable: false });
  const { queue } = await channel.assertQueue("", { exclusive: true });
  for (const bindingKey of bindingKeys) {
    await channel.bindQueue(queue, exchange, bindingKey);
  }

  await channel.consume(queue, (message) => {
    if (message) console.log(" [x] %s:'%s'", message.fields.routingKey, message.content.toString());
  }, { noAck: true });

  console.log(" [*] Waiting for logs. To exit press CTRL+C");
  return queue;
}

// --- emit_log_topic.js ------------------------------------------------------------------------
async function emitLogTopic(...argv) {
  const key = argv.length > 0 ? argv[0] : "anonymous.info";
  const text = argv.slice(1).join(" ") || "Hello World!";
  const connection = await amqp.connect("amqp://localhost");
  try {
    const channel = await connection.createChannel();
    const exchange = "topic_logs";
    await channel.assertExchange(exchange, "topic", { durable: false });
    channel.publish(exchange, key, Buffer.from(text));
    console.log(" [x] Sent %s:'%s'", key, text);
    await channel.close();
  } finally {
    await connection.close();
  }
}

// --- running both (not part of the tutorial) --------------------------------------------------

const queues = [
  await receiveLogsTopic("#"),
  await receiveLogsTopic("kern.*"),
  await receiveLogsTopic("*.critical"),
  await receiveLogsTopic("kern.*", "*.critical"),
];
await emitLogTopic("kern.critical", "A critical kernel error");
await emitLogTopic();
await emitLogTopic("kern.info", "Kernel up");
await emitLogTopic("cron.critical", "Cron is down");
await drained(...queues);
process.emit("SIGINT");
