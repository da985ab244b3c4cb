// The demo page: one switchyard connection in this tab, loaded the way an app loads it (the
// import map in index.html maps "switchyard" to the installed package's browser entry). In a
// browser, connect("switchyard://demo") joins the origin-wide bus: every tab and worker of this
// origin that opens the demo shares one broker, run by the tab or worker that holds the leader
// lock, with durable state in IndexedDB.
import { connect, version } from "switchyard";
import { $, h } from "./dom.js";
import { ErrorPanel } from "./errors.js";
import { PageChannel } from "./channels.js";
import { BusSource } from "./source.js";
import { BusView, claimTabName, tabLock } from "./bus.js";
import { WorkerHost } from "./worker-host.js";
import { TopologyView } from "./topology.js";
import { Metrics } from "./metrics.js";
import { Consumers } from "./consumers.js";
import { Publisher } from "./publish.js";
import { Declare } from "./declare.js";
import { PRESETS, sourceOf } from "./presets.js";
import { Ledger } from "./ledger.js";

const BUS = "switchyard://demo";
const q = JSON.stringify;
const status = $("#status");
const errors = new ErrorPanel($("#errors"));

// The bus labels a tab with its title: "tab 2 · switchyard demo".
const name = await claimTabName();
document.title = `${name} · switchyard demo`;

let conn;
try {
  conn = await connect(BUS);
} catch (err) {
  errors.report(err, `connect(${q(BUS)})`);
  status.textContent = "could not connect";
  throw err;
}
$("#version").textContent = `v${version()}`; // the wasm is loaded once connect() resolves

const page = new PageChannel(conn, errors);
await page.open();

const metrics = new Metrics($("#metrics .metrics-list"));
const source = new BusSource(conn);
const bus = new BusView($("#bus"), { conn, name, errors });
const ledger = new Ledger($("#bus .ledger"), { prefix: conn.linkState().contextId ?? String(Math.random()).slice(2) });
const owner = tabLock(name);
const hosts = {
  worker: new WorkerHost({ kind: "worker", name: `${name} worker`, bus: BUS, errors, onReady: (id) => bus.roster.own(id, `${name} worker`) }),
  shared: new WorkerHost({ kind: "shared", name: "shared worker", bus: BUS, errors, owner }),
  service: new WorkerHost({ kind: "service", name: "service worker", bus: BUS, errors, owner }),
};
const consumers = new Consumers($("#consumers"), { conn, errors, metrics, name, hosts, ledger: ledger.report, onChange: () => source.refreshContexts().catch(() => {}) });
const publisher = new Publisher($("#publish"), { channel: page, ledger });
const declare = new Declare($("#declare"), { channel: page });
const diagram = new TopologyView($("#topology"), {
  deleteExchange: (name) => page.run(`ch.deleteExchange(${q(name)})`, (ch) => ch.deleteExchange(name)),
  deleteQueue: (name) => page.run(`ch.deleteQueue(${q(name)})`, (ch) => ch.deleteQueue(name)).then((ok) => ledger.discarded(ok.messageCount)),
  purgeQueue: (name) => page.run(`ch.purgeQueue(${q(name)})`, (ch) => ch.purgeQueue(name)).then((ok) => ledger.discarded(ok.messageCount)),
  unbind: (b) => page.run(`ch.unbindQueue(${q(b.destination)}, ${q(b.source)}, ${q(b.key)})`, (ch) => ch.unbindQueue(b.destination, b.source, b.key, b.arguments)),
});

const redraw = () => source.topology && diagram.render(source.topology, source.consumers(bus.nameOf, bus.mine));
source.watch({
  onTopology(topology) {
    redraw();
    publisher.setChoices(topology);
    declare.setChoices(topology);
    consumers.setQueues(topology.queues.map((x) => x.name));
  },
  onContexts(contexts) {
    bus.setContexts(contexts);
    redraw();
  },
  onSample(time, stats, leaderId) {
    metrics.sample(time, stats, leaderId);
    ledger.sample(time, stats, source.topology);
    diagram.live(stats);
    bus.sample(stats);
  },
});
status.textContent = source.title;

// ----- presets ---------------------------------------------------------------------------

/**
 * Clears the bus, so a preset starts from the built-in exchanges: this tab's consumers stop, and
 * other tabs' consumers are cancelled with their queues.
 */
async function reset(ch) {
  publisher.stopLoad();
  publisher.clearReplies();
  await consumers.removeAll();
  const t = await conn.topology();
  for (const x of t.queues) await ch.deleteQueue(x.name);
  for (const x of t.exchanges) if (x.name !== "" && !x.name.startsWith("amq.")) await ch.deleteExchange(x.name);
  metrics.reset();
}

const presetInfo = $("#preset-info");
let running = false;
for (const preset of PRESETS) {
  const button = h("button", { type: "button", class: "preset", "data-preset": preset.id }, preset.title);
  button.addEventListener("click", async () => {
    if (running) return;
    running = true;
    document.body.dataset.preset = "";
    for (const b of document.querySelectorAll("button.preset")) b.classList.toggle("active", b === button);
    presetInfo.replaceChildren(
      h("p", {}, h("b", {}, `${preset.title}. `), preset.about),
      h("details", {}, h("summary", {}, "the code it ran"), h("pre", {}, h("code", {}, sourceOf(preset)))),
    );
    try {
      await page.run("reset before the preset", (ch) => reset(ch));
      await page.run(`preset “${preset.title}”`, (ch) =>
        preset.run({
          ch,
          consumer: (queue, options) => consumers.add({ queue, ...options }),
          form: (values) => publisher.set(values),
        }),
      );
      document.body.dataset.preset = preset.id;
    } catch {
      // Already in the error panel.
    } finally {
      running = false;
    }
  });
  $("#presets").append(button);
}

// ----- mistakes: each shows the error a developer gets ------------------------------------

const MISTAKES = [
  {
    label: "publish to a missing exchange",
    run: () => page.run(`ch.publish("no-such-exchange", "x", body)`, (ch) => ch.publish("no-such-exchange", "x", new Uint8Array(1))),
  },
  {
    label: "priority: 300",
    run: () => page.run(`ch.publish("amq.direct", "x", body, { priority: 300 })`, (ch) => ch.publish("amq.direct", "x", new Uint8Array(1), { priority: 300 })),
  },
  {
    label: "misspelt option",
    run: () => page.run(`ch.assertQueue("typo", { durabel: true })`, (ch) => ch.assertQueue("typo", { durabel: true })),
  },
  {
    label: "redeclare with other arguments",
    run: async () => {
      await page.run(`ch.assertQueue("strict", { messageTtl: 1000 })`, (ch) => ch.assertQueue("strict", { messageTtl: 1000 }));
      await page.run(`ch.assertQueue("strict", { messageTtl: 5000 })`, (ch) => ch.assertQueue("strict", { messageTtl: 5000 }));
    },
  },
];
for (const m of MISTAKES) {
  $("#mistakes").append(h("button", { type: "button", class: "small ghost", onclick: () => Promise.resolve().then(m.run).catch(() => {}) }, m.label));
}

document.body.dataset.ready = "true";
