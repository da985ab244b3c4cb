// The dedicated-worker side of bench/pages/cross.html: runs lib/cross.js's agent on commands.
import { connect } from "/node_modules/switchyard/browser.js";
import { BroadcastChannel as BroadcastChannelLib, connectToHost, createBroadcastChannelTransport, postal } from "/alt/cross-alts.js";
import { createAgent, setPort } from "../lib/cross.js";

// "postalListen" starts postal-transport-messageport's handshake here (the page then connects);
// the agent's endpoint awaits the transport it yields.
let hostTransport = null;
const postalPort = () => hostTransport;
const agent = createAgent({ connect, BroadcastChannelLib, postal, createBroadcastChannelTransport, postalPort });
self.onmessage = async ({ data }) => {
  if (data.port) return setPort(data.port);
  if (!data.method) return; // e.g. the postal handshake's SYN, which connectToHost handles
  const { id, method, cell } = data;
  try {
    let value;
    if (method === "ready") value = true;
    else if (method === "postalListen") {
      hostTransport = connectToHost();
      value = true;
    } else value = await agent[method](cell);
    postMessage({ id, value });
  } catch (e) {
    postMessage({ id, error: String(e?.stack ?? e) });
  }
};
