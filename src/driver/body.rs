//! The message body in the wasm build: a JavaScript value, kept as it is (never copied).

use crate::core::Body;
use wasm_bindgen::JsValue;

/// A JavaScript value as a message body, with the size counted for `x-max-length-bytes`.
#[derive(Debug, Clone)]
pub struct JsBody {
    /// The value as published (a Uint8Array/Buffer, a string, or any cloneable value).
    pub value: JsValue,
    /// Its size in bytes: byte length for binary data, UTF-16 length for strings, 0 otherwise.
    pub len: usize,
}

impl Body for JsBody {
    fn byte_len(&self) -> usize {
        self.len
    }
}
