// What is selected in the diagram, with its arguments and what can be done to it: delete an
// exchange or a queue, purge a queue, unbind a binding.
import { h } from "./dom.js";

/** How the demo names an exchange: the default exchange has the empty name. */
export const exchangeLabel = (name) => (name === "" ? "(default)" : name);

/** The text of a binding: its key, or its header match for a headers exchange. */
export function bindingText(b, type) {
  if (type === "headers") {
    const { "x-match": match = "all", ...rest } = b.arguments ?? {};
    const pairs = Object.entries(rest).map(([k, v]) => `${k}=${v}`);
    return `${match}: ${pairs.join(", ") || "∅"}`;
  }
  if (type === "fanout") return "";
  return b.key === "" ? "\u2033\u2033" : b.key;
}

export class Inspector {
  /** actions: { deleteExchange, deleteQueue, purgeQueue, unbind }, each returning a promise. */
  constructor(el, actions, onDone) {
    this.el = el;
    this.actions = actions;
    this.onDone = onDone;
  }

  /** sel: null, { kind: "exchange" | "queue", name, data } or { kind: "binding", source, destination, bindings, type }. */
  show(sel) {
    const act = (label, fn, cls = "") => h("button", { type: "button", class: `small ${cls}`, onclick: () => fn().then(this.onDone, () => {}) }, label);
    const args = (o) => Object.entries(o ?? {}).map(([k, v]) => h("code", { class: "arg" }, `${k}=${JSON.stringify(v)}`));
    if (!sel) {
      this.el.replaceChildren(h("span", { class: "hint" }, "Click an exchange, a queue or a binding for details."));
    } else if (sel.kind === "exchange") {
      const x = sel.data;
      this.el.replaceChildren(
        h("span", { class: "what" }, "exchange ", h("code", {}, exchangeLabel(x.name)), ` · ${x.type}${x.durable ? " · durable" : ""}`),
        ...args(x.arguments),
        act("Delete exchange", () => this.actions.deleteExchange(x.name), "danger"),
      );
    } else if (sel.kind === "queue") {
      const q = sel.data;
      this.el.replaceChildren(
        h("span", { class: "what" }, "queue ", h("code", {}, q.name), `${q.durable ? " · durable" : ""}${q.exclusive ? " · exclusive" : ""}`),
        ...args(q.arguments),
        act("Purge", () => this.actions.purgeQueue(q.name)),
        act("Delete queue", () => this.actions.deleteQueue(q.name), "danger"),
      );
    } else {
      this.el.replaceChildren(
        h("span", { class: "what" }, "binding ", h("code", {}, exchangeLabel(sel.source)), " → ", h("code", {}, sel.destination)),
        ...sel.bindings.map((b) => act(`Unbind ${bindingText(b, sel.type) || "(fanout)"}`, () => this.actions.unbind(b), "danger")),
      );
    }
  }
}
