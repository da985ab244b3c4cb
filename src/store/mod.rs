//! Persistence of the core's store operations.
//!
//! The broker describes every durable change as a [`crate::core::StoreOp`] and hands them over
//! in batches ([`crate::core::Broker::take_store_batch`]); a store writes one batch atomically
//! and reports the commit, which releases the publisher confirms waiting on it. On start a store
//! hands back a [`crate::core::Snapshot`] to restore from.
//!
//! - [`memory::MemoryStore`] keeps the durable state in Rust (native tests, and the reference
//!   for what applying a batch means).
//! - In JavaScript runtimes the store is an *adapter*: an object with `load()`, `apply(batch)`
//!   and `close()`. The package ships one over IndexedDB (`pkg-template/store-indexeddb.js`)
//!   and one over a `Map`; Durable Object storage or Deno KV plug in the same way. The wasm side
//!   converts batches to plain JavaScript objects (`src/bindings/records.rs`); the adapter writes
//!   them in one transaction.

pub mod memory;
