//! The shared wasm test tree (`tests/wasm/`) in a headless browser's service worker:
//! `CHROMEDRIVER=/usr/bin/chromedriver cargo test --target wasm32-unknown-unknown --test wasm_service_worker`.
#![cfg(target_arch = "wasm32")]

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_service_worker);

#[path = "wasm/mod.rs"]
mod common;
