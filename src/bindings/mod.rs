//! The `#[wasm_bindgen]` exports: the only place JavaScript values meet the core.
//!
//! The package facade (`pkg-template/facade.js`) builds amqplib's `Connection`/`Channel`
//! classes on the one class exported here, [`bus::Bus`], which takes numeric connection and
//! channel ids and plain JavaScript option objects, validates them, and calls the broker
//! through the driver.

pub mod bus;
pub mod convert;
pub mod errors;
pub mod records;

use wasm_bindgen::prelude::*;

/// The crate version, for the package facade's sanity check.
#[wasm_bindgen(js_name = version)]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
