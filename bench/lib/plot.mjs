// A PNG line plot without plotting dependencies: the chart is drawn as SVG and rendered by the
// headless Chromium the benches already use (lib/browser.mjs), then screenshotted.
import { launchBrowser } from "./browser.mjs";

const W = 360;
const H = 240;
const PAD = { left: 56, right: 28, top: 28, bottom: 40 };

// One panel: log10 x axis, linear y axis from 0; points [x, y] (x > 0).
function panel({ title, xLabel, yLabel, points }) {
  const xs = points.map(([x]) => Math.log10(Math.max(x, 1)));
  const ymax = Math.max(...points.map(([, y]) => y)) * 1.1 || 1;
  const [x0, x1] = [Math.min(...xs), Math.max(...xs) || 1];
  const px = (x) => PAD.left + ((Math.log10(Math.max(x, 1)) - x0) / (x1 - x0 || 1)) * (W - PAD.left - PAD.right);
  const py = (y) => H - PAD.bottom - (y / ymax) * (H - PAD.top - PAD.bottom);
  const path = points.map(([x, y], i) => `${i ? "L" : "M"}${px(x).toFixed(1)},${py(y).toFixed(1)}`).join("");
  const ticks = points.map(([x]) => `<text x="${px(x)}" y="${H - PAD.bottom + 14}" text-anchor="middle">${x.toLocaleString("en-US")}</text>`);
  const yTicks = [0, 0.5, 1].map((f) => `<text x="${PAD.left - 4}" y="${py(f * ymax) + 4}" text-anchor="end">${(f * ymax).toPrecision(2)}</text>`);
  return `<svg width="${W}" height="${H}" font-family="sans-serif" font-size="10">
    <text x="${W / 2}" y="16" text-anchor="middle" font-size="12">${title}</text>
    <line x1="${PAD.left}" y1="${H - PAD.bottom}" x2="${W - PAD.right}" y2="${H - PAD.bottom}" stroke="#888"/>
    <line x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${H - PAD.bottom}" stroke="#888"/>
    ${ticks.join("")}${yTicks.join("")}
    <text x="${W / 2}" y="${H - 6}" text-anchor="middle">${xLabel} (log scale)</text>
    <text transform="translate(12 ${H / 2}) rotate(-90)" text-anchor="middle">${yLabel}</text>
    <path d="${path}" fill="none" stroke="#c33" stroke-width="2"/>
    ${points.map(([x, y]) => `<circle cx="${px(x)}" cy="${py(y)}" r="3" fill="#c33"/>`).join("")}
  </svg>`;
}

/** Renders `panels` side by side into a PNG at `file`. */
export async function plotPng(panels, file) {
  const browser = await launchBrowser();
  try {
    const page = await browser.context.newPage();
    await page.setViewportSize({ width: W * panels.length, height: H });
    await page.setContent(`<body style="margin:0;display:flex;background:#fff">${panels.map(panel).join("")}</body>`);
    await page.screenshot({ path: file });
  } finally {
    await browser.close();
  }
}
