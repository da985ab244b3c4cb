import type { StoreAdapter } from "./index.js";

/** A store in a Durable Object's `state.storage`: one `storage.transaction()` per batch. */
export function durableObjectStore(storage: unknown, options?: { prefix?: string }): StoreAdapter;
