//! Store records across the JavaScript boundary as a *tape*: a flat array of values, one
//! operation after another, each a numeric tag followed by its fields in a fixed order. The
//! package facade (`pkg-template/records.js`) turns tapes into the plain objects store adapters
//! see, and snapshots back into tapes; keeping the object shapes on the JavaScript side keeps
//! them out of the wasm.
//!
//! | tag | operation | fields |
//! |---|---|---|
//! | 0 | putExchange | name, type, durable, autoDelete, internal, arguments |
//! | 1 | deleteExchange | name |
//! | 2 | putQueue | name, durable, exclusive, autoDelete, arguments |
//! | 3 | deleteQueue | name |
//! | 4 / 5 | putBinding / deleteBinding | source, destination, destinationType, routingKey, arguments |
//! | 6 | putMessage | queue, id, exchange, routingKey, properties, body, bcc, enqueuedAt, expiresAt, deliveryCount, notBefore |
//! | 7 | updateMessage | queue, id, deliveryCount, notBefore |
//! | 8 | deleteMessage | queue, id |
//! | 9 | putDelayed | id, due, mandatory, exchange, routingKey, properties, body, bcc |
//! | 10 | deleteDelayed | id |
//!
//! `properties` is `undefined` for default properties; absent times are `null`. A snapshot is a
//! tape of put operations (tags 0, 2, 4, 6, 9).

use super::convert::{table_from_js, table_to_js, JsResult};
use super::errors::{type_error, INVALID_ARGUMENT};
use crate::core::{
    Binding, DelayedRecord, Destination, ExchangeKind, ExchangeOptions, ExchangeRecord, FieldTable, Message,
    MessageRecord, Properties, QueueOptions, QueueRecord, Snapshot, StoreOp,
};
use crate::driver::JsBody;
use js_sys::Array;
use wasm_bindgen::{JsCast, JsValue};

struct Tape(Array);

impl Tape {
    fn s(&self, v: &str) {
        self.0.push(&JsValue::from_str(v));
    }
    fn n(&self, v: u64) {
        self.0.push(&JsValue::from_f64(v as f64));
    }
    fn opt(&self, v: Option<u64>) {
        self.0.push(&v.map_or(JsValue::NULL, |n| JsValue::from_f64(n as f64)));
    }
    fn b(&self, v: bool) {
        self.0.push(&JsValue::from_bool(v));
    }
    fn v(&self, v: &JsValue) {
        self.0.push(v);
    }
    fn message(&self, m: &Message<JsBody>) {
        let (exchange, key, properties) = JsBody::render(m);
        self.v(exchange);
        self.v(key);
        self.v(properties);
        self.v(&m.body.to_js());
        self.v(&m.bcc.iter().map(|k| JsValue::from_str(k)).collect::<Array>());
    }
    fn binding(&self, b: &Binding) {
        self.s(&b.source);
        self.s(b.destination.name());
        self.s(if matches!(b.destination, Destination::Queue(_)) { "queue" } else { "exchange" });
        self.s(&b.key);
        self.v(&table_to_js(&b.arguments));
    }
}

/// A batch as a tape.
pub fn ops_to_js(ops: &[StoreOp<JsBody>]) -> Array {
    let t = Tape(Array::new());
    for op in ops {
        match op {
            StoreOp::PutExchange(x) => {
                t.n(0);
                t.s(&x.name);
                t.s(x.kind.as_str());
                t.b(x.options.durable);
                t.b(x.options.auto_delete);
                t.b(x.options.internal);
                t.v(&table_to_js(&x.options.arguments));
            }
            StoreOp::DeleteExchange(name) => {
                t.n(1);
                t.s(name);
            }
            StoreOp::PutQueue(q) => {
                t.n(2);
                t.s(&q.name);
                t.b(q.options.durable);
                t.b(q.options.exclusive);
                t.b(q.options.auto_delete);
                t.v(&table_to_js(&q.options.arguments));
            }
            StoreOp::DeleteQueue(name) => {
                t.n(3);
                t.s(name);
            }
            StoreOp::PutBinding(b) => {
                t.n(4);
                t.binding(b);
            }
            StoreOp::DeleteBinding(b) => {
                t.n(5);
                t.binding(b);
            }
            StoreOp::PutMessage(m) => {
                t.n(6);
                t.s(&m.queue);
                t.n(m.id);
                t.message(&m.message);
                t.n(m.enqueued_at);
                t.opt(m.expires_at);
                t.n(m.delivery_count as u64);
                t.opt(m.not_before);
            }
            StoreOp::UpdateMessage { queue, id, delivery_count, not_before } => {
                t.n(7);
                t.s(queue);
                t.n(*id);
                t.n(*delivery_count as u64);
                t.opt(*not_before);
            }
            StoreOp::DeleteMessage { queue, id } => {
                t.n(8);
                t.s(queue);
                t.n(*id);
            }
            StoreOp::PutDelayed(d) => {
                t.n(9);
                t.n(d.id);
                t.n(d.due);
                t.b(d.mandatory);
                t.message(&d.message);
            }
            StoreOp::DeleteDelayed(id) => {
                t.n(10);
                t.n(*id);
            }
        }
    }
    t.0
}

