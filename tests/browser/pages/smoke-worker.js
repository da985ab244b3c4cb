// Module workers do not see the page's import map, so this imports the package's file path.
import { ready, version } from "/node_modules/switchyard/browser.js";

await ready();
postMessage(version());
