// Workload 2 of bench/cross.mjs, in a page or a worker: one side sends N small messages, the
// other receives them, over switchyard's origin bus or a platform/library channel. `deps`:
// { connect, BroadcastChannelLib (the npm broadcast-channel package's class), postal (postal 3's
// module), createBroadcastChannelTransport (postal-transport-broadcastchannel's), postalPort()
// (resolves to postal-transport-messageport's Transport between the page and its worker) }.
//
// receive(cell) resolves once N messages arrived: { ms (first send to last arrival, using the
// sender's timestamps), latencies (ms, one per message: arrival − send time, on the shared
// clock performance.timeOrigin + performance.now()) }. send(cell) sends them: "burst" all in
// one task, or "paced" one per setTimeout(0) (for latency without queueing).
const now = () => performance.timeOrigin + performance.now();

let port; // a MessageChannel port handed over by the page (main → worker only)
export const setPort = (p) => (port = p);

// One endpoint per implementation: open(name) → { post(msg), onmessage(fn), close() }.
function endpoints(deps) {
  return {
    async switchyard(name) {
      const conn = await deps.connect(`switchyard://${name}`, { storage: "memory" });
      const ch = await conn.createChannel();
      await ch.assertQueue("cross", { durable: false });
      return {
        post: (m) => ch.sendToQueue("cross", m.body, { headers: { t: m.t, i: m.i } }),
        onmessage: (fn) => ch.consume("cross", (msg) => fn(msg.properties.headers), { noAck: true }),
        close: () => conn.close(),
      };
    },
    async BroadcastChannel(name) {
      const bc = new BroadcastChannel(name);
      return { post: (m) => bc.postMessage(m), onmessage: (fn) => (bc.onmessage = (e) => fn(e.data)), close: () => bc.close() };
    },
    async MessageChannel() {
      const p = port;
      p.start?.();
      return { post: (m) => p.postMessage(m), onmessage: (fn) => (p.onmessage = (e) => fn(e.data)), close: () => {} };
    },
    async "broadcast-channel (idb)"(name) {
      const bc = new deps.BroadcastChannelLib(name, { type: "idb" });
      return { post: (m) => bc.postMessage(m), onmessage: (fn) => (bc.onmessage = fn), close: () => bc.close() };
    },
    async "postal 3 + BroadcastChannel transport"(name) {
      const transport = deps.createBroadcastChannelTransport(name);
      return postalEnd(deps.postal, name, deps.postal.addTransport(transport, { filter: { channels: [name] } }));
    },
    async "postal 3 + MessagePort transport"(name) {
      const transport = await deps.postalPort();
      return postalEnd(deps.postal, name, deps.postal.addTransport(transport, { filter: { channels: [name] } }));
    },
    async "broadcast-channel (native)"(name) {
      const bc = new deps.BroadcastChannelLib(name, { type: "native" });
      return { post: (m) => bc.postMessage(m), onmessage: (fn) => (bc.onmessage = fn), close: () => bc.close() };
    },
  };
}

// postal 3's bus is one per context (a singleton); a transport added to it forwards the
// publishes of the channels in its filter. Closing removes (and disposes) the transport.
function postalEnd(postal, name, removeTransport) {
  const channel = postal.getChannel(name);
  let unsubscribe = () => {};
  return {
    post: (m) => channel.publish("cross", m),
    onmessage: (fn) => (unsubscribe = channel.subscribe("cross", (envelope) => fn(envelope.payload))),
    close: () => {
      unsubscribe();
      removeTransport();
      channel.dispose();
    },
  };
}

export function createAgent(deps) {
  const open = endpoints(deps);
  const ends = new Map();
  return {
    /** Opens (and keeps) the endpoint of `impl` on channel/bus `name`. */
    async open({ impl, name }) {
      if (!ends.has(impl + name)) ends.set(impl + name, await open[impl](name));
      return true;
    },
    async receive({ impl, name, n }) {
      const end = ends.get(impl + name);
      const latencies = [];
      let first = Infinity;
      return new Promise((resolve) => {
        end.onmessage((m) => {
          const t = now();
          latencies.push(t - m.t);
          if (m.t < first) first = m.t;
          if (latencies.length === n) resolve({ ms: t - first, latencies });
        });
      });
    },
    async send({ impl, name, n, paced }) {
      const end = ends.get(impl + name);
      const body = new Uint8Array(16);
      for (let i = 0; i < n; i++) {
        end.post({ t: now(), i, body });
        if (paced) await new Promise((r) => setTimeout(r, 0));
      }
      return true;
    },
    async closeAll() {
      for (const end of ends.values()) await end.close();
      ends.clear();
      return true;
    },
  };
}
