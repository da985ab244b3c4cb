//! switchyard: RabbitMQ's model as a sans-IO Rust core compiled to WebAssembly.
//!
//! The crate is layered (see the README):
//! - [`core`]: the broker as a pure state machine — exchanges, bindings, queues, consumers,
//!   acknowledgements, dead-lettering, TTLs, priorities, confirms. No clock, no I/O.
//! - [`store`]: persistence of what the core emits as store operations.
//! - `driver` and `bindings` (wasm32 only): timers, the JavaScript boundary.
#![deny(missing_docs)]

/// Talc replaces the default wasm allocator (dlmalloc): smaller and faster in the browser.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

pub mod core;
pub mod store;

#[cfg(target_arch = "wasm32")]
pub mod bindings;
#[cfg(target_arch = "wasm32")]
pub mod driver;