// ----- reading a snapshot tape -------------------------------------------------------------

struct Reader {
    tape: Array,
    at: u32,
}

fn bad(what: &str) -> JsValue {
    type_error(INVALID_ARGUMENT, &format!("store snapshot: {what}"))
}

impl Reader {
    fn v(&mut self) -> JsValue {
        self.at += 1;
        self.tape.get(self.at - 1)
    }
    fn s(&mut self) -> JsResult<String> {
        self.v().as_string().ok_or_else(|| bad("expected a string"))
    }
    fn b(&mut self) -> bool {
        self.v().is_truthy()
    }
    fn opt(&mut self) -> JsResult<Option<u64>> {
        let v = self.v();
        if v.is_null() || v.is_undefined() {
            return Ok(None);
        }
        match v.as_f64() {
            Some(n) if n.is_finite() && n >= 0.0 => Ok(Some(n as u64)),
            _ => Err(bad("expected a non-negative number")),
        }
    }
    fn n(&mut self) -> JsResult<u64> {
        self.opt()?.ok_or_else(|| bad("expected a number"))
    }
    fn table(&mut self) -> JsResult<FieldTable> {
        let v = self.v();
        if v.is_null() || v.is_undefined() {
            return Ok(FieldTable::new());
        }
        table_from_js(&v, "store snapshot", "arguments")
    }
    fn message(&mut self) -> JsResult<Message<JsBody>> {
        let exchange = self.s()?;
        let routing_key = self.s()?;
        let properties = properties_from_js(&self.v())?;
        let value = self.v();
        let bcc = match self.v().dyn_into::<Array>() {
            Ok(a) => a.iter().filter_map(|k| k.as_string()).collect(),
            Err(_) => Vec::new(),
        };
        let body = JsBody::new(value);
        Ok(Message { exchange, routing_key, properties: properties.into(), body, bcc })
    }
}

/// Properties in their array form (see `properties_to_js`; `undefined` = defaults).
fn properties_from_js(p: &JsValue) -> JsResult<Properties> {
    let Some(a) = p.dyn_ref::<Array>() else { return Ok(Properties::default()) };
    let s = |i: u32| a.get(i).as_string();
    let n = |i: u32| a.get(i).as_f64().filter(|n| n.is_finite() && *n >= 0.0).map(|n| n as u64);
    let headers = a.get(2);
    let headers = if headers.is_object() { table_from_js(&headers, "store snapshot", "headers")? } else { FieldTable::new() };
    Ok(Properties {
        content_type: s(0),
        content_encoding: s(1),
        headers: (!headers.is_empty()).then_some(headers),
        delivery_mode: n(3).map(|d| d.min(2) as u8),
        priority: n(4).map(|d| d.min(255) as u8),
        correlation_id: s(5),
        reply_to: s(6),
        expiration: s(7),
        message_id: s(8),
        timestamp: n(9),
        kind: s(10),
        user_id: s(11),
        app_id: s(12),
        cluster_id: s(13),
    })
}

/// A snapshot from a tape of put operations; `undefined`/`null` is an empty store.
pub fn snapshot_from_js(tape: &JsValue) -> JsResult<Snapshot<JsBody>> {
    let mut s = Snapshot::default();
    if tape.is_undefined() || tape.is_null() {
        return Ok(s);
    }
    let tape: Array = tape.clone().dyn_into().map_err(|_| bad("expected a tape (an array)"))?;
    let len = tape.length();
    let mut r = Reader { tape, at: 0 };
    while r.at < len {
        match r.n()? {
            0 => {
                let name = r.s()?;
                let kind = ExchangeKind::parse(&r.s()?).ok_or_else(|| bad("unknown exchange type"))?;
                let options = ExchangeOptions { durable: r.b(), auto_delete: r.b(), internal: r.b(), arguments: r.table()? };
                s.exchanges.push(ExchangeRecord { name, kind, options });
            }
            2 => {
                let name = r.s()?;
                let options = QueueOptions { durable: r.b(), exclusive: r.b(), auto_delete: r.b(), arguments: r.table()? };
                s.queues.push(QueueRecord { name, options });
            }
            4 => {
                let source = r.s()?;
                let dest = r.s()?;
                let destination = match r.s()?.as_str() {
                    "exchange" => Destination::Exchange(dest.as_str().into()),
                    _ => Destination::Queue(dest.as_str().into()),
                };
                s.bindings.push(Binding { source, destination, key: r.s()?, arguments: r.table()? });
            }
            6 => {
                let queue = r.s()?;
                let id = r.n()?;
                let message = r.message()?;
                s.messages.push(MessageRecord {
                    queue,
                    id,
                    message,
                    enqueued_at: r.n()?,
                    expires_at: r.opt()?,
                    delivery_count: r.n()? as u32,
                    not_before: r.opt()?,
                });
            }
            9 => {
                let (id, due, mandatory) = (r.n()?, r.n()?, r.b());
                s.delayed.push(DelayedRecord { id, due, mandatory, message: r.message()? });
            }
            other => return Err(bad(&format!("unexpected record tag {other}"))),
        }
    }
    Ok(s)
}
