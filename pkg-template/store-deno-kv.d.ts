import type { StoreAdapter } from "./index.js";

/** A store in Deno KV: one `kv.atomic()` per batch (split past KV's limits; see the module docs). */
export function denoKvStore(kv: unknown, prefix?: unknown[]): StoreAdapter;
