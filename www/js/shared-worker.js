// The origin's shared worker: one instance for every tab of the demo (same script, same name),
// each tab connected on a port of its own. Its consumers belong to the tab that started them
// and stop when that tab goes (consumer-host.js); the worker ends with the last tab.
import { ConsumerHost, busOf } from "./consumer-host.js";

const host = new ConsumerHost(busOf(location.href));
self.onconnect = ({ ports: [port] }) => {
  const receive = host.attach(port);
  port.onmessage = ({ data }) => receive(data);
};
