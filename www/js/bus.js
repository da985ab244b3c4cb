// The bus across contexts: which context leads, every tab and worker connected (from
// conn.contexts(), asked of the leader) with its consumers, a control to close the leader, and a
// banner when this tab's connection fails over to a new leader (conn's `failover` event).
//
// Names: each tab takes the smallest free "tab N" (a Web Lock it holds while it lives) and puts it
// in its title, which the bus reports as the context's label. A worker's label is its script's
// path, so tabs tell each other what they called their workers on a BroadcastChannel of the
// demo's own (the "roster"), which also carries "close the leader" and a tab's goodbye (the
// moment a closing tab went away, from which the failover time is measured).
import { h, $, duration } from "./dom.js";

const ROSTER = "switchyard-demo:roster";
const LEADER_POLL_MS = 50;
const BANNER_MS = 20_000;

/** The Web Lock tab `name` holds while it lives (a shared or service worker waits on it). */
export const tabLock = (name) => `switchyard-demo:${name.replace(" ", ":")}`;

/** The smallest "tab N" no other open tab of this origin holds. */
export async function claimTabName() {
  if (!navigator.locks) return "this tab";
  for (let n = 1; ; n++) {
    const got = await new Promise((resolve) => {
      navigator.locks
        .request(tabLock(`tab ${n}`), { ifAvailable: true }, (lock) => {
          resolve(!!lock);
          return lock ? new Promise(() => {}) : undefined; // held until the tab closes
        })
        .catch(() => resolve(false));
    });
    if (got) return `tab ${n}`;
  }
}

/** Names of contexts, shared between the demo's tabs. */
class Roster {
  names = new Map();
  byes = new Map(); // context id -> Date.now() when it said goodbye
  #own = new Map();
  #port = typeof BroadcastChannel === "function" ? new BroadcastChannel(ROSTER) : null;

  constructor({ onCloseRequest, onChange }) {
    this.onChange = onChange;
    if (!this.#port) return;
    this.#port.onmessage = ({ data: m }) => {
      if (m?.t === "who") this.#tell();
      else if (m?.t === "names") {
        for (const [id, name] of Object.entries(m.names)) this.names.set(id, name);
        this.onChange();
      } else if (m?.t === "bye") for (const id of m.ids) this.byes.set(id, m.at);
      else if (m?.t === "close" && this.#own.has(m.id)) onCloseRequest(m.from);
    };
    this.#port.postMessage({ t: "who" });
    addEventListener("pagehide", () => this.#port.postMessage({ t: "bye", ids: [...this.#own.keys()], at: Date.now() }));
  }

  /** This tab's name for one of its own contexts (itself, its worker). */
  own(id, name) {
    this.#own.set(id, name);
    this.names.set(id, name);
    this.#tell();
    this.onChange();
  }

  #tell() {
    this.#port?.postMessage({ t: "names", names: Object.fromEntries(this.#own) });
  }

  askToClose(id, from) {
    this.#port?.postMessage({ t: "close", id, from });
  }
}

/** A consumer's name under its context: "C1", or "tab 2 · C1" in a worker that every tab shares. */
const chipLabel = (tag) => {
  const parts = tag.split(" · ");
  return parts.length > 2 ? parts.slice(1).join(" · ") : parts.at(-1);
};

export class BusView {
  #root;
  #conn;
  #list;
  #control;
  #banner;
  #contexts = [];
  #leaderId;
  #lost = null; // { leaderId, at } while the leader is gone
  #failover = null;
  #closeAsked = null;

