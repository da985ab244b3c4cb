// The demo page (www/), loaded the way `make demo` serves it: its own files at a path of their
// own, and the installed package under /node_modules/ through the page's import map (its workers
// import the package by that path). run.mjs serves tests/browser/ and the package; the demo's
// files are under /demo/ there (tests/browser/demo links to www/).
//
// Screenshots of each step go to test-output/demo/ (test-output/demo/<engine>/ outside Chromium;
// not committed). With DEMO_SCREENSHOT=1 the presets test in Chromium also writes docs/demo.png
// (1280×800, committed, shown by the README). In WebKit (webkit.mjs) screenshots are of the
// viewport only.
//
// The bus is origin-wide and persists in IndexedDB per browser context: every test gets a fresh
// context, so each starts from an empty bus.
import assert from "node:assert/strict";
import { mkdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const root = resolve(here, "../..");
let out = join(root, "test-output/demo");
/** Screenshots of this test's engine go to their own directory. */
function useOut({ engine }) {
  out = join(root, "test-output/demo", engine === "chromium" ? "" : engine);
  mkdirSync(out, { recursive: true });
}

/**
 * The demo under /demo/: tests/browser/demo is a link to www/, so the static server run.mjs starts
 * serves it to pages and to workers of every kind, beside the package under /node_modules/, as
 * `make demo` does. (Playwright's routing would not do: in Chromium and Firefox it does not reach
 * the modules a shared worker imports, and in Firefox not even its script.)
 */
function serveDemo() {
  assert.ok(statSync(join(here, "demo", "index.html")).isFile(), "tests/browser/demo links to www/");
}

/** One more tab of the demo, once it is connected to the bus. */
async function openTab({ context, baseUrl }, { width = 1280, height = 800 } = {}) {
  const page = await context.newPage();
  await page.setViewportSize({ width, height });
  await page.goto(`${baseUrl}/demo/`);
  await page.waitForSelector("body[data-ready]");
  return page;
}

async function openDemo(args) {
  serveDemo();
  return openTab(args);
}

const attached = { state: "attached" }; // a straight edge has an empty box, "hidden" to Playwright
async function shot(page, name, fullPage = false) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(out, `${name}.png`), fullPage });
}

/** Bodies in a consumer card's log whose row is in `state`. */
const bodies = (page, consumer, state) =>
  page.$$eval(`.consumer-card[data-consumer="${consumer}"] li.msg[data-state="${state}"] .body`, (els) => els.map((e) => e.textContent));

/** Every acked body in a page, by consumer card: { label: [body…] }, and the redelivered ones. */
const ackedIn = (page) =>
  page.$$eval(".consumer-card", (cards) =>
    cards.map((c) => ({
      label: c.dataset.consumer,
      where: c.dataset.where,
      acked: [...c.querySelectorAll('li.msg[data-state="acked"] .body')].map((e) => e.textContent),
      redelivered: [...c.querySelectorAll("li.msg")].filter((li) => li.querySelector(".badge.redelivered")).map((li) => li.querySelector(".body").textContent),
    })),
  );

/** The contexts the bus panel lists: [{ name, kind, leader, self, consumers }]. */
const contextsIn = (page) =>
  page.$$eval("#bus li.context", (els) =>
    els.map((e) => ({
      name: e.dataset.context,
      kind: e.dataset.kind,
      leader: e.dataset.leader === "true",
      self: e.classList.contains("self"),
      consumers: e.querySelectorAll(".chip").length,
    })),
  );

/** The ledger of a page, as numbers: { confirmed, acked, inQueues, dropped, discarded, excess, lost }. */
const ledgerIn = (page) => page.$eval("#bus .ledger", (e) => Object.fromEntries(Object.entries(e.dataset).map(([k, v]) => [k, Number(v)])));

/** Waits until the page's ledger has every confirmed message acked, none in a queue, none lost. */
async function ledgerSettles(page, { atLeast }) {
  await page.waitForFunction(
    (min) => {
      const d = document.querySelector("#bus .ledger")?.dataset;
      return d && Number(d.confirmed) >= min && d.inQueues === "0" && d.lost === "0" && d.acked === d.confirmed;
    },
    atLeast,
    { timeout: 10_000 },
  );
  return ledgerIn(page);
}

