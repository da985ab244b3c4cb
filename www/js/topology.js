// The topology as a diagram laid out by hand in SVG: exchanges in the left column, queues in the
// middle, the consumers of every tab and worker on the right (this tab's own highlighted);
// bindings are edges labelled with their keys (or the header match), dead-lettering is a red edge
// from a queue back to its exchange. Redrawn when the topology's `version` changes (a declaration
// or a consumer in any tab or worker); the depth bars inside the queues follow every stats sample.
import { s, ellipsize, $ } from "./dom.js";
import { Inspector, bindingText, exchangeLabel } from "./inspector.js";

const EX_H = 38;
const Q_H = 42;
const GAP = 14;
const PILL_H = 20;
const PILL_GAP = 4;
const PAD = 12;
const CHAR_W = 7.1; // 12px monospace
const LABEL_CHAR_W = 6.4; // 11px monospace

const isBuiltin = (name) => name === "" || name.startsWith("amq.");
const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));

function bezier(p0, p1, p2, p3, t) {
  const u = 1 - t;
  return [
    u * u * u * p0[0] + 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t * t * t * p3[0],
    u * u * u * p0[1] + 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t * t * t * p3[1],
  ];
}

export class TopologyView {
  #root;
  #box;
  #inspector;
  #topology;
  #consumers = [];
  #selected = null;
  #queueNodes = new Map();
  #width = 0;
  #lastStats = [];
  showAmq = false;
  showDefault = false;

