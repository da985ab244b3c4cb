//! Store records as plain JavaScript objects, the shape store adapters read and write.
//!
//! A batch is an array of operations, each `{ op, … }`:
//! `putExchange {name, type, durable, autoDelete, internal, arguments}`, `deleteExchange {name}`,
//! `putQueue {name, durable, exclusive, autoDelete, arguments}`, `deleteQueue {name}` (its
//! messages go with it), `putBinding` / `deleteBinding {source, destination, destinationType,
//! routingKey, arguments}`, `putMessage {queue, id, exchange, routingKey, properties, body,
//! enqueuedAt, expiresAt, deliveryCount, notBefore, bcc}`, `updateMessage {queue, id,
//! deliveryCount, notBefore}`, `deleteMessage {queue, id}`, `putDelayed {id, due, mandatory,
//! exchange, routingKey, properties, body, bcc}`, `deleteDelayed {id}`. A snapshot for `load()`
//! is `{exchanges, queues, bindings, messages, delayed}` of the same shapes (without `op`).
//! `null` stands for an absent time.

use super::convert::{properties_to_js, table_from_js, table_to_js, JsResult};
use super::errors::{type_error, INVALID_ARGUMENT};
use crate::core::{
    Binding, DelayedRecord, Destination, ExchangeKind, ExchangeOptions, ExchangeRecord, FieldTable,
    Message, MessageRecord, Properties, QueueOptions, QueueRecord, Snapshot, StoreOp,
};
use crate::driver::JsBody;
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

fn set(o: &Object, k: &str, v: JsValue) {
    let _ = Reflect::set(o, &JsValue::from_str(k), &v);
}

fn get(o: &JsValue, k: &str) -> JsValue {
    Reflect::get(o, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED)
}

fn num(v: Option<u64>) -> JsValue {
    v.map_or(JsValue::NULL, |n| JsValue::from_f64(n as f64))
}

fn op(name: &str) -> Object {
    let o = Object::new();
    set(&o, "op", JsValue::from_str(name));
    o
}

fn strings(v: &[String]) -> JsValue {
    v.iter().map(|s| JsValue::from_str(s)).collect::<Array>().into()
}

fn exchange_js(o: &Object, x: &ExchangeRecord) {
    set(o, "name", JsValue::from_str(&x.name));
    set(o, "type", JsValue::from_str(x.kind.as_str()));
    set(o, "durable", JsValue::from_bool(x.options.durable));
    set(o, "autoDelete", JsValue::from_bool(x.options.auto_delete));
    set(o, "internal", JsValue::from_bool(x.options.internal));
    set(o, "arguments", table_to_js(&x.options.arguments));
}

fn queue_js(o: &Object, q: &QueueRecord) {
    set(o, "name", JsValue::from_str(&q.name));
    set(o, "durable", JsValue::from_bool(q.options.durable));
    set(o, "exclusive", JsValue::from_bool(q.options.exclusive));
    set(o, "autoDelete", JsValue::from_bool(q.options.auto_delete));
    set(o, "arguments", table_to_js(&q.options.arguments));
}

fn binding_js(o: &Object, b: &Binding) {
    set(o, "source", JsValue::from_str(&b.source));
    set(o, "destination", JsValue::from_str(b.destination.name()));
    let kind = if matches!(b.destination, Destination::Queue(_)) { "queue" } else { "exchange" };
    set(o, "destinationType", JsValue::from_str(kind));
    set(o, "routingKey", JsValue::from_str(&b.key));
    set(o, "arguments", table_to_js(&b.arguments));
}

fn message_js(o: &Object, m: &Message<JsBody>) {
    set(o, "exchange", JsValue::from_str(&m.exchange));
    set(o, "routingKey", JsValue::from_str(&m.routing_key));
    set(o, "properties", properties_to_js(&m.properties));
    set(o, "body", m.body.value.clone());
    set(o, "bcc", strings(&m.bcc));
}

