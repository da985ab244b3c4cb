// The demo page (www/), loaded the way `make demo` serves it: its own files at a path of their
// own, and the installed package under /node_modules/ through the page's import map. run.mjs
// serves tests/browser/ and the package; the demo's files are served from www/ under /demo/ by
// routing those requests here.
//
// Screenshots of each step go to test-output/demo/ (test-output/demo/<engine>/ outside Chromium;
// not committed); the presets test in Chromium also writes docs/demo.png (1280×800, committed,
// shown by the README). In WebKit (webkit.mjs) screenshots are of the viewport only.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { dirname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const www = join(root, "www");
const outDir = (engine) => join(root, "test-output/demo", engine === "chromium" ? "" : engine);

async function openDemo({ context, baseUrl }) {
  await context.route(`${baseUrl}/demo/**`, (route) => {
    const path = decodeURIComponent(new URL(route.request().url()).pathname.slice("/demo/".length)) || "index.html";
    const file = resolve(www, path);
    if (!file.startsWith(www + sep) || !existsSync(file) || !statSync(file).isFile()) return route.fulfill({ status: 404, body: "404\n" });
    return route.fulfill({ path: file, headers: { "cache-control": "no-store" } });
  });
  const page = await context.newPage();
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(`${baseUrl}/demo/`);
  await page.waitForSelector("body[data-ready]");
  return page;
}

const attached = { state: "attached" }; // a straight edge has an empty box, "hidden" to Playwright
let out = outDir("chromium");
const shot = (page, name, fullPage = false) => page.screenshot({ path: join(out, `${name}.png`), fullPage });

/** Bodies in a consumer card's log whose row is in `state`. */
const bodies = (page, consumer, state) =>
  page.$$eval(`.consumer-card[data-consumer="${consumer}"] li.msg[data-state="${state}"] .body`, (els) => els.map((e) => e.textContent));

export async function demoWorkQueuePublishConsumeMetricsErrors(args) {
  const page = await openDemo(args);
  out = outDir(args.engine);
  mkdirSync(out, { recursive: true });
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
  for (const t of ["(default)", "task_queue", "worker 1", "worker 2"]) assert.ok(texts.some((x) => x.includes(t)), `diagram shows ${t}: ${texts}`);
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
}

/** Every preset declares its pattern; RPC replies, and dead-lettered retries carry x-death. */
export async function demoPresetsSetUpTheTutorialPatterns(args) {
  const page = await openDemo(args);
  out = outDir(args.engine);
  mkdirSync(out, { recursive: true });
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

  // The README's screenshot: the retry pattern under a steady load, at 1280×800.
  await page.fill("form.publish-form input[name=rate]", "4");
  await page.click(".load-toggle");
  await page.waitForTimeout(6_000);
  await page.evaluate(() => window.scrollTo(0, 0));
  const readmeShot = args.engine === "chromium" ? join(root, "docs/demo.png") : join(out, "demo.png");
  mkdirSync(dirname(readmeShot), { recursive: true });
  await page.screenshot({ path: readmeShot });
  await page.click(".load-toggle");
}