  /** name: this tab's name. onFailover(): after the banner is up (the page redraws). */
  constructor(root, { conn, name, errors }) {
    this.#root = root;
    this.#conn = conn;
    this.name = name;
    this.errors = errors;
    this.self = conn.linkState().contextId;
    this.#list = $(".contexts", root);
    this.#control = $(".leader-control", root);
    this.#banner = $(".failover-banner", root);
    this.roster = new Roster({ onCloseRequest: (from) => this.#closeRequested(from), onChange: () => this.#draw() });
    this.roster.own(this.self, name);
    this.#leaderId = conn.linkState().leaderId;

    // The leader's loss is seen when this context's link drops it (leaderId null) and ends with
    // the `failover` event, once this context's connections are re-established on the new leader.
    setInterval(() => {
      const { leaderId } = conn.linkState();
      if (leaderId === null && this.#lost === null) this.#lost = { leaderId: this.#leaderId, at: Date.now() };
      if (leaderId !== null) this.#leaderId = leaderId;
      this.#drawControl();
    }, LEADER_POLL_MS);
    conn.on("failover", (event) => this.#failedOver(event));
    this.#draw();
  }

  /** Whose consumer is it: this tab's, its worker's, or this tab's in the shared or service worker. */
  mine = (contextId, tag = "") =>
    contextId === this.self || this.roster.names.get(contextId)?.startsWith(`${this.name} worker`) || tag.includes(` · ${this.name} · `);

  /** How the page names a context. */
  nameOf = (c) => this.roster.names.get(c.id) ?? (c.kind === "tab" || c.kind === "frame" ? c.label.split(" · ")[0] || c.kind : c.kind);

  setContexts(contexts) {
    this.#contexts = contexts;
    this.#draw();
  }

  /** Each stats sample: the banner counts the new leader's redeliveries. */
  sample(stats) {
    const f = this.#failover;
    if (!f || Date.now() - f.at > BANNER_MS) return;
    f.redelivered = stats.reduce((a, st) => a + st.redelivered, 0);
    this.#drawBanner();
  }

  #failedOver({ leaderId, errors }) {
    const lost = this.#lost ?? { leaderId: this.#leaderId, at: Date.now() };
    const bye = this.roster.byes.get(lost.leaderId);
    const since = bye !== undefined && bye <= lost.at ? bye : lost.at;
    this.#failover = {
      from: this.roster.names.get(lost.leaderId) ?? "the old leader",
      fromId: lost.leaderId,
      to: leaderId,
      at: Date.now(),
      took: Date.now() - since,
      redelivered: 0,
      errors: errors.length,
    };
    this.#lost = null;
    this.#leaderId = leaderId;
    for (const err of errors) this.errors.report(err, "recovery on the new leader (re-declaring this tab's topology)");
    this.#drawBanner();
    this.#draw();
  }

  #drawBanner() {
    const f = this.#failover;
    if (!f) return;
    const to = this.roster.names.get(f.to) ?? "a new leader";
    const here = f.to === this.self ? " (this tab)" : "";
    this.#banner.hidden = false;
    Object.assign(this.#banner.dataset, { took: f.took, redelivered: f.redelivered, leader: to });
    this.#banner.replaceChildren(
      h("b", {}, "Failover. "),
      `${f.from} went away; `,
      h("b", {}, `${to}${here}`),
      " leads now. Re-established in ",
      h("b", { class: "took" }, duration(f.took)),
      "; ",
      h("b", { class: "redelivered" }, String(f.redelivered)),
      ` message${f.redelivered === 1 ? "" : "s"} redelivered by the new leader (durable ones restored from IndexedDB)`,
      f.errors ? `; ${f.errors} recovery error${f.errors === 1 ? "" : "s"} (see Errors).` : ".",
      h("button", { type: "button", class: "tiny ghost", "aria-label": "dismiss", onclick: () => (this.#banner.hidden = true) }, "×"),
    );
  }

  #draw() {
    const leader = this.#contexts.find((c) => c.leader);
    this.#list.replaceChildren(
      ...this.#contexts.map((c) => {
        const self = c.id === this.self;
        const consumers = c.consumers.map((x) =>
          x.queue === "amq.rabbitmq.reply-to"
            ? h("li", { class: "chip reply-to", title: `consumerTag ${x.consumerTag}: the publish form's replies (direct reply-to)` }, "replies ← ", h("code", {}, "amq.rabbitmq.reply-to"))
            : h("li", { class: "chip", title: `consumerTag ${x.consumerTag}` }, h("span", {}, chipLabel(x.consumerTag)), " → ", h("code", {}, x.queue)),
        );
        return h(
          "li",
          { class: `context${c.leader ? " leader" : ""}${self ? " self" : ""}`, "data-context": this.nameOf(c), "data-kind": c.kind, "data-leader": c.leader ? "true" : "false" },
          h(
            "div",
            { class: "context-head" },
            h("span", { class: "kind", title: c.kind }, c.kind === "tab" || c.kind === "frame" ? "▭" : "⚙"),
            h("b", { class: "context-name", title: c.label }, this.nameOf(c)),
            h("span", { class: "kind-text" }, c.kind),
            c.leader && h("span", { class: "badge leader-badge", title: "holds the leader lock and runs the broker" }, "leader"),
            self && h("span", { class: "badge self-badge" }, "this tab"),
          ),
          consumers.length ? h("ul", { class: "chips" }, ...consumers) : h("p", { class: "no-consumers" }, `${c.connections} connection${c.connections === 1 ? "" : "s"}, no consumers`),
        );
      }),
    );
    this.#root.dataset.leader = leader ? this.nameOf(leader) : "";
    this.#drawControl();
  }

  #drawControl() {
    const { leader, leaderId } = this.#conn.linkState();
    const key = `${leader}|${leaderId}|${this.#closeAsked}|${this.#contexts.length}`;
    if (this.#control.dataset.key === key) return;
    this.#control.dataset.key = key;
    const others = this.#contexts.filter((c) => c.kind === "tab" && !c.leader).length;
    const open = h("button", { type: "button", class: "small ghost", onclick: () => window.open(location.href, "_blank") }, "Open another tab");
    if (leaderId === null) {
      this.#control.replaceChildren(h("p", { class: "electing" }, "The leader is gone: electing a new one…"));
    } else if (leader) {
      this.#control.replaceChildren(
        h(
          "p",
          {},
          h("b", {}, "This tab leads the bus"),
          ": its broker serves every tab and worker above. ",
          this.#closeAsked
            ? h("b", { class: "close-here" }, `${this.#closeAsked} asked to close it: close this tab (Ctrl+W / ⌘W) to see a failover.`)
            : others
              ? "Close this tab to watch another one take over."
              : "Open another tab, then close this one to watch the other take over.",
        ),
        h("div", { class: "row" }, open, h("button", { type: "button", class: "small danger", onclick: () => this.#closeSelf() }, "Close this tab")),
      );
    } else {
      const name = this.roster.names.get(leaderId) ?? "the leader";
      this.#control.replaceChildren(
        h("p", {}, h("b", {}, name), " leads the bus; this tab forwards its calls there."),
        h(
          "div",
          { class: "row" },
          open,
          h("button", { type: "button", class: "small danger close-leader", onclick: () => this.roster.askToClose(leaderId, this.name) }, `Close the leader (${name})`),
        ),
      );
    }
  }

  // Browsers let window.close() close only a tab that a script opened ("Open another tab").
  #closeSelf() {
    window.close();
    setTimeout(() => {
      this.#closeAsked = "You";
      this.#drawControl();
    }, 200);
  }

  #closeRequested(from) {
    window.close();
    setTimeout(() => {
      this.#closeAsked = from ?? "Another tab";
      this.#drawControl();
    }, 200);
  }
}
