//! The message body in the wasm build: a JavaScript value, kept as it is (never copied), with
//! the message's JavaScript rendering cached so that fan-out and redelivery do not convert the
//! same exchange name, routing key and properties again.

use crate::bindings::convert::properties_to_js;
use crate::core::{Body, Message};
use std::cell::OnceCell;
use std::rc::Rc;
use wasm_bindgen::JsValue;

/// A JavaScript value as a message body, with the size counted for `x-max-length-bytes`.
#[derive(Debug, Clone)]
pub struct JsBody {
    /// The value as published (a Uint8Array/Buffer, a string, or any cloneable value).
    pub value: JsValue,
    /// Its size in bytes: byte length for binary data, UTF-16 length for strings, 0 otherwise.
    pub len: usize,
    rendered: Rc<Rendered>,
}

/// The message as JavaScript receives it, built once per message.
#[derive(Debug, Default)]
struct Rendered {
    exchange: OnceCell<JsValue>,
    routing_key: OnceCell<JsValue>,
    /// `undefined` for default properties (the facade makes a fresh default object).
    properties: OnceCell<JsValue>,
}

impl JsBody {
    /// A body published with `exchange` and `routing_key` as the JavaScript strings given.
    pub fn new(value: JsValue, len: usize, exchange: JsValue, routing_key: JsValue) -> JsBody {
        let rendered = Rendered::default();
        if exchange.is_string() {
            let _ = rendered.exchange.set(exchange);
        }
        let _ = rendered.routing_key.set(routing_key);
        JsBody { value, len, rendered: Rc::new(rendered) }
    }

    /// The message's exchange, routing key and properties as JavaScript values.
    pub fn render(m: &Message<JsBody>) -> (&JsValue, &JsValue, &JsValue) {
        let r = &m.body.rendered;
        let exchange = r.exchange.get_or_init(|| JsValue::from_str(&m.exchange));
        let key = r.routing_key.get_or_init(|| JsValue::from_str(&m.routing_key));
        let properties = r.properties.get_or_init(|| {
            if m.properties.is_default() {
                JsValue::UNDEFINED
            } else {
                properties_to_js(&m.properties)
            }
        });
        (exchange, key, properties)
    }
}

impl Body for JsBody {
    fn byte_len(&self) -> usize {
        self.len
    }

    fn message_changed(&mut self) {
        self.rendered = Rc::default();
    }
}
