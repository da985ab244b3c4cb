//! One timer on the global `setTimeout`, which exists in windows, workers, Node, Deno and edge
//! runtimes. In Node the timer is `unref`'d: an armed TTL does not keep a process alive by
//! itself (an open connection does; see the package facade).

use js_sys::{Function, Reflect};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Function, ms: f64) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(handle: &JsValue);
}

/// An armed timer; dropping it cancels it.
#[derive(Debug)]
pub struct Timer {
    handle: JsValue,
    /// When it fires (ms since the epoch).
    pub deadline: u64,
}

impl Timer {
    /// Calls `handler` after `ms` milliseconds.
    pub fn arm(handler: &Function, ms: u64, deadline: u64) -> Timer {
        let handle = set_timeout(handler, ms.min(i32::MAX as u64) as f64);
        if let Ok(unref) = Reflect::get(&handle, &JsValue::from_str("unref")) {
            if let Some(f) = unref.dyn_ref::<Function>() {
                let _ = f.call0(&handle);
            }
        }
        Timer { handle, deadline }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        clear_timeout(&self.handle);
    }
}