async function addConsumer(page, { queue, where = "tab", prefetch = "1", processMs = "100", after = "ack" }) {
  await page.click("#consumers details.add summary");
  await page.selectOption("form.add-consumer select[name=queue]", queue);
  await page.selectOption("form.add-consumer select[name=where]", where);
  await page.fill("form.add-consumer input[name=prefetch]", prefetch);
  await page.fill("form.add-consumer input[name=processMs]", processMs);
  await page.selectOption("form.add-consumer select[name=after]", after);
  const before = await page.locator(".consumer-card").count();
  await page.click("form.add-consumer button[type=submit]");
  await page.waitForFunction((n) => document.querySelectorAll(".consumer-card").length > n, before);
  await page.click("#consumers details.add summary"); // folded again
  return page.$eval(".consumer-card:last-child", (c) => c.dataset.consumer);
}

async function publish(page, values) {
  for (const [name, value] of Object.entries(values)) await page.fill(`form.publish-form [name=${name}]`, value);
  await page.click("form.publish-form button[type=submit]");
}

const timed = async (steps, name, fn) => {
  const started = Date.now();
  const value = await fn();
  steps.push(`${name} ${Date.now() - started} ms`);
  if (process.env.DEMO_VERBOSE) console.log(`      ${name} ${Date.now() - started} ms`);
  return value;
};

/**
 * Three tabs on one bus: a preset applied in tab 1 shows in the others; messages published from
 * tab 1 are consumed in tabs 2 and 3 and in workers, once each; every tab's diagram and plots
 * show it.
 */
