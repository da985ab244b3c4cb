// A dedicated worker that runs consumers for the tab that started it (consumer-host.js does the
// work; worker-host.js is the tab's side). It lives and dies with its tab.
import { ConsumerHost, busOf } from "./consumer-host.js";

const receive = new ConsumerHost(busOf(location.href)).attach(self);
self.onmessage = ({ data }) => receive(data);