/// One store operation as a JavaScript object.
pub fn op_to_js(op_: &StoreOp<JsBody>) -> JsValue {
    let o = match op_ {
        StoreOp::PutExchange(x) => {
            let o = op("putExchange");
            exchange_js(&o, x);
            o
        }
        StoreOp::DeleteExchange(name) => {
            let o = op("deleteExchange");
            set(&o, "name", JsValue::from_str(name));
            o
        }
        StoreOp::PutQueue(q) => {
            let o = op("putQueue");
            queue_js(&o, q);
            o
        }
        StoreOp::DeleteQueue(name) => {
            let o = op("deleteQueue");
            set(&o, "name", JsValue::from_str(name));
            o
        }
        StoreOp::PutBinding(b) | StoreOp::DeleteBinding(b) => {
            let o = op(if matches!(op_, StoreOp::PutBinding(_)) { "putBinding" } else { "deleteBinding" });
            binding_js(&o, b);
            o
        }
        StoreOp::PutMessage(m) => {
            let o = op("putMessage");
            set(&o, "queue", JsValue::from_str(&m.queue));
            set(&o, "id", JsValue::from_f64(m.id as f64));
            message_js(&o, &m.message);
            set(&o, "enqueuedAt", JsValue::from_f64(m.enqueued_at as f64));
            set(&o, "expiresAt", num(m.expires_at));
            set(&o, "deliveryCount", JsValue::from(m.delivery_count));
            set(&o, "notBefore", num(m.not_before));
            o
        }
        StoreOp::UpdateMessage { queue, id, delivery_count, not_before } => {
            let o = op("updateMessage");
            set(&o, "queue", JsValue::from_str(queue));
            set(&o, "id", JsValue::from_f64(*id as f64));
            set(&o, "deliveryCount", JsValue::from(*delivery_count));
            set(&o, "notBefore", num(*not_before));
            o
        }
        StoreOp::DeleteMessage { queue, id } => {
            let o = op("deleteMessage");
            set(&o, "queue", JsValue::from_str(queue));
            set(&o, "id", JsValue::from_f64(*id as f64));
            o
        }
        StoreOp::PutDelayed(d) => {
            let o = op("putDelayed");
            set(&o, "id", JsValue::from_f64(d.id as f64));
            set(&o, "due", JsValue::from_f64(d.due as f64));
            set(&o, "mandatory", JsValue::from_bool(d.mandatory));
            message_js(&o, &d.message);
            o
        }
        StoreOp::DeleteDelayed(id) => {
            let o = op("deleteDelayed");
            set(&o, "id", JsValue::from_f64(*id as f64));
            o
        }
    };
    o.into()
}

/// A batch as an array of operation objects.
pub fn ops_to_js(ops: &[StoreOp<JsBody>]) -> Array {
    ops.iter().map(op_to_js).collect()
}

// ----- reading a snapshot back ------------------------------------------------------------

fn bad(what: &str) -> JsValue {
    type_error(INVALID_ARGUMENT, &format!("store snapshot: {what}"))
}

fn string(o: &JsValue, k: &str) -> JsResult<String> {
    get(o, k).as_string().ok_or_else(|| bad(&format!("'{k}' must be a string")))
}

fn boolean(o: &JsValue, k: &str) -> bool {
    get(o, k).as_bool().unwrap_or(false)
}

fn uint(o: &JsValue, k: &str) -> JsResult<u64> {
    opt_uint(o, k)?.ok_or_else(|| bad(&format!("'{k}' must be a number")))
}

fn opt_uint(o: &JsValue, k: &str) -> JsResult<Option<u64>> {
    let v = get(o, k);
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    match v.as_f64() {
        Some(n) if n.is_finite() && n >= 0.0 => Ok(Some(n as u64)),
        _ => Err(bad(&format!("'{k}' must be a non-negative number"))),
    }
}

fn table(o: &JsValue, k: &str) -> JsResult<FieldTable> {
    let v = get(o, k);
    if v.is_undefined() || v.is_null() {
        return Ok(FieldTable::new());
    }
    table_from_js(&v, "store snapshot", k)
}

fn opt_str(o: &JsValue, k: &str) -> Option<String> {
    get(o, k).as_string()
}