export async function demoThreeTabsShareOneBus(args) {
  useOut(args);
  const steps = [];
  serveDemo();
  const [p1, p2, p3] = await timed(steps, "open 3 tabs", async () => [await openTab(args), await openTab(args), await openTab(args)]);
  const svg = "#topology svg.topology-svg";

  // Every tab lists the three tabs; tab 1 leads.
  for (const [i, page] of [p1, p2, p3].entries()) {
    await page.waitForFunction(() => document.querySelectorAll("#bus li.context").length === 3);
    const cs = await contextsIn(page);
    assert.deepEqual(cs.map((c) => [c.name, c.kind, c.leader]), [["tab 1", "tab", true], ["tab 2", "tab", false], ["tab 3", "tab", false]]);
    assert.deepEqual(cs.filter((c) => c.self).map((c) => c.name), [`tab ${i + 1}`], "the panel marks this tab");
  }
  assert.match(await p1.textContent("#bus .leader-control"), /This tab leads the bus/);
  assert.match(await p2.textContent("#bus .leader-control"), /tab 1 leads the bus/);
  await shot(p1, "10-three-tabs");

  // The work-queue preset in tab 1: worker 1 in tab 1, worker 2 in tab 1's dedicated worker.
  await timed(steps, "preset", async () => {
    await p1.click('button[data-preset="work-queue"]');
    await p1.waitForSelector('body[data-preset="work-queue"]');
  });
  // Tab 2 adds a consumer in the tab and one in the origin's shared worker; tab 3 one in the tab
  // and one in its dedicated worker.
  const c2 = await timed(steps, "consumer in tab 2", () => addConsumer(p2, { queue: "task_queue" }));
  const c2s = await timed(steps, "consumer in the shared worker", () => addConsumer(p2, { queue: "task_queue", where: "shared" }));
  const c3 = await addConsumer(p3, { queue: "task_queue" });
  const c3w = await timed(steps, "consumer in tab 3's worker", () => addConsumer(p3, { queue: "task_queue", where: "worker" }));
  assert.deepEqual([c2, c2s, c3, c3w], ["C1", "C2", "C1", "C2"]);

  // Tab 2's diagram shows what tab 1 declared and every consumer on the bus; its bus panel the
  // three workers with theirs.
  const tags = ["tab 1 · worker 1", "tab 1 worker · worker 2", "tab 2 · C1", "shared · tab 2 · C2", "tab 3 · C1", "tab 3 worker · C2"];
  for (const page of [p1, p2, p3]) {
    await page.waitForSelector(`${svg} g.node.queue[data-queue="task_queue"]`);
    for (const tag of tags) await page.waitForSelector(`${svg} g.node.consumer[data-consumer="${tag}"]`, attached);
  }
  assert.equal(await p2.locator(`${svg} g.node.consumer.mine`).count(), 2, "tab 2's own consumers (in the tab and the shared worker) are highlighted");
  await p2.waitForFunction(() => document.querySelectorAll("#bus li.context").length === 6);
  const cs = await contextsIn(p2);
  assert.deepEqual(
    cs.map((c) => [c.name, c.kind, c.consumers]),
    [["tab 1", "tab", 1], ["tab 2", "tab", 1], ["tab 3", "tab", 1], ["tab 1 worker", "dedicated worker", 1], ["tab 3 worker", "dedicated worker", 1], ["shared worker", "shared worker", 1]].sort((a, b) => cs.findIndex((c) => c.name === a[0]) - cs.findIndex((c) => c.name === b[0])),
  );
  assert.equal(await p2.textContent('#bus li.context[data-kind="shared worker"] .chip span'), "tab 2 · C2", "the shared worker's consumer is named with its tab");
  await shot(p2, "11-consumers-everywhere");

  // Publish 20 from tab 1: they are consumed in tabs 2 and 3, in tab 3's worker and in the shared
  // worker, once each.
  await timed(steps, "20 consumed across 6 consumers", async () => {
    await publish(p1, { body: "a{n}", count: "20" });
    const all = async () => (await Promise.all([p1, p2, p3].map(ackedIn))).flat();
    for (;;) {
      const got = await all();
      if (got.flatMap((c) => c.acked).length >= 20) break;
      await p1.waitForTimeout(100);
    }
    const got = await all();
    const acked = got.flatMap((c) => c.acked).sort();
    assert.deepEqual(acked, Array.from({ length: 20 }, (_, i) => `a${i + 1}`).sort(), "each consumed once");
    const others = [...(await ackedIn(p2)), ...(await ackedIn(p3))];
    assert.deepEqual(others.map((c) => c.where).sort(), ["shared", "tab", "tab", "worker"]);
    for (const c of others) assert.ok(c.acked.length >= 1, `${c.label} in ${c.where} consumed: ${JSON.stringify(got)}`);
  });
  // The depth plot (in tab 3, far from the publisher) saw the messages queued; the counts settle.
  const card = '.queue-metrics[data-queue="task_queue"]';
  await p3.waitForFunction((c) => Number(document.querySelector(`${c} svg[data-plot="depth"]`)?.dataset.max) > 0, card);
  await p3.waitForFunction((c) => document.querySelector(`${c} .counts`)?.textContent === "0 ready · 0 unacked · 6 consumers", card);
  await shot(p3, "12-consumed", true);

  console.log(`      ${steps.join(" · ")}`);
}

/**
 * Closing the leader tab: tab 1 holds 3 persistent messages unacked when it is closed; tab 2 (next
 * in line for the leader lock) takes over, tabs 2 and 3 show the failover, the 3 messages are
 * redelivered (restored from IndexedDB), none is lost, and publishing and consuming carry on.
 */
