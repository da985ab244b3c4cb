// A small line plot over the last minute, in SVG: one path per series, a y scale rounded up to
// 1/2/5×10ⁿ, the current value of each series in the legend. Gaps (null) break a line; ∞ is drawn
// at the top edge; markers (failovers) are dashed vertical lines.
import { h, s, short } from "./dom.js";

const W = 300;
const H = 64;

function niceCeil(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

export class Plot {
  /**
   * series: [{ key, label, color (CSS var or value), dash }]; format: value -> text for the legend
   * and the scale; floor: the smallest top of the y scale.
   */
  constructor({ title, series, format = short, floor = 1, name }) {
    this.series = series;
    this.format = format;
    this.floor = floor;
    this.paths = new Map();
    this.values = new Map();
    this.svg = s(
      "svg",
      { class: "plot-svg", viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: "none", "data-plot": name, "data-points": "0", role: "img", "aria-label": title },
      s("line", { class: "grid", x1: 0, x2: W, y1: H / 2, y2: H / 2 }),
      s("line", { class: "axis", x1: 0, x2: W, y1: H - 0.5, y2: H - 0.5 }),
    );
    this.markers = s("g", { class: "markers" });
    this.svg.append(this.markers);
    for (const se of series) {
      const path = s("path", { class: "series", stroke: se.color, "stroke-dasharray": se.dash });
      this.paths.set(se.key, path);
      this.svg.append(path);
    }
    this.top = h("span", { class: "plot-top" });
    this.span = h("span", { class: "plot-span" });
    this.el = h(
      "figure",
      { class: "plot" },
      h(
        "figcaption",
        {},
        h("span", { class: "plot-title" }, title),
        h(
          "span",
          { class: "legend" },
          series.map((se) => {
            const value = h("b", {}, "–");
            this.values.set(se.key, value);
            return h("span", { class: "key" }, h("i", { style: `background:${se.color}` }), se.label, " ", value);
          }),
        ),
      ),
      h("div", { class: "plot-area" }, this.svg, this.top, this.span),
    );
  }

  /**
   * data: { key: [[t, value | null], …] } with t in ms; the x axis is [t1 - span, t1]; markers:
   * times to draw a vertical line at. The svg's data-points (of the first series in view) and
   * data-before-marker (those before the first marker in view) are read by the page test.
   */
  update(data, t1, spanMs = 60_000, markers = []) {
    const t0 = t1 - spanMs;
    const shown = markers.filter((m) => m >= t0 && m <= t1);
    const xOf = (t) => (((t - t0) / spanMs) * W).toFixed(1);
    if (this.markers.dataset.key !== shown.map(xOf).join()) {
      this.markers.dataset.key = shown.map(xOf).join();
      this.markers.replaceChildren(...shown.map((m) => s("line", { class: "marker", x1: xOf(m), x2: xOf(m), y1: 0, y2: H }, s("title", {}, "failover: a new leader, whose counters start from zero"))));
    }
    this.svg.dataset.markers = String(shown.length);
    this.span.textContent = `${Math.round(spanMs / 1000)} s`;
    let max = 0;
    for (const se of this.series) {
      for (const [, v] of data[se.key] ?? []) if (Number.isFinite(v) && v > max) max = v;
    }
    this.svg.dataset.max = String(max); // the highest value in view (read by the page test)
    const top = niceCeil(Math.max(max, this.floor));
    this.top.textContent = this.format(top);
    let first = true;
    for (const se of this.series) {
      const points = data[se.key] ?? [];
      let d = "";
      let pen = false;
      let n = 0;
      for (const [t, v] of points) {
        if (v === null || v === undefined || Number.isNaN(v) || t < t0) {
          pen = false;
          continue;
        }
        const x = ((t - t0) / spanMs) * W;
        const y = Number.isFinite(v) ? H - (Math.max(0, v) / top) * (H - 2) - 1 : 1;
        d += `${pen ? "L" : "M"}${x.toFixed(1)} ${y.toFixed(1)}`;
        pen = true;
        n++;
      }
      this.paths.get(se.key).setAttribute("d", d);
      const last = points.at(-1)?.[1];
      this.values.get(se.key).textContent = last === null || last === undefined ? "–" : this.format(last);
      if (first) {
        this.svg.dataset.points = String(n);
        this.svg.dataset.beforeMarker = shown.length ? String(points.filter(([t, v]) => t >= t0 && t < shown[0] && v !== null).length) : "0";
      }
      first = false;
    }
  }
}
