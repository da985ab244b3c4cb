//! The message body in the wasm build: a JavaScript value, kept as it is (never copied), with
//! the message's JavaScript rendering cached so that fan-out and redelivery do not convert the
//! same exchange name, routing key and properties again.

use crate::bindings::convert::properties_to_js;
use crate::core::{Body, Message};
use std::cell::OnceCell;
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};

/// A message body: bytes, copied into wasm memory when published (a publisher may reuse its
/// buffer, as with a network broker; a 16-byte body then costs ~30 bytes here instead of a
/// JavaScript typed array per message), or any other JavaScript value, kept as it is.
#[derive(Debug, Clone)]
pub struct JsBody {
    content: Content,
    /// Its size in bytes: byte length for binary data, UTF-8 length for strings, 0 otherwise.
    pub len: usize,
    /// Made at the first delivery (a queued message does not carry it).
    rendered: OnceCell<Box<Rendered>>,
}

#[derive(Debug, Clone)]
enum Content {
    Bytes(Rc<[u8]>),
    Value(JsValue),
}

/// The message as JavaScript receives it, built once per message.
#[derive(Debug, Default, Clone)]
struct Rendered {
    exchange: OnceCell<JsValue>,
    routing_key: OnceCell<JsValue>,
    /// `undefined` for default properties (the facade makes a fresh default object).
    properties: OnceCell<JsValue>,
}

impl JsBody {
    /// A body published (or restored) as `value`: bytes (a Uint8Array, any other typed array
    /// or DataView, an ArrayBuffer) are copied; anything else is kept.
    pub fn new(value: JsValue) -> JsBody {
        let content = if let Some(a) = value.dyn_ref::<js_sys::Uint8Array>() {
            Content::Bytes(a.to_vec().into())
        } else if let Some(b) = value.dyn_ref::<js_sys::ArrayBuffer>() {
            Content::Bytes(js_sys::Uint8Array::new(b).to_vec().into())
        } else if js_sys::ArrayBuffer::is_view(&value) {
            let v: &js_sys::DataView = value.unchecked_ref(); // buffer, byteOffset, byteLength
            Content::Bytes(js_sys::Uint8Array::new_with_byte_offset_and_length(&v.buffer(), v.byte_offset() as u32, v.byte_length() as u32).to_vec().into())
        } else {
            Content::Value(value)
        };
        let len = match &content {
            Content::Bytes(b) => b.len(),
            Content::Value(v) => v.as_string().map_or(0, |s| s.len()),
        };
        JsBody { content, len, rendered: OnceCell::new() }
    }

    /// The size `value` would have as a body, without copying bytes.
    pub fn size_of(value: &JsValue) -> usize {
        if let Some(b) = value.dyn_ref::<js_sys::ArrayBuffer>() {
            b.byte_length() as usize
        } else if js_sys::ArrayBuffer::is_view(value) {
            value.unchecked_ref::<js_sys::DataView>().byte_length()
        } else {
            value.as_string().map_or(0, |s| s.len())
        }
    }

    /// The body for the sink's `deliver` and `returned`: `(value, ptr, len)`. Bytes are not
    /// copied out here: the value is `undefined` and the sink copies `len` bytes at `ptr` of
    /// the wasm memory itself, at once (into Node's pooled Buffers, or a new Uint8Array: one
    /// allocation per delivery). Any other value is passed as published.
    pub fn for_sink(&self) -> (JsValue, u32, u32) {
        match &self.content {
            Content::Bytes(b) => (JsValue::UNDEFINED, b.as_ptr() as u32, b.len() as u32),
            Content::Value(v) => (v.clone(), 0, 0),
        }
    }

    /// The body for JavaScript: bytes as a new Uint8Array (each delivery owns its copy), any
    /// other value as published.
    pub fn to_js(&self) -> JsValue {
        match &self.content {
            Content::Bytes(b) => js_sys::Uint8Array::from(&b[..]).into(),
            Content::Value(v) => v.clone(),
        }
    }

    /// The message's exchange, routing key and properties as JavaScript values.
    pub fn render(m: &Message<JsBody>) -> (&JsValue, &JsValue, &JsValue) {
        let r = m.body.rendered.get_or_init(Box::default);
        let exchange = r.exchange.get_or_init(|| js_string(&m.exchange));
        let key = r.routing_key.get_or_init(|| js_string(&m.routing_key));
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
        self.rendered = OnceCell::new();
    }
}

thread_local! {
    /// Exchange names and routing keys rendered lately: messages mostly share a few.
    static RECENT: std::cell::RefCell<Vec<(Box<str>, JsValue)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// `s` as a JavaScript string, from a small cache of recent ones.
fn js_string(s: &str) -> JsValue {
    RECENT.with(|recent| {
        let mut recent = recent.borrow_mut();
        if let Some(i) = recent.iter().position(|(k, _)| **k == *s) {
            return recent[i].1.clone();
        }
        let js = JsValue::from_str(s);
        if recent.len() == 16 {
            recent.remove(0);
        }
        recent.push((s.into(), js.clone()));
        js
    })
}
