// What the views read, and how often.
//
// Today the source is this page's connection: every connect() in one JavaScript realm shares one
// broker. The origin-wide bus (scope: "origin", its own issue) will add the contexts on the bus
// (tabs, workers), which one leads, and the consumers each holds. It will be another object of
// this shape: topology(), stats(), consumers() and the two callbacks of watch(). The views below
// (diagram, metrics, consumers) only read this shape, so they do not change when it lands.

const TOPOLOGY_MS = 200;
const SAMPLE_MS = 250;

export class LocalSource {
  #conn;
  #consumers;
  #version = -1;
  #timers = [];
  #onTopology = () => {};

  /** `consumers` lists the consumers this page runs (see consumers.js). */
  constructor(conn, consumers) {
    this.#conn = conn;
    this.#consumers = consumers;
    this.title = `bus “${conn.bus}” · in this page`;
  }

  topology() {
    return this.#conn.topology();
  }

  stats() {
    return this.#conn.stats();
  }

  /** [{ id, label, queue, where }] — today every consumer is in this page. */
  consumers() {
    return this.#consumers.list().map((c) => ({ id: c.id, label: c.label, queue: c.queue, where: "this page", stopped: c.stopped }));
  }

  /**
   * Calls onTopology(topology) when `version` changes (anything declared, deleted, bound,
   * consumed or cancelled), and onSample(time, stats) every 250 ms.
   */
  watch({ onTopology, onSample }) {
    this.#onTopology = onTopology;
    // Both are asked of the bus's leader, which may be another tab: one request at a time each.
    let asking = false;
    const pollTopology = async () => {
      if (asking) return;
      asking = true;
      try {
        const topology = await this.#conn.topology();
        if (topology.version === this.#version) return;
        this.#version = topology.version;
        onTopology(topology);
      } finally {
        asking = false;
      }
    };
    let sampling = false;
    const sample = async () => {
      if (sampling) return;
      sampling = true;
      try {
        onSample(performance.now(), await this.#conn.stats());
      } finally {
        sampling = false;
      }
    };
    pollTopology();
    this.#timers.push(setInterval(pollTopology, TOPOLOGY_MS));
    this.#timers.push(setInterval(sample, SAMPLE_MS));
  }

  /** Redraws now, e.g. when a consumer of this page changes in a way the broker cannot see. */
  async refresh() {
    this.#onTopology(await this.#conn.topology());
  }

  stop() {
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
  }
}
