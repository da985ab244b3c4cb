//! JavaScript values ↔ core types: option objects (with unknown-option checks), field tables,
//! message properties.

use super::errors::{range_error, type_error, INVALID_ARGUMENT, NOT_CLONEABLE, UNKNOWN_OPTION};
use crate::core::{FieldTable, FieldValue, Properties};
use js_sys::{Array, ArrayBuffer, Date, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

/// A JavaScript error value, ready to throw.
pub type JsResult<T> = Result<T, JsValue>;

const MAX_DEPTH: usize = 64;

/// An options object: `undefined`/`null` mean none; anything but a plain object is a
/// TypeError; a key outside `known` is a TypeError with code `SWITCHYARD_UNKNOWN_OPTION`.
pub struct Options {
    /// The options given, read once (options objects are small: a scan beats a property
    /// lookup per known name across the boundary).
    entries: Vec<(String, JsValue)>,
    what: &'static str,
}

impl Options {
    /// Reads and checks `value` as the options of method `what`.
    pub fn new(value: &JsValue, what: &'static str, known: &[&str]) -> JsResult<Options> {
        if value.is_undefined() || value.is_null() {
            return Ok(Options { entries: Vec::new(), what });
        }
        if !value.is_object() || Array::is_array(value) || value.is_function() {
            return Err(type_error(INVALID_ARGUMENT, &format!("{what}: options must be an object")));
        }
        let obj: &Object = value.unchecked_ref();
        let mut entries = Vec::new();
        for entry in Object::entries(obj).iter() {
            let pair: Array = entry.unchecked_into();
            let key = pair.get(0).as_string().unwrap_or_default();
            if !known.contains(&key.as_str()) {
                return Err(type_error(
                    UNKNOWN_OPTION,
                    &format!("{what}: unknown option '{key}' (known: {})", known.join(", ")),
                ));
            }
            entries.push((key, pair.get(1)));
        }
        Ok(Options { entries, what })
    }

    /// The option's value, unless it is absent, `undefined` or `null` (no call into JavaScript
    /// when the options object did not name it: publish reads a dozen options per message).
    fn raw(&self, key: &str) -> Option<&JsValue> {
        let (_, v) = self.entries.iter().find(|(k, _)| k == key)?;
        (!(v.is_undefined() || v.is_null())).then_some(v)
    }

    fn bad(&self, key: &str, expected: &str) -> JsValue {
        type_error(INVALID_ARGUMENT, &format!("{}: option '{key}' must be {expected}", self.what))
    }

    /// A boolean option (JavaScript truthiness is not accepted: it must be a boolean).
    pub fn bool(&self, key: &str) -> JsResult<Option<bool>> {
        let Some(v) = self.raw(key) else { return Ok(None) };
        v.as_bool().map(Some).ok_or_else(|| self.bad(key, "a boolean"))
    }

    /// A string option.
    pub fn string(&self, key: &str) -> JsResult<Option<String>> {
        let Some(v) = self.raw(key) else { return Ok(None) };
        v.as_string().map(Some).ok_or_else(|| self.bad(key, "a string"))
    }

    /// A non-negative integer option no larger than `max`.
    pub fn uint(&self, key: &str, max: u64) -> JsResult<Option<u64>> {
        let Some(v) = self.raw(key) else { return Ok(None) };
        let n = v.as_f64().ok_or_else(|| self.bad(key, "a number"))?;
        if !n.is_finite() || n.fract() != 0.0 || n < 0.0 || n > max as f64 {
            return Err(range_error(
                INVALID_ARGUMENT,
                &format!("{}: option '{key}' must be an integer from 0 to {max}, got {}", self.what, js_number(n)),
            ));
        }
        Ok(Some(n as u64))
    }

    /// A field-table option (an object of header-like values).
    pub fn table(&self, key: &str) -> JsResult<Option<FieldTable>> {
        let Some(v) = self.raw(key) else { return Ok(None) };
        table_from_js(v, self.what, key).map(Some)
    }

    /// The raw value of an option.
    pub fn value(&self, key: &str) -> JsValue {
        self.raw(key).cloned().unwrap_or(JsValue::UNDEFINED)
    }
}

/// A number as JavaScript prints it (keeps Rust's float formatting out of the wasm).
pub fn js_number(n: f64) -> String {
    js_sys::Number::from(n).to_string_with_radix(10).map(String::from).unwrap_or_default()
}

/// Checks a required string argument (a name or key) of at most 255 UTF-8 bytes.
pub fn name_arg(value: &JsValue, what: &str, arg: &str) -> JsResult<String> {
    let s = value
        .as_string()
        .ok_or_else(|| type_error(INVALID_ARGUMENT, &format!("{what}: {arg} must be a string")))?;
    if s.len() > 255 {
        return Err(range_error(INVALID_ARGUMENT, &format!("{what}: {arg} is longer than 255 bytes")));
    }
    Ok(s)
}

/// Like [`name_arg`], with `undefined`/`null` read as the empty string.
pub fn optional_name_arg(value: &JsValue, what: &str, arg: &str) -> JsResult<String> {
    if value.is_undefined() || value.is_null() {
        return Ok(String::new());
    }
    name_arg(value, what, arg)
}

/// A plain object as a field table.
pub fn table_from_js(value: &JsValue, what: &str, key: &str) -> JsResult<FieldTable> {
    if !value.is_object() || Array::is_array(value) {
        return Err(type_error(INVALID_ARGUMENT, &format!("{what}: option '{key}' must be an object")));
    }
    match field_from_js(value, 0)? {
        FieldValue::Table(t) => Ok(t),
        _ => Err(type_error(INVALID_ARGUMENT, &format!("{what}: option '{key}' must be a plain object"))),
    }
}

/// A JavaScript value as a field value: numbers that are safe integers become integers, byte
/// arrays bytes, Dates timestamps (seconds), arrays arrays, plain objects tables.
pub fn field_from_js(value: &JsValue, depth: usize) -> JsResult<FieldValue> {
    if depth > MAX_DEPTH {
        return Err(range_error(INVALID_ARGUMENT, "header values nest deeper than 64 levels (a cycle?)"));
    }
    if value.is_undefined() || value.is_null() {
        return Ok(FieldValue::Void);
    }
    if let Some(b) = value.as_bool() {
        return Ok(FieldValue::Bool(b));
    }
    if let Some(n) = value.as_f64() {
        let int = n.fract() == 0.0 && n.abs() <= 9_007_199_254_740_991.0;
        return Ok(if int { FieldValue::Int(n as i64) } else { FieldValue::Float(n) });
    }
    if let Some(s) = value.as_string() {
        return Ok(FieldValue::Str(s));
    }
    if value.is_bigint() {
        let s = js_sys::BigInt::from(value.clone()).to_string(10).ok().and_then(|s| s.as_string());
        return s
            .and_then(|s| s.parse::<i64>().ok())
            .map(FieldValue::Int)
            .ok_or_else(|| range_error(INVALID_ARGUMENT, "a BigInt header value must fit in 64 bits"));
    }
    if value.is_function() || value.is_symbol() {
        return Err(type_error(NOT_CLONEABLE, "functions and symbols cannot be header values"));
    }
    if let Some(a) = value.dyn_ref::<Uint8Array>() {
        return Ok(FieldValue::Bytes(a.to_vec()));
    }
    if let Some(a) = value.dyn_ref::<ArrayBuffer>() {
        return Ok(FieldValue::Bytes(Uint8Array::new(a).to_vec()));
    }
    if let Some(d) = value.dyn_ref::<Date>() {
        return Ok(FieldValue::Timestamp((d.get_time() / 1000.0).max(0.0) as u64));
    }
    if let Some(a) = value.dyn_ref::<Array>() {
        let items: JsResult<Vec<FieldValue>> = a.iter().map(|v| field_from_js(&v, depth + 1)).collect();
        return items.map(FieldValue::Array);
    }
    let obj: &Object = value.unchecked_ref();
    let tag = Reflect::get(obj, &JsValue::from_str("!")).unwrap_or(JsValue::UNDEFINED);
    if let Some(tag) = tag.as_string() {
        return typed_field(&tag, &Reflect::get(obj, &JsValue::from_str("value")).unwrap_or(JsValue::UNDEFINED));
    }
    let mut t = FieldTable::new();
    for entry in Object::entries(obj).iter() {
        let pair: Array = entry.unchecked_into();
        let k = pair.get(0).as_string().unwrap_or_default();
        t.insert(k, field_from_js(&pair.get(1), depth + 1)?);
    }
    Ok(FieldValue::Table(t))
}

/// amqplib's typed values: `{'!': 'timestamp', value: seconds}`, `{'!': 'float', value}`, …
fn typed_field(tag: &str, value: &JsValue) -> JsResult<FieldValue> {
    let bad = || type_error(INVALID_ARGUMENT, &format!("a header value {{'!': '{tag}'}} needs a numeric 'value'"));
    let n = value.as_f64().filter(|n| n.is_finite()).ok_or_else(bad)?;
    match tag {
        "timestamp" if n >= 0.0 && n.fract() == 0.0 => Ok(FieldValue::Timestamp(n as u64)),
        "float" | "double" => Ok(FieldValue::Float(n)),
        "byte" | "unsignedbyte" | "short" | "unsignedshort" | "int" | "unsignedint" | "long" if n.fract() == 0.0 => {
            Ok(FieldValue::Int(n as i64))
        }
        "timestamp" | "byte" | "unsignedbyte" | "short" | "unsignedshort" | "int" | "unsignedint" | "long" => Err(bad()),
        _ => Err(type_error(INVALID_ARGUMENT, &format!("unknown typed header value {{'!': '{tag}'}}"))),
    }
}

/// A field value as a JavaScript value.
pub fn field_to_js(value: &FieldValue) -> JsValue {
    match value {
        FieldValue::Void => JsValue::NULL,
        FieldValue::Bool(b) => JsValue::from_bool(*b),
        FieldValue::Int(i) => JsValue::from_f64(*i as f64),
        FieldValue::Float(f) => JsValue::from_f64(*f),
        FieldValue::Str(s) => JsValue::from_str(s),
        FieldValue::Bytes(b) => Uint8Array::from(b.as_slice()).into(),
        FieldValue::Timestamp(t) => {
            // amqplib's shape for an AMQP timestamp (seconds).
            let o = Object::new();
            set(&o, "!", JsValue::from_str("timestamp"));
            set(&o, "value", JsValue::from_f64(*t as f64));
            o.into()
        }
        FieldValue::Array(a) => a.iter().map(field_to_js).collect::<Array>().into(),
        FieldValue::Table(t) => table_to_js(t),
    }
}

/// A field table as a plain object.
pub fn table_to_js(t: &FieldTable) -> JsValue {
    let o = Object::new();
    for (k, v) in t {
        let _ = Reflect::set(&o, &JsValue::from_str(k), &field_to_js(v));
    }
    o.into()
}

/// Sets a property.
pub fn set(o: &Object, key: &str, v: JsValue) {
    let _ = Reflect::set(o, &JsValue::from_str(key), &v);
}

/// The order of properties in their array form (what crosses the boundary; the package facade's
/// `records.js` names them): contentType, contentEncoding, headers, deliveryMode, priority,
/// correlationId, replyTo, expiration, messageId, timestamp, type, userId, appId, clusterId.
/// Unset ones are `undefined`.
pub fn properties_to_js(p: &Properties) -> JsValue {
    let s = |v: &Option<String>| v.as_deref().map_or(JsValue::UNDEFINED, JsValue::from_str);
    let n = |v: Option<u64>| v.map_or(JsValue::UNDEFINED, |n| JsValue::from_f64(n as f64));
    let a = Array::new();
    for v in [
        s(&p.content_type),
        s(&p.content_encoding),
        p.headers.as_ref().map_or(JsValue::UNDEFINED, table_to_js),
        n(p.delivery_mode.map(u64::from)),
        n(p.priority.map(u64::from)),
        s(&p.correlation_id),
        s(&p.reply_to),
        s(&p.expiration),
        s(&p.message_id),
        n(p.timestamp),
        s(&p.kind),
        s(&p.user_id),
        s(&p.app_id),
        s(&p.cluster_id),
    ] {
        a.push(&v);
    }
    a.into()
}

/// The options `publish` knows (amqplib's, plus `delay`).
pub const PUBLISH_OPTIONS: &[&str] = &[
    "expiration",
    "userId",
    "CC",
    "BCC",
    "priority",
    "persistent",
    "deliveryMode",
    "mandatory",
    "immediate",
    "contentType",
    "contentEncoding",
    "headers",
    "correlationId",
    "replyTo",
    "messageId",
    "timestamp",
    "type",
    "appId",
    "clusterId",
    "delay",
];

/// Publish options as (properties, mandatory).
pub fn publish_options(value: &JsValue, what: &'static str) -> JsResult<(Properties, bool)> {
    let o = Options::new(value, what, PUBLISH_OPTIONS)?;
    if o.entries.is_empty() {
        return Ok((Properties::default(), false));
    }
    let mut p = Properties {
        content_type: o.string("contentType")?,
        content_encoding: o.string("contentEncoding")?,
        headers: o.table("headers")?,
        correlation_id: o.string("correlationId")?,
        reply_to: o.string("replyTo")?,
        message_id: o.string("messageId")?,
        kind: o.string("type")?,
        user_id: o.string("userId")?,
        app_id: o.string("appId")?,
        cluster_id: o.string("clusterId")?,
        priority: o.uint("priority", 255)?.map(|p| p as u8),
        timestamp: o.uint("timestamp", u64::MAX >> 11)?,
        ..Properties::default()
    };
    if let Some(exp) = o.raw("expiration") {
        let ms = match (exp.as_f64(), exp.as_string()) {
            (Some(n), _) if n.is_finite() && n.fract() == 0.0 && n >= 0.0 => n as u64,
            (None, Some(s)) => crate::core::parse_expiration(&s).ok_or_else(|| {
                range_error(INVALID_ARGUMENT, &format!("{what}: expiration must be a non-negative integer of milliseconds, got '{s}'"))
            })?,
            _ => {
                return Err(range_error(
                    INVALID_ARGUMENT,
                    &format!("{what}: expiration must be a non-negative integer of milliseconds"),
                ))
            }
        };
        p.expiration = Some(ms.to_string());
    }
    let delivery_mode = if let Some(b) = o.raw("deliveryMode").and_then(|dm| dm.as_bool()) {
        b.then_some(2)
    } else {
        match o.uint("deliveryMode", 2)? {
            Some(0) | None => None,
            Some(m) => Some(m as u8),
        }
    };
    p.delivery_mode = match o.bool("persistent")? {
        Some(true) => Some(2),
        Some(false) => delivery_mode.or(Some(1)),
        None => delivery_mode,
    };
    if o.bool("immediate")? == Some(true) {
        return Err(type_error(INVALID_ARGUMENT, &format!("{what}: 'immediate' is not supported (RabbitMQ 3 removed it)")));
    }
    for key in ["CC", "BCC"] {
        let Some(v) = o.raw(key) else { continue };
        let keys: Vec<FieldValue> = if let Some(s) = v.as_string() {
            vec![FieldValue::Str(s)]
        } else if let Some(a) = v.dyn_ref::<Array>() {
            a.iter()
                .map(|k| k.as_string().map(FieldValue::Str))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| o.bad(key, "a string or an array of strings"))?
        } else {
            return Err(o.bad(key, "a string or an array of strings"));
        };
        p.set_header(key, FieldValue::Array(keys));
    }
    if let Some(d) = o.uint("delay", u32::MAX as u64)? {
        p.set_header("x-delay", FieldValue::Int(d as i64));
    }
    Ok((p, o.bool("mandatory")?.unwrap_or(false)))
}
