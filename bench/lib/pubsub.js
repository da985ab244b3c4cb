// Workload 1, in-process topic pub/sub: one publisher, 10 consumers of which 3 match every
// message, counted in the consumer callbacks until every expected delivery arrived. The same
// module runs in Node (bench/pubsub.mjs) and in a page (bench/pages/pubsub.html); the caller
// hands in switchyard's `connect` and the alternatives (lib/alternatives.js).
//
// Modes: "exact" — every message has the key "orders.created"; 3 consumers subscribe to it, 7 to
// other keys. "wildcard" — keys rotate over 100 keys "orders.eu<j>.created"; 3 consumers match
// them with `*` and `#` patterns, 7 don't. `extra` adds that many non-matching bindings
// (subscriptions) besides, to show how routing cost grows with their number.

const BODY = new Uint8Array(16).fill(0x78);
const MODES = {
  exact: {
    keys: ["orders.created"],
    match: ["orders.created", "orders.created", "orders.created"],
    other: ["users.created", "orders.deleted", "billing.paid", "audit.log", "orders.updated", "users.deleted", "cart.emptied"],
    extra: (i) => `extra${i}.created`,
  },
  wildcard: {
    keys: Array.from({ length: 100 }, (_, j) => `orders.eu${j}.created`),
    match: ["orders.*.created", "orders.#", "#.created"],
    other: ["users.*.created", "orders.*.deleted", "billing.#", "#.updated", "audit.*.*", "orders.*.created.x", "*.us.created"],
    extra: (i) => `extra${i}.*.created`,
  },
};

/** AMQP topic matching: `*` is one word, `#` zero or more (for the hand-written dispatch). */
export function topicMatches(pattern, key) {
  const p = pattern.split(".");
  const k = key.split(".");
  const at = (i, j) => {
    if (i === p.length) return j === k.length;
    if (p[i] === "#") return at(i + 1, j) || (j < k.length && at(i, j + 1));
    return j < k.length && (p[i] === "*" || p[i] === k[j]) && at(i + 1, j + 1);
  };
  return at(0, 0);
}

// Each implementation: setup(patterns, handler) → { publish(key, body), close() }; `patterns`
// is one list per consumer (its bindings), `handler` counts deliveries.
const noop = () => {};
export const IMPLEMENTATIONS = {
  // The limit: a Map from key to handlers; for patterns, the matching handlers of a key are
  // computed once, on its first publish, and cached.
  "Map dispatch": { async setup(patterns, handler, _deps, mode) {
    const entries = patterns.flatMap((ps) => ps.map((p) => [p, handler]));
    const byKey = new Map();
    if (mode === "exact") for (const [p, h] of entries) byKey.set(p, [...(byKey.get(p) ?? []), h]);
    const resolve = (key) => {
      const hs = entries.filter(([p]) => topicMatches(p, key)).map(([, h]) => h);
      byKey.set(key, hs);
      return hs;
    };
    return {
      publish(key, body) {
        const hs = byKey.get(key) ?? (mode === "exact" ? [] : resolve(key));
        for (let i = 0; i < hs.length; i++) hs[i](body);
      },
      close() {},
    };
  } },
  mitt: { exactOnly: true, async setup(patterns, handler, { mitt }) {
    const emitter = mitt();
    for (const ps of patterns) for (const p of ps) emitter.on(p, handler);
    return { publish: (key, body) => emitter.emit(key, body), close: () => emitter.all.clear() };
  } },
  // maxExtra: at 100,000 bindings postal 2's first publish of each wildcard key and postal 3's
  // every publish (it visits every subscription) take minutes; those cells are not run.
  "postal 2": { maxExtra: 10_000, async setup(patterns, handler, { postal2 }) {
    const channel = postal2.channel("bench");
    for (const ps of patterns) for (const p of ps) channel.subscribe(p, handler);
    // Not postal2.reset(): it unsubscribes one by one, quadratic in the subscriptions (minutes
    // at 100,000). Dropping them as reset() finally does is enough between cells.
    const close = () => {
      postal2.subscriptions = {};
      postal2.cache = {};
      postal2.configuration.resolver.reset();
    };
    return { publish: (key, body) => channel.publish(key, body), close };
  } },
  "postal 3": { maxExtra: 10_000, async setup(patterns, handler, { postal3 }) {
    const channel = postal3.getChannel("bench");
    for (const ps of patterns) for (const p of ps) channel.subscribe(p, handler);
    return { publish: (key, body) => channel.publish(key, body), close: () => postal3.resetChannels() };
  } },
  "switchyard, no-ack": { async setup(patterns, handler, deps) {
    return switchyard(patterns, handler, deps, false);
  } },
  "switchyard, manual ack": { async setup(patterns, handler, deps) {
    return switchyard(patterns, handler, deps, true);
  } },
};