/// Properties as `properties_to_js` wrote them.
fn properties_from_js(p: &JsValue) -> JsResult<Properties> {
    if !p.is_object() {
        return Ok(Properties::default());
    }
    let headers = table(p, "headers")?;
    Ok(Properties {
        content_type: opt_str(p, "contentType"),
        content_encoding: opt_str(p, "contentEncoding"),
        headers: (!headers.is_empty()).then_some(headers),
        delivery_mode: opt_uint(p, "deliveryMode")?.map(|n| n as u8),
        priority: opt_uint(p, "priority")?.map(|n| n.min(255) as u8),
        correlation_id: opt_str(p, "correlationId"),
        reply_to: opt_str(p, "replyTo"),
        expiration: opt_str(p, "expiration"),
        message_id: opt_str(p, "messageId"),
        timestamp: opt_uint(p, "timestamp")?,
        kind: opt_str(p, "type"),
        user_id: opt_str(p, "userId"),
        app_id: opt_str(p, "appId"),
        cluster_id: opt_str(p, "clusterId"),
    })
}

fn message_from_js(o: &JsValue) -> JsResult<Message<JsBody>> {
    let exchange = string(o, "exchange")?;
    let routing_key = string(o, "routingKey")?;
    let value = get(o, "body");
    let len = super::bus::body_len(&value);
    let bcc = match get(o, "bcc").dyn_into::<Array>() {
        Ok(a) => a.iter().filter_map(|k| k.as_string()).collect(),
        Err(_) => Vec::new(),
    };
    Ok(Message {
        properties: properties_from_js(&get(o, "properties"))?,
        body: JsBody::new(value, len, JsValue::UNDEFINED, JsValue::from_str(&routing_key)),
        exchange,
        routing_key,
        bcc,
    })
}

fn list(snapshot: &JsValue, k: &str) -> Array {
    get(snapshot, k).dyn_into::<Array>().unwrap_or_default()
}

/// A snapshot from `load()`. `undefined`/`null` is an empty store.
pub fn snapshot_from_js(snapshot: &JsValue) -> JsResult<Snapshot<JsBody>> {
    let mut s = Snapshot::default();
    if snapshot.is_undefined() || snapshot.is_null() {
        return Ok(s);
    }
    if !snapshot.is_object() {
        return Err(bad("load() must resolve to an object"));
    }
    for x in list(snapshot, "exchanges").iter() {
        let kind = ExchangeKind::parse(&string(&x, "type")?).ok_or_else(|| bad("unknown exchange type"))?;
        let options = ExchangeOptions {
            durable: boolean(&x, "durable"),
            auto_delete: boolean(&x, "autoDelete"),
            internal: boolean(&x, "internal"),
            arguments: table(&x, "arguments")?,
        };
        s.exchanges.push(ExchangeRecord { name: string(&x, "name")?, kind, options });
    }
    for q in list(snapshot, "queues").iter() {
        let options = QueueOptions {
            durable: boolean(&q, "durable"),
            exclusive: boolean(&q, "exclusive"),
            auto_delete: boolean(&q, "autoDelete"),
            arguments: table(&q, "arguments")?,
        };
        s.queues.push(QueueRecord { name: string(&q, "name")?, options });
    }
    for b in list(snapshot, "bindings").iter() {
        let dest = string(&b, "destination")?;
        let destination = match get(&b, "destinationType").as_string().as_deref() {
            Some("exchange") => Destination::Exchange(dest.as_str().into()),
            _ => Destination::Queue(dest.as_str().into()),
        };
        s.bindings.push(Binding {
            source: string(&b, "source")?,
            destination,
            key: string(&b, "routingKey")?,
            arguments: table(&b, "arguments")?,
        });
    }
    for m in list(snapshot, "messages").iter() {
        s.messages.push(MessageRecord {
            queue: string(&m, "queue")?,
            id: uint(&m, "id")?,
            message: message_from_js(&m)?,
            enqueued_at: uint(&m, "enqueuedAt")?,
            expires_at: opt_uint(&m, "expiresAt")?,
            delivery_count: opt_uint(&m, "deliveryCount")?.unwrap_or(0) as u32,
            not_before: opt_uint(&m, "notBefore")?,
        });
    }
    for d in list(snapshot, "delayed").iter() {
        s.delayed.push(DelayedRecord {
            id: uint(&d, "id")?,
            due: uint(&d, "due")?,
            mandatory: boolean(&d, "mandatory"),
            message: message_from_js(&d)?,
        });
    }
    Ok(s)
}

