// The dedicated-worker side of bench/pages/cross.html: runs lib/cross.js's agent on commands.
import { connect } from "/node_modules/switchyard/browser.js";
import { BroadcastChannel as BroadcastChannelLib } from "/alt/cross-alts.js";
import { createAgent, setPort } from "../lib/cross.js";

const agent = createAgent({ connect, BroadcastChannelLib });
self.onmessage = async ({ data }) => {
  if (data.port) return setPort(data.port);
  const { id, method, cell } = data;
  try {
    const value = method === "ready" ? true : await agent[method](cell);
    postMessage({ id, value });
  } catch (e) {
    postMessage({ id, error: String(e?.stack ?? e) });
  }
};