  /** actions: { deleteExchange, deleteQueue, purgeQueue, unbind } — for the inspector's buttons. */
  constructor(root, actions) {
    this.#root = root;
    this.#box = $(".diagram", root);
    this.#inspector = new Inspector($(".inspector", root), actions, () => this.#select(null));
    $("#show-amq", root).addEventListener("change", (e) => {
      this.showAmq = e.target.checked;
      this.#draw();
    });
    $("#show-default", root).addEventListener("change", (e) => {
      this.showDefault = e.target.checked;
      this.#draw();
    });
    new ResizeObserver(() => {
      if (this.#box.clientWidth !== this.#width) this.#draw();
    }).observe(this.#box);
  }

  /** Redraws for a new topology and the consumers the source knows of. */
  render(topology, consumers) {
    this.#topology = topology;
    this.#consumers = consumers.filter((c) => !c.stopped);
    if (this.#selected && !this.#stillThere(this.#selected)) this.#selected = null;
    this.#draw();
  }

  /** Depth bars and counts inside the queue nodes, from one stats sample. */
  live(stats) {
    this.#lastStats = stats;
    const scale = Math.max(10, ...stats.map((st) => st.messages + st.unacked));
    for (const st of stats) {
      const node = this.#queueNodes.get(st.queue);
      if (!node) continue;
      node.ready.setAttribute("width", ((st.messages / scale) * node.barW).toFixed(1));
      node.unacked.setAttribute("x", (node.barX + (st.messages / scale) * node.barW).toFixed(1));
      node.unacked.setAttribute("width", ((st.unacked / scale) * node.barW).toFixed(1));
      const text = `${st.messages} ready · ${st.unacked} unacked`;
      if (node.counts.textContent !== text) {
        node.counts.textContent = text;
        // Squeeze rather than overflow a narrow node.
        node.counts.removeAttribute("textLength");
        if (node.counts.getComputedTextLength() > node.barW) {
          node.counts.setAttribute("lengthAdjust", "spacingAndGlyphs");
          node.counts.setAttribute("textLength", node.barW);
        }
      }
    }
  }

  #stillThere(sel) {
    const t = this.#topology;
    if (sel.kind === "exchange") return t.exchanges.some((x) => x.name === sel.name);
    if (sel.kind === "queue") return t.queues.some((q) => q.name === sel.name);
    return sel.bindings.every((b) => t.bindings.some((x) => x.source === b.source && x.destination === b.destination && x.key === b.key));
  }

  #draw() {
    this.#width = this.#box.clientWidth;
    const t = this.#topology;
    if (!t) return;
    const svg = this.#layout(t, Math.max(300, this.#width));
    this.#box.replaceChildren(svg);
    this.live(this.#lastStats);
    this.#inspector.show(this.#selected);
  }

  #layout(t, W) {
    const exByName = new Map(t.exchanges.map((x) => [x.name, x]));
    const queueNames = t.queues.map((q) => q.name);
    const toQueue = t.bindings.filter((b) => b.destinationType === "queue");
    const toExchange = t.bindings.filter((b) => b.destinationType === "exchange");
    const dlx = t.queues
      .filter((q) => typeof q.arguments?.["x-dead-letter-exchange"] === "string" && exByName.has(q.arguments["x-dead-letter-exchange"]))
      .map((q) => ({ queue: q.name, exchange: q.arguments["x-dead-letter-exchange"], key: q.arguments["x-dead-letter-routing-key"] }));
    const alternates = t.exchanges
      .filter((x) => typeof x.arguments?.["alternate-exchange"] === "string" && exByName.has(x.arguments["alternate-exchange"]))
      .map((x) => ({ source: x.name, destination: x.arguments["alternate-exchange"] }));

    const used = new Set([...t.bindings.map((b) => b.source), ...toExchange.map((b) => b.destination), ...dlx.map((d) => d.exchange), ...alternates.flatMap((a) => [a.source, a.destination])]);
    // The default exchange reaches every queue by name. Drawn to the queues that have no other
    // binding (how a work queue or RPC is reached), or to all with the toggle.
    const explicitTargets = new Set(toQueue.map((b) => b.destination));
    const implicitTo = queueNames.filter((q) => this.showDefault || !explicitTargets.has(q));
    const exchanges = t.exchanges
      .filter((x) => !isBuiltin(x.name) || this.showAmq || used.has(x.name) || (x.name === "" && implicitTo.length > 0))
      .map((x) => x.name);

    // Bindings between one exchange and one queue share an edge, labelled with every key.
    const edges = new Map();
    for (const b of toQueue) {
      if (!exchanges.includes(b.source)) continue;
      const id = `${b.source}\u0000${b.destination}`;
      if (!edges.has(id)) edges.set(id, { source: b.source, destination: b.destination, bindings: [], implicit: false });
      edges.get(id).bindings.push(b);
    }
    for (const e of edges.values()) e.bindings.sort((a, b) => a.key.localeCompare(b.key));
    if (exchanges.includes("")) {
      for (const q of implicitTo) {
        edges.set(`\u0000${q}`, { source: "", destination: q, bindings: [{ source: "", destination: q, destinationType: "queue", key: q, arguments: {} }], implicit: true });
      }
    }

    // Order both columns by the mean position of their neighbours (fewer crossings). The default
    // exchange's implicit edges count only for queues with no other binding.
    const weighty = [...edges.values()].filter((e) => !e.implicit || !explicitTargets.has(e.destination));
    let exOrder = [...exchanges].sort((a, b) => isBuiltin(a) - isBuiltin(b) || (a === "" ? 1 : 0) - (b === "" ? 1 : 0) || a.localeCompare(b));
    let qOrder = [...queueNames].sort();
    const byMean = (items, pos, neighbours) => {
      const mean = new Map(items.map((it) => {
        const ps = neighbours(it).map((n) => pos.get(n)).filter((p) => p !== undefined);
        return [it, ps.length ? ps.reduce((a, b) => a + b, 0) / ps.length : Infinity];
      }));
      return [...items].sort((a, b) => mean.get(a) - mean.get(b) || items.indexOf(a) - items.indexOf(b));
    };
    for (let pass = 0; pass < 2; pass++) {
      const exPos = new Map(exOrder.map((x, i) => [x, i]));
      qOrder = byMean(qOrder, exPos, (q) => weighty.filter((e) => e.destination === q).map((e) => e.source));
      const qPos = new Map(qOrder.map((q, i) => [q, i]));
      exOrder = byMean(exOrder, qPos, (x) => weighty.filter((e) => e.source === x).map((e) => e.destination));
    }

    // Columns.
    const narrow = W < 520;
    const consumersOf = (q) => this.#consumers.filter((c) => c.queue === q);
    const hasConsumers = !narrow && this.#consumers.length > 0;
    const lanes = dlx.length;
    const left = Math.max(toExchange.length || alternates.length ? 40 : 0, lanes ? 8 + lanes * 9 : 0);
    const longest = Math.max(0, ...this.#consumers.map((c) => c.label.length));
    const cw = hasConsumers ? clamp(longest * 6.4 + 22, 48, Math.min(180, W * 0.3)) : 0;
    const gapC = hasConsumers ? 30 + lanes * 9 : lanes ? 8 + lanes * 9 : 0;
    const nodeW = clamp(W * (narrow ? 0.32 : 0.25), 96, 184);
    const xEx = PAD + left;
    const xQ = W - PAD - cw - gapC - nodeW;
    const xC = W - PAD - cw;

    const slot = (q) => (hasConsumers ? Math.max(Q_H, consumersOf(q).length * (PILL_H + PILL_GAP) - PILL_GAP) : Q_H);
    const exH = exOrder.length * EX_H + Math.max(0, exOrder.length - 1) * GAP;
    const qH = qOrder.reduce((a, q) => a + slot(q), 0) + Math.max(0, qOrder.length - 1) * GAP;
    const bottom = lanes ? 10 + lanes * 16 : 0;
    const H = Math.max(exH, qH, 120) + 2 * PAD + bottom;
    const inner = H - bottom;

    const exY = new Map();
    let y = (inner - exH) / 2;
    for (const x of exOrder) {
      exY.set(x, y);
      y += EX_H + GAP;
    }
    const qY = new Map();
    y = (inner - qH) / 2;
    for (const q of qOrder) {
      qY.set(q, y + (slot(q) - Q_H) / 2);
      y += slot(q) + GAP;
    }

    const svg = s(
      "svg",
      { class: "topology-svg", width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "exchanges, bindings and queues" },
      s(
        "defs",
        {},
        s("marker", { id: "arrow", viewBox: "0 0 8 8", refX: 7, refY: 4, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, s("path", { d: "M0 0L8 4L0 8z", class: "arrow" })),
        s("marker", { id: "arrow-dlx", viewBox: "0 0 8 8", refX: 7, refY: 4, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, s("path", { d: "M0 0L8 4L0 8z", class: "arrow-dlx" })),
      ),
    );
    svg.addEventListener("click", (e) => {
      if (e.target === svg) this.#select(null);
    });
    const edgeLayer = s("g", { class: "edges" });
    const labelLayer = s("g", { class: "labels" });
    const nodeLayer = s("g", { class: "nodes" });
    svg.append(edgeLayer, nodeLayer, labelLayer);

    if (!exOrder.length && !qOrder.length) {
      svg.append(s("text", { x: W / 2, y: H / 2, class: "empty-text", "text-anchor": "middle" }, "Nothing declared yet: pick a preset above."));
      return svg;
    }

    // Where edges leave and enter nodes: spread over the node's height so they do not overlap.
    const fan = (count, i, height) => (count <= 1 ? 0 : (i - (count - 1) / 2) * Math.min(7, (height - 14) / (count - 1)));
    const edgeList = [...edges.values()].filter((e) => exY.has(e.source) && qY.has(e.destination));
    const outCount = new Map();
    const inCount = new Map();
    for (const e of edgeList) {
      outCount.set(e.source, (outCount.get(e.source) ?? 0) + 1);
      inCount.set(e.destination, (inCount.get(e.destination) ?? 0) + 1);
    }
    const sortedOut = (x) => edgeList.filter((e) => e.source === x).sort((a, b) => qY.get(a.destination) - qY.get(b.destination));
    const sortedIn = (q) => edgeList.filter((e) => e.destination === q).sort((a, b) => exY.get(a.source) - exY.get(b.source));

    // Labels: one line per key, centred on their edge, moved along it to avoid each other.
    const labels = [];
    const maxChars = Math.max(6, Math.floor((xQ - xEx - nodeW - 16) / LABEL_CHAR_W));
    const placeLabel = (lines, at, cls, title, chars = maxChars) => {
      if (!lines.length) return;
      const shown = lines.slice(0, 4).map((l) => ellipsize(l, chars));
      if (lines.length > 4) shown[3] = `+${lines.length - 3} more`;
      const w = Math.max(...shown.map((l) => l.length)) * LABEL_CHAR_W + 6;
      const hgt = shown.length * 13 + 2;
      const boxAt = ([cx, cy]) => ({ x: cx - w / 2, y: cy - hgt / 2, w, h: hgt, cx, cy });
      const free = (b) => !labels.some((o) => b.x < o.x + o.w && o.x < b.x + b.w && b.y < o.y + o.h && o.y < b.y + b.h);
      const box = at.map(boxAt).find(free) ?? boxAt(at[0]);
      labels.push(box);
      labelLayer.append(
        s(
          "text",
          { class: `edge-label ${cls}`, "text-anchor": "middle" },
          ...shown.map((l, i) => s("tspan", { x: box.cx, y: box.cy + 4 - ((shown.length - 1) * 13) / 2 + i * 13 }, l)),
          s("title", {}, title ?? lines.join("\n")),
        ),
      );
    };
    const along = (curve) => [0.5, 0.38, 0.62, 0.28, 0.72, 0.2, 0.8].map((tt) => bezier(...curve, tt));

    for (const e of edgeList) {
      const type = exByName.get(e.source)?.type;
      const i = sortedOut(e.source).indexOf(e);
      const j = sortedIn(e.destination).indexOf(e);
      const p0 = [xEx + nodeW, exY.get(e.source) + EX_H / 2 + fan(outCount.get(e.source), i, EX_H)];
      const p3 = [xQ - 2, qY.get(e.destination) + Q_H / 2 + fan(inCount.get(e.destination), j, Q_H)];
      const mid = (p0[0] + p3[0]) / 2;
      const curve = [p0, [mid, p0[1]], [mid, p3[1]], p3];
      const keys = e.implicit ? [] : e.bindings.map((b) => bindingText(b, type)).filter(Boolean);
      const text = keys.join(", ");
      const g = s(
        "g",
        {
          class: `edge${e.implicit ? " implicit" : ""}${this.#isSelected("binding", e) ? " selected" : ""}`,
          "data-source": e.source,
          "data-destination": e.destination,
          "data-keys": e.bindings.map((b) => b.key).join(" "),
          onclick: e.implicit ? undefined : () => this.#select({ kind: "binding", source: e.source, destination: e.destination, bindings: e.bindings, type }),
        },
        s("path", { class: "hit", d: `M${p0}C${curve[1]} ${curve[2]} ${p3}` }),
        s("path", { class: "line", d: `M${p0}C${curve[1]} ${curve[2]} ${p3}`, "marker-end": "url(#arrow)" }),
        s("title", {}, e.implicit ? `default exchange → ${e.destination} (routing key = queue name)` : `${exchangeLabel(e.source)} → ${e.destination}${text ? `: ${text}` : ""}`),
      );
      edgeLayer.append(g);
      placeLabel(keys, along(curve), "");
    }

    // Dead-lettering: out of the queue's right side, down to a lane below everything, left, and
    // up into its dead-letter exchange from the left. One lane each.
    dlx.forEach((d, i) => {
      if (!qY.has(d.queue) || !exY.has(d.exchange)) return;
      const r = 6;
      const x0 = xQ + nodeW;
      const y0 = qY.get(d.queue) + Q_H / 2 + 8;
      const xr = x0 + 8 + (lanes - i) * 9;
      const yl = inner + 2 + i * 16;
      const xl = xEx - 8 - (lanes - i) * 9 + 4;
      const ye = exY.get(d.exchange) + EX_H / 2 + 6;
      const path = `M${x0} ${y0}H${xr - r}Q${xr} ${y0} ${xr} ${y0 + r}V${yl - r}Q${xr} ${yl} ${xr - r} ${yl}H${xl + r}Q${xl} ${yl} ${xl} ${yl - r}V${ye + r}Q${xl} ${ye} ${xl + r} ${ye}H${xEx - 1}`;
      const title = `${d.queue} dead-letters to ${exchangeLabel(d.exchange)}${d.key ? ` with key ${d.key}` : ""}`;
      edgeLayer.append(
        s(
          "g",
          { class: "edge dlx", "data-source": d.queue, "data-destination": d.exchange },
          s("path", { class: "line", d: path, "marker-end": "url(#arrow-dlx)" }),
          s("title", {}, title),
        ),
      );
      const mid = (xl + xr) / 2;
      placeLabel([`dead-letter → ${exchangeLabel(d.exchange)}`], [[mid, yl], [mid - 60, yl], [mid + 60, yl]], "dlx", title, Math.floor((xr - xl) / LABEL_CHAR_W) - 2);
    });

    // Exchange → exchange bindings and alternate exchanges: arcs on the left.
    const arcs = [
      ...toExchange.map((b) => ({ source: b.source, destination: b.destination, text: bindingText(b, exByName.get(b.source)?.type), cls: "e2e" })),
      ...alternates.map((a) => ({ ...a, text: "alternate", cls: "alternate" })),
    ];
    for (const a of arcs) {
      if (!exY.has(a.source) || !exY.has(a.destination)) continue;
      const p0 = [xEx, exY.get(a.source) + EX_H / 2];
      const p3 = [xEx, exY.get(a.destination) + EX_H / 2];
      const bulge = xEx - 36;
      edgeLayer.append(
        s(
          "g",
          { class: `edge ${a.cls}`, "data-source": a.source, "data-destination": a.destination },
          s("path", { class: "line", d: `M${p0}C${bulge} ${p0[1]} ${bulge} ${p3[1]} ${p3}`, "marker-end": "url(#arrow)" }),
          s("title", {}, `${exchangeLabel(a.source)} → ${exchangeLabel(a.destination)}: ${a.text || "(binding)"}`),
        ),
      );
    }

    // Exchanges.
    const nameChars = Math.floor((nodeW - 16) / CHAR_W);
    for (const name of exOrder) {
      const x = exByName.get(name);
      const flags = [x.type, x.internal && "internal", x.autoDelete && "auto-delete", !x.durable && "transient"].filter(Boolean).join(" · ");
      nodeLayer.append(
        s(
          "g",
          {
            class: `node exchange${isBuiltin(name) ? " builtin" : ""}${this.#isSelected("exchange", name) ? " selected" : ""}`,
            "data-exchange": name,
            transform: `translate(${xEx},${exY.get(name)})`,
            onclick: () => this.#select({ kind: "exchange", name, data: x }),
          },
          s("rect", { width: nodeW, height: EX_H, rx: 7 }),
          s("text", { x: 9, y: 16, class: "name" }, ellipsize(exchangeLabel(name), nameChars)),
          s("text", { x: 9, y: 30, class: "sub" }, flags),
          s("title", {}, `exchange ${exchangeLabel(name)} (${flags})`),
        ),
      );
    }

    // Queues, with a bar for ready (and unacked) messages that live() keeps current.
    this.#queueNodes.clear();
    const barX = 9;
    const barW = nodeW - 18;
    for (const q of t.queues) {
      if (!qY.has(q.name)) continue;
      const args = Object.entries(q.arguments ?? {}).map(([k, v]) => `${k}=${v}`);
      const ready = s("rect", { class: "bar-ready", x: barX, y: Q_H - 7, width: 0, height: 3, rx: 1.5 });
      const unacked = s("rect", { class: "bar-unacked", x: barX, y: Q_H - 7, width: 0, height: 3, rx: 1.5 });
      const counts = s("text", { x: 9, y: 29, class: "sub" }, "");
      nodeLayer.append(
        s(
          "g",
          {
            class: `node queue${q.exclusive ? " exclusive" : ""}${this.#isSelected("queue", q.name) ? " selected" : ""}`,
            "data-queue": q.name,
            transform: `translate(${xQ},${qY.get(q.name)})`,
            onclick: () => this.#select({ kind: "queue", name: q.name, data: q }),
          },
          s("rect", { width: nodeW, height: Q_H, rx: 7 }),
          s("text", { x: 9, y: 16, class: "name" }, ellipsize(q.name, nameChars)),
          counts,
          s("rect", { class: "bar-track", x: barX, y: Q_H - 7, width: barW, height: 3, rx: 1.5 }),
          ready,
          unacked,
          s("title", {}, `queue ${q.name}${q.durable ? " · durable" : ""}${q.exclusive ? " · exclusive" : ""}${q.autoDelete ? " · auto-delete" : ""}${args.length ? `\n${args.join("\n")}` : ""}`),
        ),
      );
      this.#queueNodes.set(q.name, { ready, unacked, counts, barX, barW });
    }

    // The consumers, of every context on the bus.
    if (hasConsumers) {
      for (const q of qOrder) {
        const cs = consumersOf(q);
        const total = cs.length * (PILL_H + PILL_GAP) - PILL_GAP;
        cs.forEach((c, i) => {
          const cy = qY.get(q) + Q_H / 2 - total / 2 + i * (PILL_H + PILL_GAP);
          const p0 = [xQ + nodeW, qY.get(q) + Q_H / 2];
          const p3 = [xC - 2, cy + PILL_H / 2];
          const mid = (p0[0] + p3[0]) / 2;
          edgeLayer.append(s("path", { class: "consumer-edge", d: `M${p0}C${mid} ${p0[1]} ${mid} ${p3[1]} ${p3}` }));
          nodeLayer.append(
            s(
              "g",
              { class: `node consumer${c.mine ? " mine" : ""}`, "data-consumer": c.label, transform: `translate(${xC},${cy})` },
              s("rect", { width: cw, height: PILL_H, rx: PILL_H / 2 }),
              s("text", { x: 10, y: 14, class: "name" }, ellipsize(c.label, Math.floor((cw - 16) / 6.6))),
              s("title", {}, `${c.label} consumes ${q} (${c.where})`),
            ),
          );
        });
      }
    }
    return svg;
  }

  #isSelected(kind, what) {
    const sel = this.#selected;
    if (!sel || sel.kind !== kind) return false;
    return kind === "binding" ? sel.source === what.source && sel.destination === what.destination : sel.name === what;
  }

  #select(sel) {
    this.#selected = sel;
    this.#draw();
  }
}