export async function demoLeaderTabClosedTheOthersCarryOn(args) {
  useOut(args);
  const steps = [];
  serveDemo();
  const [p1, p2, p3] = await timed(steps, "open 3 tabs", async () => [await openTab(args), await openTab(args), await openTab(args)]);

  // Tab 1 declares a durable queue and takes 3 of 12 persistent messages without acking them.
  await p1.fill("form.declare-queue input[name=name]", "task_queue");
  await p1.click("form.declare-queue button[type=submit]");
  await addConsumer(p1, { queue: "task_queue", prefetch: "3", processMs: "0", after: "hand" });
  await p1.check("form.publish-form input[name=persistent]");
  await publish(p1, { routingKey: "task_queue", body: "b{n}", count: "12" });
  await p1.waitForFunction(() => document.querySelectorAll('.consumer-card li.msg[data-state="waiting for you"]').length === 3);
  const held = await bodies(p1, "C1", "waiting for you");
  // Tab 2 consumes in the tab, tab 3 in its worker: they take the other 9.
  await addConsumer(p2, { queue: "task_queue" });
  await addConsumer(p3, { queue: "task_queue", where: "worker" });
  const survivors = async () => [...(await ackedIn(p2)), ...(await ackedIn(p3))];
  await p2.waitForFunction(() => document.querySelector('.queue-metrics[data-queue="task_queue"] .counts')?.textContent.startsWith("0 ready · 3 unacked"));
  assert.equal((await survivors()).flatMap((c) => c.acked).length, 9);

  // Tab 3's "Close the leader" asks tab 1 to close; a tab the user opened cannot close itself
  // (window.close() works only in script-opened tabs), so tab 1 asks to be closed by hand.
  assert.equal(await p3.textContent("#bus button.close-leader"), "Close the leader (tab 1)");
  await p3.click("#bus button.close-leader");
  await p1.waitForSelector("#bus .leader-control .close-here");
  assert.match(await p1.textContent("#bus .leader-control"), /tab 3 asked to close it: close this tab/);
  await shot(p1, "13-leader-holds-3");

  // Close the leader tab: tab 2 (next in line for the lock) takes over; tabs 2 and 3 show the
  // failover, and the three held messages come back, redelivered.
  await timed(steps, "failover", async () => {
    await p1.close();
    for (const page of [p2, p3]) await page.waitForSelector("#bus .failover-banner:not([hidden])");
  });
  for (const page of [p2, p3]) {
    await page.waitForFunction(() => document.querySelector("#bus")?.dataset.leader === "tab 2");
    assert.equal(await page.getAttribute("#bus .failover-banner", "data-leader"), "tab 2");
    assert.ok(Number(await page.getAttribute("#bus .failover-banner", "data-took")) >= 0);
  }
  assert.match(await p2.textContent("#bus .leader-control"), /This tab leads the bus/);
  await p3.waitForFunction(() => document.querySelectorAll("#bus li.context").length === 3); // tab 1 and its worker are gone
  const b = Array.from({ length: 12 }, (_, i) => `b${i + 1}`).sort();
  await timed(steps, "12 consumed after the failover", async () => {
    await p2.waitForFunction(() => Number(document.querySelector("#bus .failover-banner")?.dataset.redelivered) >= 3);
    for (;;) {
      const got = (await survivors()).flatMap((c) => c.acked).filter((x) => x.startsWith("b"));
      if (new Set(got).size >= 12) break;
      await p2.waitForTimeout(100);
    }
    const got = await survivors();
    assert.deepEqual([...new Set(got.flatMap((c) => c.acked).filter((x) => x.startsWith("b")))].sort(), b, "no message lost");
    const redelivered = new Set(got.flatMap((c) => c.redelivered));
    for (const body of held) assert.ok(redelivered.has(body), `${body}, held by tab 1, was redelivered: ${JSON.stringify(got)}`);
  });
  await shot(p2, "14-failover-new-leader");
  await shot(p3, "15-failover-other-tab");

  // And it carries on: publish from tab 2, consumed in tab 3's worker (and in tab 2).
  await timed(steps, "publish after the failover", async () => {
    await publish(p2, { exchange: "", routingKey: "task_queue", body: "c{n}", count: "6" });
    await p3.waitForFunction(() => {
      const acked = [...document.querySelectorAll(".consumer-card")].map((c) => [...c.querySelectorAll('li.msg[data-state="acked"] .body')].filter((e) => e.textContent.startsWith("c")).length);
      return acked.length === 1 && acked[0] >= 1;
    });
  });
  await shot(p3, "16-carries-on");
  // Each tab's ledger: the 12 persistent messages confirmed to tab 1 were all acked (the 6 after
  // the failover are transient: not in it), none lost.
  for (const page of [p2, p3]) assert.deepEqual(await ledgerSettles(page, { atLeast: 12 }), { confirmed: 12, acked: 12, inQueues: 0, dropped: 0, discarded: 0, excess: 0, lost: 0 });
  // The same on a phone: the bus panel with the banner, below the topology and the form.
  await p3.setViewportSize({ width: 390, height: 844 });
  await p3.waitForTimeout(200);
  await shot(p3, "17-phone");
  await p3.locator("#bus").screenshot({ path: join(out, "18-phone-bus.png") });
  console.log(`      ${steps.join(" · ")}`);
}

