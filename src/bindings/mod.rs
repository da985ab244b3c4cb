//! The `#[wasm_bindgen]` exports.
use wasm_bindgen::prelude::*;

/// The crate version, for the package facade's sanity check.
#[wasm_bindgen(js_name = version)]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
