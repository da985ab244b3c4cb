// Durability across a browser RESTART (not a reload, not a new page): a page writes a durable bus
// to IndexedDB, the whole browser is quit under its open connection, a new browser starts on the
// same profile directory and a page there restores the bus (pages/restart.html). Every engine
// runs it, each browser from launchWithProfile() (engines.mjs): Chromium and Firefox with a
// persistent profile, WebKitGTK with webkit-shell.py, since MiniBrowser keeps IndexedDB in memory
// under automation.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

let counter = 0;

/** Starts a browser on `dir`, runs restart.html's `step` in a page, quits the browser. */
async function inBrowser({ launchWithProfile, baseUrl }, dir, step, bus) {
  let started = Date.now();
  const context = await launchWithProfile(dir);
  const launchMs = Date.now() - started;
  let quitMs;
  try {
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(`uncaught: ${e.message}`));
    page.on("console", (m) => m.type() === "error" && errors.push(`console.error: ${m.text()}`));
    await page.goto(`${baseUrl}/pages/restart.html?step=${step}&bus=${bus}`);
    const result = await (await page.waitForFunction(() => window.result)).jsonValue();
    assert.deepEqual(errors, [], `no errors in the ${step} page`);
    assert.equal(result.error, undefined, `${step} failed: ${result.error}`);
    return { ...result.ok, launchMs, quitMs: () => quitMs };
  } finally {
    started = Date.now();
    await context.close(); // quits the browser; the page and its connection are still open
    quitMs = Date.now() - started;
  }
}

export async function durableBusSurvivesABrowserRestart(args) {
  const dir = mkdtempSync(join(tmpdir(), "switchyard-restart-"));
  const bus = `restart-${process.pid}-${++counter}`;
  try {
    const before = await inBrowser(args, dir, "write", bus);
    assert.deepEqual([before.confirmed, before.held], [50, ["m20", false]], "50 confirmed; m20 delivered, unacked");
    const after = await inBrowser(args, dir, "read", bus);
    const expected = [["m20", true], ...Array.from({ length: 29 }, (_, i) => [`m${21 + i}`, false])];
    assert.deepEqual(after.jobs, expected, "[body, redelivered] after the restart: m20 flagged, the acked and the transient gone");
    assert.equal(after.scratch, 404, "a non-durable queue does not survive the restart");
    assert.equal(after.fence, "fence");
    console.log(`      browser launch ${before.launchMs} ms, quit ${before.quitMs()} ms; on the same profile: launch ${after.launchMs} ms, quit ${after.quitMs()} ms`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
// Two browser launches and quits: Firefox took up to 10 s for one launch while other tests ran.
durableBusSurvivesABrowserRestart.timeoutMs = 120_000;
