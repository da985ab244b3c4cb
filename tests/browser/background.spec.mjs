// A leader tab that is hidden keeps the bus's timers on time: its window timers are throttled
// (simulated in the page: headless Chromium never hides a page), and a worker's clock ticks the
// broker instead. Every exported async function is one test; see run.mjs for what it receives.
import assert from "node:assert/strict";

export async function hiddenLeaderTabFiresDelaysOnTime({ context, baseUrl }) {
  const page = await context.newPage();
  await page.goto(`${baseUrl}/pages/background.html?bus=bg-${Date.now()}`);
  await page.waitForFunction(() => window.bg);
  assert.equal(await page.evaluate(() => window.bg.leader()), true);

  // Visible: the broker's timer is the throttled setTimeout (the simulation works).
  const visible = await page.evaluate(() => window.bg.delayed(200));
  assert.equal(visible.body, "after 200");
  assert.ok(visible.ms >= 3500, `visible tab: a 200 ms delay took ${visible.ms} ms under the simulated throttling`);

  // Hidden: the worker clock delivers it on time, throttling or not.
  await page.evaluate(() => window.bg.hide());
  const hidden = await page.evaluate(() => window.bg.delayed(200));
  assert.equal(hidden.body, "after 200");
  assert.ok(hidden.ms >= 190 && hidden.ms < 1500, `hidden tab: a 200 ms delay took ${hidden.ms} ms`);
  console.log(`      a 200 ms delay in a leader tab with throttled timers: visible ${visible.ms} ms, hidden (worker clock) ${hidden.ms} ms`);

  // Visible again: the worker clock stops.
  await page.evaluate(() => window.bg.show());
  const again = await page.evaluate(() => window.bg.delayed(200));
  assert.ok(again.ms >= 3500, `visible again: ${again.ms} ms`);
}
