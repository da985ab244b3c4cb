// The error panel: every error the page meets, shown as a developer gets it from the package
// (err.name, err.code, err.message), with what happened to the channel afterwards.
import { h } from "./dom.js";

const KEEP = 8;

export class ErrorPanel {
  #list;
  #count;
  #entries = [];

  constructor(root) {
    this.#list = root.querySelector(".error-list");
    this.#count = root.querySelector(".error-count");
    root.querySelector(".error-clear").addEventListener("click", () => {
      this.#entries = [];
      this.#render();
    });
    this.#render();
  }

  /**
   * Shows an error. `op` is the call that failed, as code; `notes` say what it means. Returns the
   * entry, so that a later event (the channel's 'error' and 'close') can add to it.
   */
  report(err, op, ...notes) {
    const entry = { err, op, notes: notes.filter(Boolean), followUps: [], at: new Date() };
    this.#entries.unshift(entry);
    this.#entries.length = Math.min(this.#entries.length, KEEP);
    this.#render();
    return entry;
  }

  /** Adds a later error (e.g. the channel's 'error' event) or a note to an entry. */
  follow(entry, { err, note }) {
    if (err) entry.followUps.push(err);
    if (note) entry.notes.push(note);
    this.#render();
  }

  #render() {
    this.#count.textContent = this.#entries.length ? String(this.#entries.length) : "";
    if (!this.#entries.length) {
      this.#list.replaceChildren(
        h("p", { class: "empty" }, "No errors yet. Publish to an exchange that does not exist, or try one of the mistakes above."),
      );
      return;
    }
    this.#list.replaceChildren(...this.#entries.map((e, i) => this.#row(e, i === 0)));
  }

  #row({ err, op, notes, followUps, at }, fresh) {
    return h(
      "article",
      { class: `error${fresh ? " fresh" : ""}` },
      h(
        "header",
        {},
        h("code", { class: "err-name" }, err?.name ?? typeof err),
        err?.code !== undefined && h("code", { class: "err-code" }, String(err.code)),
        h("time", {}, at.toLocaleTimeString()),
      ),
      op && h("code", { class: "err-op" }, op),
      h("p", { class: "err-message" }, err?.message ?? String(err)),
      ...followUps.map((f) =>
        h("p", { class: "err-follow" }, "then ", h("code", {}, "'error'"), " event: ", h("code", {}, `${f.name} ${f.code ?? ""}`), " ", f.message),
      ),
      ...notes.map((n) => h("p", { class: "err-note" }, n)),
    );
  }
}
