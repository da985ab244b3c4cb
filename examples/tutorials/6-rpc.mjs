// RabbitMQ tutorial 6, "RPC": rpc_server.js and rpc_client.js as one program.
// The server answers fib(n) requests on "rpc_queue"; the client asks for fib(30) with a
// server-named exclusive reply queue and a correlation id, as `rpc_client.js 30` does. Only the
// import differs (amqplib → switchyard; the correlation id comes from node:crypto, not uuid).
//   node examples/tutorials/6-rpc.mjs [n]
import { randomUUID } from "node:crypto";
import amqp from "switchyard";

// --- rpc_server.js ----------------------------------------------------------------------------
function fibonacci(n) {
  if (n === 0 || n === 1) return n;
  return fibonacci(n - 1) + fibonacci(n - 2);
}

async function rpcServer() {
  const connection = await amqp.connect("amqp://localhost");
  process.once("SIGINT", async () => {
    await connection.close();
  });

  const channel = await connection.createChannel();
  const queue = "rpc_queue";
  await channel.assertQueue(queue, { durable: false });
  await channel.prefetch(1);

  await channel.consume(queue, (message) => {
    const n = parseInt(message.content.toString(), 10);
    console.log(" [.] fib(%d)", n);
    const response = fibonacci(n);
    channel.sendToQueue(message.properties.replyTo, Buffer.from(response.toString()), {
      correlationId: message.properties.correlationId,
    });
    channel.ack(message);
  });

  console.log(" [x] Awaiting RPC requests");
}

// --- rpc_client.js ----------------------------------------------------------------------------
async function rpcClient(n) {
  const connection = await amqp.connect("amqp://localhost");
  try {
    const channel = await connection.createChannel();
    const correlationId = randomUUID();

    const requestFib = new Promise(async (resolve) => {
      const { queue: replyTo } = await channel.assertQueue("", { exclusive: true });
      await channel.consume(replyTo, (message) => {
        if (message && message.properties.correlationId === correlationId) {
          resolve(message.content.toString());
        }
      }, { noAck: true });

      console.log(" [x] Requesting fib(%d)", n);
      channel.sendToQueue("rpc_queue", Buffer.from(n.toString()), { correlationId, replyTo });
    });

    const fibN = await requestFib;
    console.log(" [.] Got %s", fibN);
  } finally {
    await connection.close();
  }
}

// --- running both (not part of the tutorial) --------------------------------------------------
const n = parseInt(process.argv[2] ?? "30", 10);
await rpcServer();
await rpcClient(n);
process.emit("SIGINT");
