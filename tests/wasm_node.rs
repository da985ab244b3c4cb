//! The shared wasm test tree (`tests/wasm/`) in Node: `cargo test --target wasm32-unknown-unknown --test wasm_node`.
#![cfg(target_arch = "wasm32")]

#[path = "wasm/mod.rs"]
mod common;