let buses = 0;
// A topic exchange and one exclusive queue per consumer, bound with its patterns, consumed
// with noAck or acknowledged one by one in the callback.
async function switchyard(patterns, handler, { connect }, ack) {
  const conn = await connect(`switchyard://bench-pubsub-${++buses}`, { scope: "local", storage: "memory" });
  const ch = await conn.createChannel();
  await ch.assertExchange("x", "topic", { durable: false });
  const onMessage = ack ? (msg) => (handler(msg), ch.ack(msg)) : handler;
  for (const ps of patterns) {
    const { queue } = await ch.assertQueue("", { exclusive: true });
    for (const p of ps) await ch.bindQueue(queue, "x", p);
    await ch.consume(queue, onMessage, { noAck: !ack });
  }
  return { publish: (key, body) => ch.publish("x", key, body), close: () => conn.close() };
}

/**
 * The consumers' bindings for a mode: 3 matching consumers, 7 others, and `extra` more
 * non-matching bindings spread over the 7.
 */
function bindings(mode, extra) {
  const m = MODES[mode];
  const others = m.other.map((p) => [p]);
  for (let i = 0; i < extra; i++) others[i % others.length].push(m.extra(i));
  return [...m.match.map((p) => [p]), ...others];
}

/**
 * Sets one implementation up, then publishes `n` messages `runs` times (after a warm-up that also
 * sizes n down so that a slow cell's run stays near `budgetMs`). Resolves to
 * { n, setupMs, rates: [deliveries/s per run] }, null when the implementation has no such mode,
 * or { skipped: true } past its maxExtra.
 */
export async function runCell({ impl, mode, extra = 0, n, runs, budgetMs = 2000 }, deps) {
  const implementation = IMPLEMENTATIONS[impl];
  if (implementation.exactOnly && mode !== "exact") return null;
  if (extra > (implementation.maxExtra ?? Infinity)) return { skipped: true };
  const matching = MODES[mode].match.length;
  const keys = MODES[mode].keys;
  let count = 0;
  let expected = Infinity;
  let done = noop;
  const handler = () => {
    if (++count === expected) done();
  };
  const setupStart = performance.now();
  const bus = await implementation.setup(bindings(mode, extra), handler, deps, mode);
  const setupMs = performance.now() - setupStart;
  const once = async (messages) => {
    count = 0;
    expected = messages * matching;
    const arrived = new Promise((resolve) => (done = resolve));
    const t0 = performance.now();
    for (let i = 0; i < messages; i++) bus.publish(keys[i % keys.length], BODY);
    if (count !== expected) await arrived;
    return performance.now() - t0;
  };
  try {
    // The first pass publishes each key once (filling whatever an implementation caches per
    // key); the second times 10 messages to size n.
    await once(Math.min(n, keys.length));
    const probe = Math.min(n, 10);
    const probeMs = await once(probe);
    const sized = Math.max(probe, Math.min(n, Math.floor((probe * budgetMs) / Math.max(probeMs, 0.001))));
    const rates = [];
    for (let r = 0; r < runs; r++) rates.push((sized * matching) / ((await once(sized)) / 1000));
    return { n: sized, setupMs, rates };
  } finally {
    await bus.close();
  }
}