/**
 * The page's own ledger across a failover mid-stream: tab 2 publishes persistent messages at a
 * steady rate while tab 1 leads the bus and holds 5 of them unacked; tab 1 closes; tab 2 takes
 * over and its load carries on. The ledger tab 2 shows has lost 0 when the load stops, and once
 * the queue drains (tab 2's consumer in the shared worker acks them all) acked + in queues =
 * confirmed exactly, with confirmed counting messages from before and after the failover. The
 * queue's plots keep their points from before the failover, with a marker at it.
 */
export async function demoLedgerNothingLostWhenTheLeaderClosesMidStream(args) {
  useOut(args);
  const steps = [];
  serveDemo();
  const [p1, p2] = await timed(steps, "open 2 tabs", async () => [await openTab(args), await openTab(args)]);
  await p1.fill("form.declare-queue input[name=name]", "task_queue");
  await p1.click("form.declare-queue button[type=submit]");
  await addConsumer(p1, { queue: "task_queue", prefetch: "5", processMs: "0", after: "hand" });
  await timed(steps, "consumer in the shared worker", () => addConsumer(p2, { queue: "task_queue", where: "shared", prefetch: "1", processMs: "20" }));

  // Tab 2 publishes 10 persistent messages a second.
  await p2.check("form.publish-form input[name=persistent]");
  for (const [name, value] of Object.entries({ routingKey: "task_queue", body: "m{n}", rate: "10" })) await p2.fill(`form.publish-form [name=${name}]`, value);
  await p2.click(".load-toggle");
  await p1.waitForFunction(() => document.querySelectorAll('.consumer-card li.msg[data-state="waiting for you"]').length === 5);
  await p2.waitForFunction(() => Number(document.querySelector("#bus .ledger")?.dataset.confirmed) >= 15);
  const depth = '.queue-metrics[data-queue="task_queue"] svg[data-plot="depth"]';
  await p2.waitForFunction((sel) => Number(document.querySelector(sel)?.dataset.points) >= 8, depth);
  const before = await ledgerIn(p2);
  assert.ok(before.lost === 0 && before.confirmed >= 15, `before: ${JSON.stringify(before)}`);
  await shot(p2, "20-ledger-before");

  // Close the leader mid-stream; the load carries on through the new leader (tab 2).
  await timed(steps, "failover", async () => {
    await p1.close();
    await p2.waitForSelector("#bus .failover-banner:not([hidden])");
  });
  await timed(steps, "10 more confirmed", () =>
    p2.waitForFunction((n) => Number(document.querySelector("#bus .ledger")?.dataset.confirmed) >= n, before.confirmed + 10),
  );
  await p2.click(".load-toggle");
  const during = await ledgerIn(p2);
  assert.equal(during.lost, 0, `while draining: ${JSON.stringify(during)}`);
  const after = await timed(steps, "ledger settles", () => ledgerSettles(p2, { atLeast: before.confirmed + 10 }));
  assert.deepEqual({ ...after, confirmed: 0, acked: 0 }, { confirmed: 0, acked: 0, inQueues: 0, dropped: 0, discarded: 0, excess: 0, lost: 0 }, JSON.stringify(after));
  assert.ok(Number(await p2.getAttribute("#bus .failover-banner", "data-redelivered")) >= 5, "tab 1's 5 came back");

  // The plots carry on: points from before the failover, a marker at it, points after it.
  await p2.waitForFunction((sel) => Number(document.querySelector(sel)?.dataset.markers) === 1, depth);
  for (const plot of ["depth", "rates"]) {
    const data = await p2.$eval(`.queue-metrics[data-queue="task_queue"] svg[data-plot="${plot}"]`, (e) => ({ ...e.dataset }));
    assert.ok(Number(data.beforeMarker) >= 8 && Number(data.points) > Number(data.beforeMarker), `${plot} plot: ${JSON.stringify(data)}`);
  }
  await shot(p2, "21-ledger-after-failover");
  steps.push(`${after.confirmed} confirmed = acked`);
  console.log(`      ${steps.join(" · ")}`);
}

/**
 * A consumer in the origin's service worker receives messages and shows on the bus. Firefox 140
 * evaluates no module service worker: there the page disables the option and says why, and the
 * test reports n/a with the page's reason.
 */
