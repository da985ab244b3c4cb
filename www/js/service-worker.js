// The origin's service worker, as a host for consumers like the shared worker: each tab sends it a
// MessagePort ({ t: "port" }) and talks to it there (consumer-host.js). It controls no page (its
// scope is a path nothing loads). A browser stops an idle service worker (Chromium after 30 s
// without an event) and its consumers with it; each tab that uses it pings it every 10 s.
import { ConsumerHost, busOf } from "./consumer-host.js";

const host = new ConsumerHost(busOf(location.href));
self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("message", (event) => {
  if (event.data?.t !== "port") return; // { t: "ping" }: the event itself keeps the worker alive
  const [port] = event.ports;
  const receive = host.attach(port);
  port.onmessage = ({ data }) => receive(data);
});
