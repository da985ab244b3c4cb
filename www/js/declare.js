// Declaring by hand: an exchange, a queue (with the arguments the presets use), a binding (a key,
// or header matches for a headers exchange). Values go to switchyard as typed.
import { h, $, parseLines } from "./dom.js";

const numberish = (v) => (v !== "" && !Number.isNaN(Number(v)) ? Number(v) : v);
const q = JSON.stringify;

export class Declare {
  #root;
  #channel;
  #types = new Map();

  constructor(root, { channel }) {
    this.#root = root;
    this.#channel = channel;
    const on = (selector, fn) =>
      $(selector, root).addEventListener("submit", (e) => {
        e.preventDefault();
        fn(e.target.elements).catch(() => {});
      });

    on("form.declare-exchange", (f) => {
      const [name, type] = [f.name.value.trim(), f.type.value];
      return this.#channel.run(`ch.assertExchange(${q(name)}, ${q(type)})`, (ch) => ch.assertExchange(name, type));
    });

    on("form.declare-queue", (f) => {
      const name = f.name.value.trim();
      const options = { durable: f.durable.checked };
      for (const k of ["messageTtl", "deadLetterExchange", "maxLength", "maxPriority"]) {
        const v = f[k].value.trim();
        if (v !== "") options[k] = k === "deadLetterExchange" ? v : numberish(v);
      }
      const shown = Object.entries(options).map(([k, v]) => `${k}: ${q(v)}`).join(", ");
      return this.#channel.run(`ch.assertQueue(${q(name)}, { ${shown} })`, (ch) => ch.assertQueue(name, options));
    });

    on("form.declare-binding", async (f) => {
      const [source, queue, key] = [f.source.value, f.queue.value, f.key.value.trim()];
      const headers = this.#types.get(source) === "headers";
      const args = headers ? parseLines(f.match.value, "header match") : undefined;
      const op = `ch.bindQueue(${q(queue)}, ${q(source)}, ${q(key)}${args ? `, ${JSON.stringify(args)}` : ""})`;
      return this.#channel.run(op, (ch) => ch.bindQueue(queue, source, key, args));
    });
    $("form.declare-binding select[name=source]", root).addEventListener("change", () => this.#syncBinding());
  }

  /** Keeps the binding form's menus in step with the topology. */
  setChoices(topology) {
    this.#types = new Map(topology.exchanges.map((x) => [x.name, x.type]));
    const fill = (select, names) => {
      const current = select.value;
      select.replaceChildren(...names.map((n) => h("option", { value: n }, n)));
      if (names.includes(current)) select.value = current;
    };
    const f = $("form.declare-binding", this.#root).elements;
    fill(f.source, topology.exchanges.map((x) => x.name).filter((n) => n !== ""));
    fill(f.queue, topology.queues.map((x) => x.name));
    this.#syncBinding();
  }

  #syncBinding() {
    const form = $("form.declare-binding", this.#root);
    form.classList.toggle("headers", this.#types.get(form.elements.source.value) === "headers");
  }
}