export async function demoServiceWorkerConsumer(args) {
  useOut(args);
  const page = await openDemo(args);
  await page.fill("form.declare-queue input[name=name]", "sw_queue");
  await page.click("form.declare-queue button[type=submit]");
  await page.click("#consumers details.add summary");
  await page.waitForSelector('form.add-consumer select[name=queue] option[value="sw_queue"]', attached);
  await page.selectOption("form.add-consumer select[name=queue]", "sw_queue");
  await page.selectOption("form.add-consumer select[name=where]", "service");
  await page.click("form.add-consumer button[type=submit]");
  await page.waitForFunction(() => document.querySelector(".consumer-card") || document.querySelector('option[value="service"]:disabled'), null, { timeout: 20_000 });
  const unavailable = await page.$eval('option[value="service"]', (o) => (o.disabled ? o.title : null));
  if (unavailable !== null) {
    const expected = args.engine === "firefox";
    assert.ok(expected, `the service worker did not start in ${args.engine}: ${unavailable}`);
    args.notIn(`no module service worker in this Firefox; the page says: ${unavailable}`);
  }
  await publish(page, { routingKey: "sw_queue", body: "sw{n}", count: "5" });
  await page.waitForFunction(() => document.querySelectorAll('.consumer-card[data-where="service"] li.msg[data-state="acked"]').length === 5);
  assert.deepEqual((await bodies(page, "C1", "acked")).sort(), ["sw1", "sw2", "sw3", "sw4", "sw5"]);
  await page.waitForFunction(() => document.querySelector('#bus li.context[data-kind="service worker"] .chip span')?.textContent === "tab 1 · C1");
  await page.waitForSelector('#topology g.node.consumer.mine[data-consumer="service · tab 1 · C1"]', attached);
  await shot(page, "22-service-worker");
}

