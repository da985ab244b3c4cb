// RabbitMQ's tutorial patterns, one click each. A preset clears what the page declared, then runs
// its function; the page shows that function's source, which is amqplib code plus two helpers:
// consumer(queue, options) starts a consumer in this tab (or, with where: "worker", in this tab's
// dedicated worker), form(values) fills the publish form.

export const PRESETS = [
  {
    id: "work-queue",
    title: "Work queue",
    about: "One durable queue, two workers with prefetch 1: tasks are shared round-robin, and the faster worker takes more. Each acks after processing. Worker 2 runs in a dedicated Web Worker; open another tab and add consumers there too.",
    run: async ({ ch, consumer, form }) => {
      await ch.assertQueue("task_queue", { durable: true });
      await consumer("task_queue", { label: "worker 1", prefetch: 1, processMs: 400 });
      await consumer("task_queue", { label: "worker 2", prefetch: 1, processMs: 900, where: "worker" });
      form({ exchange: "", routingKey: "task_queue", persistent: true, body: "task {n}" });
    },
  },
  {
    id: "fanout",
    title: "Publish/subscribe",
    about: "A fanout exchange copies every message to each bound queue; each subscriber has its own server-named, exclusive queue.",
    run: async ({ ch, consumer, form }) => {
      await ch.assertExchange("logs", "fanout", { durable: false });
      for (const label of ["subscriber A", "subscriber B"]) {
        const { queue } = await ch.assertQueue("", { exclusive: true });
        await ch.bindQueue(queue, "logs", "");
        await consumer(queue, { label, noAck: true, processMs: 50 });
      }
      form({ exchange: "logs", routingKey: "", body: "log line {n}" });
    },
  },
  {
    id: "routing",
    title: "Routing",
    about: "A direct exchange routes by exact key: 'disk' gets only errors, 'console' gets info, warning and error. Try each key.",
    run: async ({ ch, consumer, form }) => {
      await ch.assertExchange("direct_logs", "direct", { durable: false });
      await ch.assertQueue("disk");
      await ch.bindQueue("disk", "direct_logs", "error");
      await ch.assertQueue("console");
      for (const severity of ["info", "warning", "error"]) await ch.bindQueue("console", "direct_logs", severity);
      await consumer("disk", { processMs: 100 });
      await consumer("console", { processMs: 100 });
      form({ exchange: "direct_logs", routingKey: "error", body: "disk full {n}" });
    },
  },
  {
    id: "topics",
    title: "Topics",
    about: "A topic exchange matches dotted keys: * is one word, # is zero or more. Try quick.orange.rabbit (both), lazy.pink.elephant (Q2), quick.brown.fox (none).",
    run: async ({ ch, consumer, form }) => {
      await ch.assertExchange("topic_logs", "topic", { durable: false });
      await ch.assertQueue("Q1");
      await ch.bindQueue("Q1", "topic_logs", "*.orange.*");
      await ch.assertQueue("Q2");
      await ch.bindQueue("Q2", "topic_logs", "*.*.rabbit");
      await ch.bindQueue("Q2", "topic_logs", "lazy.#");
      await consumer("Q1", { processMs: 100 });
      await consumer("Q2", { processMs: 100 });
      form({ exchange: "topic_logs", routingKey: "quick.orange.rabbit", body: "{n}" });
    },
  },
  {
    id: "rpc",
    title: "RPC",
    about: "The server consumes rpc_queue and replies to each message's replyTo with its correlationId. The form publishes with direct reply-to (amq.rabbitmq.reply-to): no reply queue is declared.",
    run: async ({ ch, consumer, form }) => {
      await ch.assertQueue("rpc_queue", { durable: false });
      await consumer("rpc_queue", { label: "RPC server", prefetch: 1, processMs: 150, reply: true });
      form({ exchange: "", routingKey: "rpc_queue", replyTo: true, body: "30" });
    },
  },
  {
    id: "retry",
    title: "Dead-letter + retry",
    about: "Half the orders fail and are rejected: they dead-letter to orders.retry, wait 2 s in orders.wait (messageTtl), expire and dead-letter back; x-death counts each trip. (A consumer can also retry with ch.nackWithDelay: “retry in 1 s”.)",
    run: async ({ ch, consumer, form }) => {
      await ch.assertExchange("orders", "direct");
      await ch.assertExchange("orders.retry", "direct");
      await ch.assertQueue("orders", { deadLetterExchange: "orders.retry" });
      await ch.bindQueue("orders", "orders", "new");
      await ch.assertQueue("orders.wait", { messageTtl: 2000, deadLetterExchange: "orders" });
      await ch.bindQueue("orders.wait", "orders.retry", "new");
      await consumer("orders", { label: "billing", prefetch: 5, processMs: 200, failPct: 50, onFail: "reject" });
      form({ exchange: "orders", routingKey: "new", body: "order {n}" });
    },
  },
];

/** A preset's function as the page shows it: its source, de-indented. */
export function sourceOf(preset) {
  const lines = preset.run.toString().split("\n");
  const indent = lines.length > 1 ? lines.at(-1).match(/^\s*/)[0].length : 0;
  return lines.map((l, i) => (i === 0 ? l : l.slice(Math.min(indent, l.match(/^\s*/)[0].length)))).join("\n");
}
