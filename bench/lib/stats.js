// Summaries and number formatting shared by the bench programs (Node) and their pages.

/** The median of a list of numbers (the mean of the two middle ones for an even count). */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2 : NaN;
}

/** { med, min, max } of a list of numbers. */
export const summary = (xs) => ({ med: median(xs), min: Math.min(...xs), max: Math.max(...xs) });

/** 1234567 → "1,234,567"; 12.345 → "12.3"; 1.2345 → "1.23". */
export function fmt(x) {
  if (!Number.isFinite(x)) return "–";
  return x >= 100 ? Math.round(x).toLocaleString("en-US") : x.toFixed(x >= 10 ? 1 : 2);
}

/** Millions with two decimals ("12.34M"), for rates in the millions. */
export const millions = (x) => (Number.isFinite(x) ? `${(x / 1e6).toFixed(2)}M` : "–");

/** "median (min–max)" of a summary, or the lone value when there was one sample. */
export function range({ med, min, max }, format = fmt) {
  return min === max ? format(med) : `${format(med)} (${format(min)}–${format(max)})`;
}

/** "1.23×", or "–" when either side is missing. */
export function ratio(a, b) {
  return Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : "–";
}

/** A Markdown table from a header row and rows of cells. */
export function table(header, rows) {
  const line = (cells) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/** The smallest step of performance.now() seen in a 20 ms busy loop, in ms (engines coarsen it). */
export function timerResolution() {
  let step = Infinity;
  let last = performance.now();
  const end = last + 20;
  while (last < end) {
    const t = performance.now();
    if (t > last) step = Math.min(step, t - last);
    last = t;
  }
  return step;
}