export async function demoWorkQueuePublishConsumeMetricsErrors(args) {
  useOut(args);
  const page = await openDemo(args);
  assert.equal(await page.textContent("#version"), `v${args.pkg.version}`);
  await shot(page, "01-loaded");

  // The work-queue preset: a queue and two consumers in this page.
  await page.click('button[data-preset="work-queue"]');
  await page.waitForSelector('body[data-preset="work-queue"]');
  assert.deepEqual(await page.$$eval(".consumer-card", (cards) => cards.map((c) => c.dataset.consumer)), ["worker 1", "worker 2"]);
  // The diagram: the default exchange, the queue, the binding between them, the consumers.
  const svg = "#topology svg.topology-svg";
  await page.waitForSelector(`${svg} g.node.queue[data-queue="task_queue"]`);
  await page.waitForSelector(`${svg} g.edge[data-source=""][data-destination="task_queue"]`, attached);
  const texts = await page.$$eval(`${svg} text`, (els) => els.map((e) => e.textContent));
  for (const t of ["(default)", "task_queue"]) assert.ok(texts.includes(t), `diagram shows ${t}: ${texts}`);
  // The consumers, tagged with where they run: worker 2 is in the tab's dedicated worker.
  for (const tag of ["tab 1 · worker 1", "tab 1 worker · worker 2"]) await page.waitForSelector(`${svg} g.node.consumer.mine[data-consumer="${tag}"]`, attached);
  assert.deepEqual(await page.$$eval(".consumer-card", (cards) => cards.map((c) => c.dataset.where)), ["tab", "worker"]);
  await shot(page, "02-preset");

  // Publish 8 messages from the form; both consumers get some, and every one is acked once.
  await page.fill("form.publish-form textarea[name=body]", "job {n}");
  await page.fill("form.publish-form input[name=count]", "8");
  await page.click("form.publish-form button[type=submit]");
  await page.waitForFunction(
    () => {
      const acked = [...document.querySelectorAll(".consumer-card")].map((c) => c.querySelectorAll('li.msg[data-state="acked"]').length);
      return acked.length === 2 && acked.every((n) => n >= 1) && acked[0] + acked[1] === 8;
    },
    null,
    { timeout: 10_000 },
  );
  const seen = [...(await bodies(page, "worker 1", "acked")), ...(await bodies(page, "worker 2", "acked"))].sort();
  assert.deepEqual(seen, ["job 1", "job 2", "job 3", "job 4", "job 5", "job 6", "job 7", "job 8"]);

  // The queue's plots have data points; the counts read back from conn.stats().
  const card = '.queue-metrics[data-queue="task_queue"]';
  await page.waitForFunction((c) => Number(document.querySelector(`${c} svg[data-plot="depth"]`)?.dataset.points) >= 4, card);
  await page.waitForFunction((c) => document.querySelector(`${c} .counts`).textContent === "0 ready · 0 unacked · 2 consumers", card);
  await shot(page, "03-consumed");

  // Declaring updates the diagram: an exchange, a queue and a binding with a key.
  await page.fill("form.declare-exchange input[name=name]", "audit");
  await page.selectOption("form.declare-exchange select[name=type]", "topic");
  await page.click("form.declare-exchange button[type=submit]");
  await page.waitForSelector(`${svg} g.node.exchange[data-exchange="audit"]`);
  await page.fill("form.declare-queue input[name=name]", "audit_log");
  await page.click("form.declare-queue button[type=submit]");
  await page.waitForSelector(`${svg} g.node.queue[data-queue="audit_log"]`);
  await page.selectOption("form.declare-binding select[name=source]", "audit");
  await page.selectOption("form.declare-binding select[name=queue]", "audit_log");
  await page.fill("form.declare-binding input[name=key]", "task.#");
  await page.click("form.declare-binding button[type=submit]");
  await page.waitForSelector(`${svg} g.edge[data-source="audit"][data-destination="audit_log"][data-keys="task.#"]`, attached);
  assert.ok((await page.$$eval(`${svg} .edge-label tspan`, (els) => els.map((e) => e.textContent))).includes("task.#"));
  await shot(page, "04-declared");

  // Bad input, as a developer gets it: publishing to a missing exchange closes the channel with
  // 404 (and the page opens a new one); an out-of-range priority throws RangeError and the
  // channel stays open.
  await page.fill("form.publish-form input[name=exchange]", "no-such-exchange");
  await page.fill("form.publish-form input[name=count]", "1");
  await page.click("form.publish-form button[type=submit]");
  const newest = "#errors .error:first-child";
  await page.waitForFunction((sel) => document.querySelector(`${sel} .err-code`)?.textContent === "404", newest);
  assert.equal(await page.textContent(`${newest} .err-name`), "AmqpError");
  assert.match(await page.textContent(`${newest} .err-message`), /NOT_FOUND - no exchange 'no-such-exchange'/);
  assert.match(await page.textContent(newest), /The demo opened channel \d+ to carry on/);

  await page.fill("form.publish-form input[name=exchange]", "");
  await page.fill("form.publish-form input[name=priority]", "300");
  await page.click("form.publish-form button[type=submit]");
  await page.waitForFunction((sel) => document.querySelector(`${sel} .err-code`)?.textContent === "SWITCHYARD_INVALID_ARGUMENT", newest);
  assert.equal(await page.textContent(`${newest} .err-name`), "RangeError");
  assert.match(await page.textContent(newest), /stays open/);
  assert.equal(await page.textContent("#errors .error-count"), "2");

  // The reopened channel works: the next message is consumed.
  await page.fill("form.publish-form input[name=priority]", "");
  await page.fill("form.publish-form textarea[name=body]", "after the errors");
  await page.click("form.publish-form button[type=submit]");
  await page.waitForFunction(() => [...document.querySelectorAll('li.msg[data-state="acked"] .body')].some((e) => e.textContent === "after the errors"));
  await shot(page, "05-errors", true);

  // A steady load for the README's screenshot: depth grows, the plots fill in.
  await page.fill("form.publish-form textarea[name=body]", "task {n}");
  await page.fill("form.publish-form input[name=rate]", "5");
  await page.click(".load-toggle");
  await page.waitForTimeout(5_000);
  await page.click(".load-toggle");
  await shot(page, "06-load", true);

  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(300);
  await shot(page, "07-phone", true);
  await shot(page, "07-phone-top");
}

