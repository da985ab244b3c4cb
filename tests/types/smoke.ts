// Type-checked (never run) against the installed package: `make test-types`.
import { version } from "switchyard";
import { init, version as slimVersion, type InitInput } from "switchyard/slim";

const v: string = version();
// @ts-expect-error version() takes no arguments
version(1);
// @ts-expect-error version() returns a string
const n: number = version();

const inputs: InitInput[] = [new Uint8Array(0), new URL("./switchyard_bg.wasm", import.meta.url)];
await init(inputs[0]);
await init();
const s: string = slimVersion();

export { v, n, s };
