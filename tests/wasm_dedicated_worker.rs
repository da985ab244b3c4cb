//! The shared wasm test tree (`tests/wasm/`) in a dedicated worker of a headless browser:
//! `CHROMEDRIVER=/usr/bin/chromedriver cargo test --target wasm32-unknown-unknown --test wasm_dedicated_worker`.
#![cfg(target_arch = "wasm32")]

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_dedicated_worker);

#[path = "wasm/mod.rs"]
mod common;