/** Every preset declares its pattern; RPC replies, and dead-lettered retries carry x-death. */
export async function demoPresetsSetUpTheTutorialPatterns(args) {
  useOut(args);
  const page = await openDemo(args);
  const svg = "#topology svg.topology-svg";
  const apply = async (id) => {
    await page.click(`button[data-preset="${id}"]`);
    await page.waitForSelector(`body[data-preset="${id}"]`);
  };
  const publish = async (values) => {
    for (const [name, value] of Object.entries(values)) await page.fill(`form.publish-form [name=${name}]`, value);
    await page.click("form.publish-form button[type=submit]");
  };

  await apply("fanout");
  await page.waitForSelector(`${svg} g.node.exchange[data-exchange="logs"]`);
  assert.equal(await page.locator(`${svg} g.edge[data-source="logs"]`).count(), 2);
  await publish({ count: "3" });
  await page.waitForFunction(() => [...document.querySelectorAll(".consumer-card")].every((c) => c.querySelectorAll('li.msg[data-state="done"]').length === 3));

  await apply("routing");
  await page.waitForSelector(`${svg} g.edge[data-source="direct_logs"][data-destination="console"][data-keys~="warning"]`, attached);
  await publish({ routingKey: "info", count: "1", body: "just info" });
  await page.waitForFunction(() => document.querySelector('.consumer-card[data-consumer="C2"] li.msg[data-state="acked"]'));
  assert.deepEqual(await bodies(page, "C1", "acked"), [], "'disk' is bound to error only");

  await apply("topics");
  await page.waitForSelector(`${svg} g.edge[data-source="topic_logs"][data-destination="Q2"][data-keys~="lazy.#"][data-keys~="*.*.rabbit"]`, attached);
  await publish({ routingKey: "lazy.pink.elephant", body: "lazy" });
  await page.waitForFunction(() => document.querySelector('.consumer-card[data-consumer="C2"] li.msg[data-state="acked"]'));

  await apply("rpc");
  await publish({ body: "10" });
  await page.waitForFunction(() => document.querySelector(".replies .reply")?.textContent.includes("fib(10) = 55"));

  await apply("retry");
  await page.waitForSelector(`${svg} g.edge.dlx[data-source="orders.wait"][data-destination="orders"]`, attached);
  await publish({ count: "16" });
  // Half fail: a rejected order comes back through orders.wait after its 2 s TTL, with both
  // deaths in x-death (newest first).
  await page.waitForFunction(
    () =>
      [...document.querySelectorAll("li.msg")].some((li) => {
        const deaths = [...li.querySelectorAll(".badge.death")].map((b) => b.textContent);
        return deaths[0] === "expired ×1 · orders.wait" && deaths[1] === "rejected ×1 · orders";
      }),
    null,
    { timeout: 10_000 },
  );
  await shot(page, "08-retry", true);

  // The README's screenshot: the retry pattern under a steady load, at 1280×800, with a second
  // tab whose worker consumes orders too.
  const other = await openTab(args);
  assert.equal(await addConsumer(other, { queue: "orders", where: "worker", prefetch: "2", processMs: "300" }), "C1");
  await page.waitForSelector(`${svg} g.node.consumer[data-consumer="tab 2 worker · C1"]`, attached);
  // Persistent, so the ledger counts them through the dead-letter round trips: none lost.
  await page.fill("form.publish-form input[name=rate]", "4");
  await page.check("form.publish-form input[name=persistent]");
  await page.click(".load-toggle");
  const confirmed = process.env.DEMO_SCREENSHOT === "1" ? 24 : 8; // the README's plots: 6 s of load
  await page.waitForFunction((n) => Number(document.querySelector("#bus .ledger")?.dataset.confirmed) >= n, confirmed, { timeout: 20_000 });
  assert.equal((await ledgerIn(page)).lost, 0);
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, "09-readme");
  if (process.env.DEMO_SCREENSHOT === "1" && args.engine === "chromium") await page.screenshot({ path: join(root, "docs/demo.png") });
  await page.click(".load-toggle");
}

// Three tabs of the whole demo (and its workers): 13–29 s on a 2-core machine under load, most
// of it opening tabs (Firefox takes ~8 s for three), so twice the default limit.
for (const t of [demoThreeTabsShareOneBus, demoLeaderTabClosedTheOthersCarryOn, demoLedgerNothingLostWhenTheLeaderClosesMidStream, demoServiceWorkerConsumer, demoWorkQueuePublishConsumeMetricsErrors, demoPresetsSetUpTheTutorialPatterns]) {
  t.timeoutMs = 60_000;
}
