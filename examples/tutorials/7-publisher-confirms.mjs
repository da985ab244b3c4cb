// RabbitMQ tutorial 7, "Publisher Confirms", in JavaScript: the tutorial's three strategies —
// wait for each confirm, wait per batch, handle confirms asynchronously — each timed over the
// same number of messages into a fresh queue. Only the import differs from amqplib.
//   node examples/tutorials/7-publisher-confirms.mjs [messageCount]   (default 50,000, as in the tutorial)
import { randomUUID } from "node:crypto";
import amqp from "switchyard";

const MESSAGE_COUNT = parseInt(process.argv[2] ?? "50000", 10);
const count = MESSAGE_COUNT.toLocaleString("en-US");

async function createConnection() {
  return amqp.connect("amqp://localhost");
}

async function publishMessagesIndividually() {
  const connection = await createConnection();
  try {
    const channel = await connection.createConfirmChannel();
    const queue = randomUUID();
    await channel.assertQueue(queue, { durable: false, exclusive: false, autoDelete: true });

    const start = Date.now();
    for (let i = 0; i < MESSAGE_COUNT; i++) {
      channel.sendToQueue(queue, Buffer.from(String(i)));
      await channel.waitForConfirms();
    }
    const elapsed = Date.now() - start;
    console.log("Published %s messages individually in %s ms", count, elapsed.toLocaleString("en-US"));
  } finally {
    await connection.close();
  }
}

async function publishMessagesInBatch() {
  const connection = await createConnection();
  try {
    const channel = await connection.createConfirmChannel();
    const queue = randomUUID();
    await channel.assertQueue(queue, { durable: false, exclusive: false, autoDelete: true });

    const batchSize = 100;
    let outstandingMessageCount = 0;
    const start = Date.now();
    for (let i = 0; i < MESSAGE_COUNT; i++) {
      channel.sendToQueue(queue, Buffer.from(String(i)));
      outstandingMessageCount++;
      if (outstandingMessageCount === batchSize) {
        await channel.waitForConfirms();
        outstandingMessageCount = 0;
      }
    }
    if (outstandingMessageCount > 0) {
      await channel.waitForConfirms();
    }
    const elapsed = Date.now() - start;
    console.log("Published %s messages in batch in %s ms", count, elapsed.toLocaleString("en-US"));
  } finally {
    await connection.close();
  }
}

async function handlePublishConfirmsAsynchronously() {
  const connection = await createConnection();
  try {
    const channel = await connection.createConfirmChannel();
    const queue = randomUUID();
    await channel.assertQueue(queue, { durable: false, exclusive: false, autoDelete: true });

    const outstandingConfirms = new Map();
    let nacked = 0;
    let settle;
    const allConfirmed = new Promise((resolve) => (settle = resolve));
    const confirmCallback = (sequenceNumber) => (err) => {
      const body = outstandingConfirms.get(sequenceNumber);
      outstandingConfirms.delete(sequenceNumber);
      if (err) {
        nacked++;
        console.error("Message with body %s has been nack-ed. Sequence number: %d", body, sequenceNumber);
      }
      if (outstandingConfirms.size === 0) settle(); // confirms arrive after the loop below

    };

    const start = Date.now();
    for (let i = 0; i < MESSAGE_COUNT; i++) {
      const body = String(i);
      outstandingConfirms.set(i + 1, body);
      channel.sendToQueue(queue, Buffer.from(body), {}, confirmCallback(i + 1));
    }
    await allConfirmed;
    const elapsed = Date.now() - start;
    console.log("Published %s messages and handled confirms asynchronously in %s ms", count, elapsed.toLocaleString("en-US"));
    if (nacked > 0) process.exitCode = 1;
  } finally {
    await connection.close();
  }
}

await publishMessagesIndividually();
await publishMessagesInBatch();
await handlePublishConfirmsAsynchronously();
