// One participant of an origin-wide bus, driven by named commands (tests/browser/classic.spec.mjs):
// the same code in a tab (classic.html, with the package's ESM browser entry) and in a classic
// service worker (classic-sw.js, with `switchyard/classic`). A classic script, so that the
// service worker can importScripts() it; it defines self.classicAgent(switchyard, label), whose
// call(cmd, args) runs one of the commands below. Bodies are strings sent as UTF-8 bytes; a
// consumer acks every delivery and keeps [body, redelivered] for each.
(() => {
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();

  const commands = {
    /** connect("switchyard://BUS") and a confirm channel; answers the link state. */
    async connect(a, { bus }) {
      a.conn = await a.sy.connect(`switchyard://${bus}`);
      a.conn.on("error", (e) => a.events.push(`connection error ${e?.code} ${e?.message}`));
      a.ch = await a.conn.createConfirmChannel();
      a.ch.on("error", (e) => a.events.push(`channel error ${e?.code} ${e?.message}`));
      return a.conn.linkState();
    },
    async declare(a, { queues }) {
      for (const queue of queues) await a.ch.assertQueue(queue);
      return queues.length;
    },
    /** Persistent publishes, answered once every one is confirmed. */
    async publish(a, { queue, bodies }) {
      for (const body of bodies) a.ch.sendToQueue(queue, encoder.encode(body), { persistent: true });
      await a.ch.waitForConfirms();
      return bodies.length;
    },
    /** A consumer on a channel of its own, prefetch `prefetch`, acking each delivery. */
    async consume(a, { queue, prefetch = 10 }) {
      const ch = await a.conn.createChannel();
      ch.on("error", (e) => a.events.push(`consumer channel error ${e?.code} ${e?.message}`));
      await ch.prefetch(prefetch);
      const got = (a.received[queue] ??= []);
      const { consumerTag } = await ch.consume(queue, (msg) => {
        got.push([decoder.decode(msg.content), msg.fields.redelivered]);
        ch.ack(msg);
      });
      return consumerTag;
    },
    received: async (a, { queue }) => a.received[queue] ?? [],
    stats: (a) => a.conn.stats(),
    /** The contexts on the bus as [kind, consumers], the leader first. */
    contexts: async (a) => (await a.conn.contexts()).map((c) => [c.kind, c.consumers?.length ?? 0]),
    events: async (a) => a.events,
    async close(a) {
      await a.conn.close();
      return true;
    },
  };

  self.classicAgent = (sy, label) => {
    const agent = { sy, label, conn: null, ch: null, received: {}, events: [] };
    return {
      call(cmd, args = {}) {
        const command = commands[cmd];
        if (!command) return Promise.reject(new Error(`agent ${label}: unknown command '${cmd}'`));
        return command(agent, args);
      },
    };
  };
})();
