// Small DOM helpers: the demo has no framework, and these are the few things it repeats.

const SVG_NS = "http://www.w3.org/2000/svg";

function build(el, props, children) {
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") el.textContent = value;
    else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else el.setAttribute(key === "className" ? "class" : key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** An HTML element: h("button", { class: "x", onclick }, "label"). */
export const h = (tag, props, ...children) => build(document.createElement(tag), props, children);

/** An SVG element, same shape as h(). */
export const s = (tag, props, ...children) => build(document.createElementNS(SVG_NS, tag), props, children);

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

/** Bytes <-> text for message bodies (the package delivers Uint8Array in browsers). */
const encoder = new TextEncoder();
const decoder = new TextDecoder();
export const encode = (text) => encoder.encode(text);
export function bodyText(content) {
  if (content instanceof Uint8Array) return decoder.decode(content);
  if (typeof content === "string") return content;
  try {
    return JSON.stringify(content);
  } catch {
    return String(content);
  }
}

/** Shortens a long name for a diagram node, keeping both ends. */
export function ellipsize(text, max) {
  if (text.length <= max) return text;
  const head = Math.ceil((max - 1) * 0.6);
  return `${text.slice(0, head)}…${text.slice(text.length - (max - 1 - head))}`;
}

/** 0.5 -> "0.5", 1234 -> "1.2k": short numbers for plot labels and chips. */
export function short(n) {
  if (!Number.isFinite(n)) return "∞";
  const a = Math.abs(n);
  if (a >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (a >= 1e4) return `${Math.round(n / 1e3)}k`;
  if (a >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  if (a >= 100 || Number.isInteger(n)) return String(Math.round(n));
  if (a >= 10) return n.toFixed(1);
  return n.toFixed(2).replace(/\.?0+$/, "") || "0";
}

/** Milliseconds as "850 ms" / "2.4 s" / "∞". */
export function duration(ms) {
  if (ms === undefined || ms === null || Number.isNaN(ms)) return "–";
  if (!Number.isFinite(ms)) return "∞";
  return ms < 1000 ? `${Math.round(ms)} ms` : `${short(ms / 1000)} s`;
}

/** "key=value" lines -> an object; numbers and booleans become numbers and booleans. */
export function parseLines(text, what) {
  const out = {};
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    const eq = line.indexOf("=");
    if (eq <= 0) throw demoError(`${what}: line ${i + 1} ('${line}') is not key=value`);
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    out[key] = value === "true" ? true : value === "false" ? false : value !== "" && !Number.isNaN(Number(value)) ? Number(value) : value;
  });
  return out;
}

/** An error in one of the demo's own forms (not from switchyard); the error panel says so. */
export function demoError(message) {
  const e = new Error(message);
  e.name = "DemoFormError";
  return e;
}

/** Runs fn at most once per animation frame, however often it is asked for. */
export function perFrame(fn) {
  let queued = false;
  return () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      fn();
    });
  };
}
