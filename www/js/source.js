// What the views read, and how often: the bus's topology, its queues' counters and the contexts
// (tabs, workers) connected to it. On the origin-wide bus all three are asked of the leader, which
// may be another tab, so a declaration or a consumer in any tab or worker shows up here.

const TOPOLOGY_MS = 200;
const SAMPLE_MS = 250;
const CONTEXTS_MS = 500;

export class BusSource {
  #conn;
  #version = -1;
  #contextsKey = "";
  #topology = null;
  #contexts = [];
  #timers = [];
  #handlers = {};

  constructor(conn) {
    this.#conn = conn;
    const { scope } = conn.linkState();
    this.title = `bus “${conn.bus}” · ${scope === "origin" ? "shared by this origin’s tabs and workers" : "in this page"}`;
  }

  /** The last topology and contexts seen. */
  get topology() {
    return this.#topology;
  }

  get contexts() {
    return this.#contexts;
  }

  /**
   * Calls onTopology(topology) when its `version` changes (anything declared, deleted, bound,
   * consumed or cancelled, in any context), onContexts(contexts) when the contexts or their
   * consumers change, and onSample(time, stats, leaderId) every 250 ms (leaderId: the leader
   * that answered, as far as this context knows; its counters start over after a failover).
   */
  watch(handlers) {
    this.#handlers = handlers;
    // One request of each kind at a time: during a failover they wait for the new leader.
    const poll = (ms, ask) => {
      let asking = false;
      const tick = async () => {
        if (asking) return;
        asking = true;
        try {
          await ask();
        } catch {
          // The connection is closing (the page is going away): nothing to draw.
        } finally {
          asking = false;
        }
      };
      tick();
      this.#timers.push(setInterval(tick, ms));
    };
    poll(TOPOLOGY_MS, async () => {
      const topology = await this.#conn.topology();
      if (topology.version === this.#version) return;
      this.#version = topology.version;
      this.#topology = topology;
      handlers.onTopology(topology);
    });
    poll(CONTEXTS_MS, () => this.refreshContexts());
    poll(SAMPLE_MS, async () => {
      const stats = await this.#conn.stats();
      handlers.onSample(performance.now(), stats, this.#conn.linkState().leaderId);
    });
  }

  /** Asks for the contexts now (e.g. when a consumer of this tab starts or stops). */
  async refreshContexts() {
    const contexts = await this.#conn.contexts();
    const key = JSON.stringify(contexts);
    if (key === this.#contextsKey) return;
    this.#contextsKey = key;
    this.#contexts = contexts;
    this.#handlers.onContexts?.(contexts);
  }

  /** Every consumer on the bus: [{ id, label, queue, where, mine }]. mine(contextId, tag) tells whose. */
  consumers(nameOf, mine) {
    return this.#contexts.flatMap((c) =>
      c.consumers.map((x) => ({ id: `${c.id} ${x.consumerTag}`, label: x.consumerTag, queue: x.queue, where: nameOf(c), mine: mine(c.id, x.consumerTag) })),
    );
  }

  stop() {
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
  }
}
