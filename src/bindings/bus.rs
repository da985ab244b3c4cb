//! `Bus`: one broker, as the package facade drives it.

use super::convert::{name_arg, optional_name_arg, publish_options, JsResult, Options};
use super::errors::{operation_failed, range_error, type_error, INVALID_ARGUMENT};
use crate::core::{
    AmqpError, BrokerConfig, ChannelId, ConnectionId, ConsumeOptions, ExchangeKind, ExchangeOptions, FieldTable,
    FieldValue, Publish, QueueOptions, QueueStats,
};
use crate::driver::{Driver, JsBody, Sink};
use js_sys::Object;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

/// One broker. The facade owns one per bus name.
#[wasm_bindgen]
pub struct Bus {
    driver: Rc<Driver>,
    max_message_bytes: Option<usize>,
}

use super::convert::set;

fn id(v: f64, what: &str) -> JsResult<u64> {
    if v.is_finite() && v >= 0.0 && v.fract() == 0.0 {
        Ok(v as u64)
    } else {
        Err(type_error(INVALID_ARGUMENT, &format!("{what} must be an id")))
    }
}

fn ch(v: f64) -> JsResult<ChannelId> {
    id(v, "channel").map(ChannelId)
}

fn failed(method: &'static str) -> impl Fn(AmqpError) -> JsValue {
    move |e| operation_failed(&e, method)
}

const QUEUE_OPTIONS: &[&str] = &[
    "exclusive",
    "durable",
    "autoDelete",
    "arguments",
    "messageTtl",
    "expires",
    "deadLetterExchange",
    "deadLetterRoutingKey",
    "maxLength",
    "maxLengthBytes",
    "maxPriority",
    "overflow",
    "queueMode",
    "singleActiveConsumer",
    "deliveryLimit",
    "durability",
];

fn queue_options(value: &JsValue) -> JsResult<QueueOptions> {
    let o = Options::new(value, "assertQueue", QUEUE_OPTIONS)?;
    let mut arguments = o.table("arguments")?.unwrap_or_default();
    let mut put = |k: &str, v: Option<FieldValue>| {
        if let Some(v) = v {
            arguments.insert(k.into(), v);
        }
    };
    let int = |v: Option<u64>| v.map(|n| FieldValue::Int(n as i64));
    let max = u32::MAX as u64;
    put("x-message-ttl", int(o.uint("messageTtl", max)?));
    put("x-expires", int(o.uint("expires", max)?));
    put("x-dead-letter-exchange", o.string("deadLetterExchange")?.map(FieldValue::Str));
    put("x-dead-letter-routing-key", o.string("deadLetterRoutingKey")?.map(FieldValue::Str));
    put("x-max-length", int(o.uint("maxLength", i64::MAX as u64 >> 11)?));
    put("x-max-length-bytes", int(o.uint("maxLengthBytes", i64::MAX as u64 >> 11)?));
    put("x-max-priority", int(o.uint("maxPriority", 255)?));
    put("x-overflow", o.string("overflow")?.map(FieldValue::Str));
    put("x-queue-mode", o.string("queueMode")?.map(FieldValue::Str));
    put("x-single-active-consumer", o.bool("singleActiveConsumer")?.map(FieldValue::Bool));
    put("x-delivery-limit", int(o.uint("deliveryLimit", max)?));
    put("x-durability", o.string("durability")?.map(FieldValue::Str));
    Ok(QueueOptions {
        durable: o.bool("durable")?.unwrap_or(true),
        exclusive: o.bool("exclusive")?.unwrap_or(false),
        auto_delete: o.bool("autoDelete")?.unwrap_or(false),
        arguments,
    })
}

fn exchange_options(value: &JsValue) -> JsResult<ExchangeOptions> {
    let o = Options::new(value, "assertExchange", &["durable", "internal", "autoDelete", "alternateExchange", "arguments"])?;
    let mut arguments = o.table("arguments")?.unwrap_or_default();
    if let Some(ae) = o.string("alternateExchange")? {
        arguments.insert("alternate-exchange".into(), FieldValue::Str(ae));
    }
    Ok(ExchangeOptions {
        durable: o.bool("durable")?.unwrap_or(true),
        internal: o.bool("internal")?.unwrap_or(false),
        auto_delete: o.bool("autoDelete")?.unwrap_or(false),
        arguments,
    })
}

fn binding_args(value: &JsValue, what: &'static str) -> JsResult<FieldTable> {
    if value.is_undefined() || value.is_null() {
        return Ok(FieldTable::new());
    }
    super::convert::table_from_js(value, what, "args")
}

/// Checks that `content` can be carried as a message body.
fn check_content(content: &JsValue, what: &str) -> JsResult<()> {
    if content.is_undefined() {
        return Err(type_error(INVALID_ARGUMENT, &format!("{what}: content is required")));
    } else if content.is_function() || content.is_symbol() {
        return Err(type_error(
            super::errors::NOT_CLONEABLE,
            &format!("{what}: content must be bytes or a structured-cloneable value, not a {}", if content.is_function() { "function" } else { "symbol" }),
        ));
    }
    Ok(())
}

fn check_size(len: usize, max: Option<usize>) -> JsResult<()> {
    match max {
        Some(max) if len > max => Err(range_error(
            super::errors::TOO_LARGE,
            &format!("publish: the body is {len} bytes, over this bus's maxMessageBytes ({max})"),
        )),
        _ => Ok(()),
    }
}

fn stats_to_js(s: &QueueStats) -> JsValue {
    let o = Object::new();
    set(&o, "queue", JsValue::from_str(&s.name));
    for (k, v) in [
        ("messages", s.messages_ready),
        ("bytes", s.bytes_ready),
        ("unacked", s.messages_unacked),
        ("delayed", s.messages_delayed),
        ("consumers", s.consumers),
        ("published", s.published),
        ("delivered", s.delivered),
        ("redelivered", s.redelivered),
        ("acked", s.acked),
        ("deadLettered", s.dead_lettered),
        ("dropped", s.dropped),
    ] {
        set(&o, k, JsValue::from_f64(v as f64));
    }
    o.into()
}

#[wasm_bindgen]
impl Bus {
    /// A new broker sending its events to `sink`. Options: `{ maxMessageBytes?: number }`.
    /// Without `snapshot` (undefined) the broker lives in memory only; with one (an object from
    /// a store adapter's `load()`, or `null` for an empty store) it restores from it and hands
    /// every durable change to `sink.persist`.
    #[wasm_bindgen(constructor)]
    pub fn new(sink: Sink, options: JsValue, salt: f64, snapshot: JsValue) -> JsResult<Bus> {
        let o = Options::new(&options, "connect", &["maxMessageBytes"])?;
        let max_message_bytes = o.uint("maxMessageBytes", u32::MAX as u64)?.map(|n| n as usize);
        let persistence = !snapshot.is_undefined();
        let config = BrokerConfig { persistence, name_salt: salt as u64, max_message_bytes };
        let broker = if persistence {
            crate::core::Broker::restore(config, super::records::snapshot_from_js(&snapshot)?, crate::driver::now_ms())
        } else {
            crate::core::Broker::new(config)
        };
        Ok(Bus { driver: Driver::new(broker, sink), max_message_bytes })
    }

    /// When the broker's next timer (TTL, delay, queue expiry) is due, in ms since the epoch, or
    /// `undefined` when none is armed: for hosts whose isolate may be evicted between requests
    /// (a Durable Object sets an alarm for it).
    #[wasm_bindgen(js_name = nextDeadline)]
    pub fn next_deadline(&self) -> Option<f64> {
        self.driver.read(|b| b.poll_timeout()).map(|t| t as f64)
    }

    /// Runs the broker's timers (TTL, delays, queue expiry) that are due now. The broker arms
    /// `setTimeout` by itself; this is for a second clock where that one is throttled.
    pub fn tick(&self) {
        self.driver.tick();
    }

    /// Store operations emitted so far (see `storeCommitted`).
    #[wasm_bindgen(js_name = storeEmitted)]
    pub fn store_emitted(&self) -> f64 {
        self.driver.read(|b| b.store_watermarks().0) as f64
    }

    /// Store operations written (or failed) so far.
    #[wasm_bindgen(js_name = storeCommitted)]
    pub fn store_committed(&self) -> f64 {
        self.driver.read(|b| b.store_watermarks().1) as f64
    }

    /// The store adapter finished batch `batch`: `ok` when it committed.
    #[wasm_bindgen(js_name = storeDone)]
    pub fn store_done(&self, batch: f64, ok: bool) {
        self.driver.store_done(batch as u64, ok);
    }

    /// Opens a connection; returns its id.
    #[wasm_bindgen(js_name = openConnection)]
    pub fn open_connection(&self) -> JsResult<f64> {
        self.driver.call(|b, _| b.open_connection().0 as f64)
    }

    /// Closes a connection (its channels, exclusive queues).
    #[wasm_bindgen(js_name = closeConnection)]
    pub fn close_connection(&self, conn: f64) -> JsResult<()> {
        let conn = ConnectionId(id(conn, "connection")?);
        self.driver.call(|b, now| b.close_connection(conn, now))
    }

    /// Opens a channel; returns its id.
    #[wasm_bindgen(js_name = openChannel)]
    pub fn open_channel(&self, conn: f64) -> JsResult<f64> {
        let conn = ConnectionId(id(conn, "connection")?);
        self.driver.call(|b, _| b.open_channel(conn))?.map(|c| c.0 as f64).map_err(failed("ChannelOpen"))
    }

    /// Closes a channel (requeues its unacked messages).
    #[wasm_bindgen(js_name = closeChannel)]
    pub fn close_channel(&self, channel: f64) -> JsResult<()> {
        let c = ch(channel)?;
        self.driver.call(|b, now| b.close_channel(c, now))?.map_err(failed("ChannelClose"))
    }

    /// `assertExchange` / `checkExchange` (passive).
    #[wasm_bindgen(js_name = assertExchange)]
    pub fn assert_exchange(&self, channel: f64, name: JsValue, kind: JsValue, options: JsValue, passive: bool) -> JsResult<()> {
        let c = ch(channel)?;
        let what = if passive { "checkExchange" } else { "assertExchange" };
        let name = name_arg(&name, what, "exchange")?;
        let (kind, options) = if passive {
            (ExchangeKind::Direct, ExchangeOptions::default())
        } else {
            let k = kind.as_string().ok_or_else(|| type_error(INVALID_ARGUMENT, "assertExchange: type must be a string"))?;
            let k = ExchangeKind::parse(&k).ok_or_else(|| {
                type_error(INVALID_ARGUMENT, &format!("assertExchange: unknown exchange type '{k}' (direct, fanout, topic, headers)"))
            })?;
            (k, exchange_options(&options)?)
        };
        self.driver
            .call(|b, now| b.exchange_declare(c, &name, kind, options, passive, now))?
            .map_err(failed("ExchangeDeclare"))
    }

    /// `deleteExchange`.
    #[wasm_bindgen(js_name = deleteExchange)]
    pub fn delete_exchange(&self, channel: f64, name: JsValue, options: JsValue) -> JsResult<()> {
        let c = ch(channel)?;
        let name = name_arg(&name, "deleteExchange", "exchange")?;
        let if_unused = Options::new(&options, "deleteExchange", &["ifUnused"])?.bool("ifUnused")?.unwrap_or(false);
        self.driver.call(|b, now| b.exchange_delete(c, &name, if_unused, now))?.map_err(failed("ExchangeDelete"))
    }

    /// `bindExchange` / `unbindExchange`.
    #[wasm_bindgen(js_name = bindExchange)]
    pub fn bind_exchange(&self, channel: f64, dest: JsValue, source: JsValue, pattern: JsValue, args: JsValue, unbind: bool) -> JsResult<()> {
        let c = ch(channel)?;
        let what = if unbind { "unbindExchange" } else { "bindExchange" };
        let dest = name_arg(&dest, what, "destination")?;
        let source = name_arg(&source, what, "source")?;
        let pattern = name_arg(&pattern, what, "pattern")?;
        let args = binding_args(&args, what)?;
        if unbind {
            self.driver.call(|b, now| b.exchange_unbind(c, &dest, &source, &pattern, args, now))?.map_err(failed("ExchangeUnbind"))
        } else {
            self.driver.call(|b, now| b.exchange_bind(c, &dest, &source, &pattern, args, now))?.map_err(failed("ExchangeBind"))
        }
    }

    /// `assertQueue` / `checkQueue` (passive): `{ queue, messageCount, consumerCount }`.
    #[wasm_bindgen(js_name = assertQueue)]
    pub fn assert_queue(&self, channel: f64, name: JsValue, options: JsValue, passive: bool) -> JsResult<JsValue> {
        let c = ch(channel)?;
        let what = if passive { "checkQueue" } else { "assertQueue" };
        let name = if passive { name_arg(&name, what, "queue")? } else { optional_name_arg(&name, what, "queue")? };
        let options = if passive { QueueOptions::default() } else { queue_options(&options)? };
        let ok = self.driver.call(|b, now| b.queue_declare(c, &name, options, passive, now))?.map_err(failed("QueueDeclare"))?;
        let o = Object::new();
        set(&o, "queue", JsValue::from_str(&ok.queue));
        set(&o, "messageCount", JsValue::from(ok.message_count));
        set(&o, "consumerCount", JsValue::from(ok.consumer_count));
        Ok(o.into())
    }

    /// `assertQueue` for a client recovering its topology after a leader failover: a
    /// server-named queue (`amq.gen-…`) is declared again under the name it had.
    #[wasm_bindgen(js_name = redeclareQueue)]
    pub fn redeclare_queue(&self, channel: f64, name: JsValue, options: JsValue) -> JsResult<()> {
        let c = ch(channel)?;
        let name = name_arg(&name, "assertQueue", "queue")?;
        let options = queue_options(&options)?;
        self.driver.call(|b, now| b.queue_redeclare(c, &name, options, now))?.map_err(failed("QueueDeclare"))?;
        Ok(())
    }

    /// `deleteQueue`: the number of messages deleted.
    #[wasm_bindgen(js_name = deleteQueue)]
    pub fn delete_queue(&self, channel: f64, name: JsValue, options: JsValue) -> JsResult<u32> {
        let c = ch(channel)?;
        let name = name_arg(&name, "deleteQueue", "queue")?;
        let o = Options::new(&options, "deleteQueue", &["ifUnused", "ifEmpty"])?;
        let (if_unused, if_empty) = (o.bool("ifUnused")?.unwrap_or(false), o.bool("ifEmpty")?.unwrap_or(false));
        self.driver.call(|b, now| b.queue_delete(c, &name, if_unused, if_empty, now))?.map_err(failed("QueueDelete"))
    }

    /// `purgeQueue`: the number of messages purged.
    #[wasm_bindgen(js_name = purgeQueue)]
    pub fn purge_queue(&self, channel: f64, name: JsValue) -> JsResult<u32> {
        let c = ch(channel)?;
        let name = name_arg(&name, "purgeQueue", "queue")?;
        self.driver.call(|b, now| b.queue_purge(c, &name, now))?.map_err(failed("QueuePurge"))
    }

    /// `bindQueue` / `unbindQueue`.
    #[wasm_bindgen(js_name = bindQueue)]
    pub fn bind_queue(&self, channel: f64, queue: JsValue, source: JsValue, pattern: JsValue, args: JsValue, unbind: bool) -> JsResult<()> {
        let c = ch(channel)?;
        let what = if unbind { "unbindQueue" } else { "bindQueue" };
        let queue = name_arg(&queue, what, "queue")?;
        let source = name_arg(&source, what, "source")?;
        let pattern = name_arg(&pattern, what, "pattern")?;
        let args = binding_args(&args, what)?;
        if unbind {
            self.driver.call(|b, now| b.queue_unbind(c, &queue, &source, &pattern, args, now))?.map_err(failed("QueueUnbind"))
        } else {
            self.driver.call(|b, now| b.queue_bind(c, &queue, &source, &pattern, args, now))?.map_err(failed("QueueBind"))
        }
    }

    /// The wasm memory, where the sink reads delivered bytes (`deliver`'s `bytesPtr`).
    #[wasm_bindgen(js_name = memory)]
    pub fn memory() -> JsValue {
        wasm_bindgen::memory()
    }

    /// Checks a publish's arguments as `publish` does, without a broker: a context that forwards
    /// its publishes to the origin bus's leader throws bad input synchronously, as in-process.
    #[wasm_bindgen(js_name = checkPublish)]
    pub fn check_publish(exchange: JsValue, routing_key: JsValue, content: JsValue, options: JsValue, max_message_bytes: Option<f64>) -> JsResult<()> {
        optional_name_arg(&exchange, "publish", "exchange")?;
        name_arg(&routing_key, "publish", "routingKey")?;
        check_content(&content, "publish")?;
        check_size(JsBody::size_of(&content), max_message_bytes.map(|m| m as usize))?;
        publish_options(&options, "publish")?;
        Ok(())
    }

    /// `publish`: returns the confirm sequence number (0 when the channel is not in confirm
    /// mode). A broker error closes the channel and is thrown.
    pub fn publish(&self, channel: f64, exchange: JsValue, routing_key: JsValue, content: JsValue, options: JsValue) -> JsResult<f64> {
        let c = ch(channel)?;
        let exchange_name = optional_name_arg(&exchange, "publish", "exchange")?;
        let key = name_arg(&routing_key, "publish", "routingKey")?;
        check_content(&content, "publish")?;
        if !content.is_string() {
            check_size(JsBody::size_of(&content), self.max_message_bytes)?; // before copying bytes in
        }
        let body = JsBody::new(content);
        check_size(body.len, self.max_message_bytes)?;
        let (exchange, routing_key) = (exchange_name, key);
        let (properties, mandatory) = publish_options(&options, "publish")?;
        let p = Publish { exchange, routing_key, mandatory, properties, body };
        let seq = self.driver.call(|b, now| b.basic_publish(c, p, now))?.map_err(failed("BasicPublish"))?;
        Ok(seq.unwrap_or(0) as f64)
    }

    /// `consume`: returns the consumer tag.
    pub fn consume(&self, channel: f64, queue: JsValue, options: JsValue) -> JsResult<String> {
        let c = ch(channel)?;
        let queue = name_arg(&queue, "consume", "queue")?;
        let o = Options::new(&options, "consume", &["consumerTag", "noLocal", "noAck", "exclusive", "priority", "arguments"])?;
        o.bool("noLocal")?;
        let priority = o.value("priority");
        let priority = if priority.is_undefined() || priority.is_null() {
            None
        } else {
            match priority.as_f64() {
                Some(p) if p.fract() == 0.0 && p.abs() < 2_147_483_648.0 => Some(p as i64),
                _ => return Err(range_error(INVALID_ARGUMENT, "consume: option 'priority' must be an integer")),
            }
        };
        let options = ConsumeOptions {
            consumer_tag: o.string("consumerTag")?,
            no_ack: o.bool("noAck")?.unwrap_or(false),
            exclusive: o.bool("exclusive")?.unwrap_or(false),
            priority,
            arguments: o.table("arguments")?.unwrap_or_default(),
        };
        self.driver.call(|b, now| b.basic_consume(c, &queue, options, now))?.map_err(failed("BasicConsume"))
    }

    /// `cancel`.
    pub fn cancel(&self, channel: f64, consumer_tag: JsValue) -> JsResult<()> {
        let c = ch(channel)?;
        let tag = name_arg(&consumer_tag, "cancel", "consumerTag")?;
        self.driver.call(|b, now| b.basic_cancel(c, &tag, now))?.map_err(failed("BasicCancel"))
    }

    /// `get`: `[content, deliveryTag, redelivered, exchange, routingKey, messageCount, properties]`
    /// or `false`.
    pub fn get(&self, channel: f64, queue: JsValue, options: JsValue) -> JsResult<JsValue> {
        let c = ch(channel)?;
        let queue = name_arg(&queue, "get", "queue")?;
        let no_ack = Options::new(&options, "get", &["noAck"])?.bool("noAck")?.unwrap_or(false);
        let Some(d) = self.driver.call(|b, now| b.basic_get(c, &queue, no_ack, now))?.map_err(failed("BasicGet"))? else {
            return Ok(JsValue::FALSE);
        };
        let m = &d.message;
        let (exchange, key, properties) = JsBody::render(m);
        let out = js_sys::Array::new();
        out.push(&m.body.to_js());
        out.push(&JsValue::from_f64(d.delivery_tag as f64));
        out.push(&JsValue::from_bool(d.redelivered));
        out.push(exchange);
        out.push(key);
        out.push(&JsValue::from(d.message_count.unwrap_or(0)));
        out.push(properties);
        Ok(out.into())
    }

    /// `ack` (tag 0 with `multiple` = `ackAll`). An unknown tag closes the channel (406),
    /// reported through the sink; nothing is thrown.
    pub fn ack(&self, channel: f64, delivery_tag: f64, multiple: bool) -> JsResult<()> {
        let c = ch(channel)?;
        let tag = id(delivery_tag, "deliveryTag")?;
        let _ = self.driver.call(|b, now| b.basic_ack(c, tag, multiple, now))?;
        Ok(())
    }

    /// `nack` / `reject` (tag 0 with `multiple` = `nackAll`).
    pub fn nack(&self, channel: f64, delivery_tag: f64, multiple: bool, requeue: bool) -> JsResult<()> {
        let c = ch(channel)?;
        let tag = id(delivery_tag, "deliveryTag")?;
        let _ = self.driver.call(|b, now| b.basic_nack(c, tag, multiple, requeue, now))?;
        Ok(())
    }

    /// `nackWithDelay`: requeue after `delay_ms`.
    #[wasm_bindgen(js_name = nackDelayed)]
    pub fn nack_delayed(&self, channel: f64, delivery_tag: f64, multiple: bool, delay_ms: f64) -> JsResult<()> {
        let c = ch(channel)?;
        let tag = id(delivery_tag, "deliveryTag")?;
        if !(delay_ms.is_finite() && delay_ms >= 0.0 && delay_ms <= u32::MAX as f64) {
            return Err(range_error(INVALID_ARGUMENT, "nackWithDelay: delay must be a non-negative number of milliseconds"));
        }
        let _ = self.driver.call(|b, now| b.basic_nack_delayed(c, tag, multiple, delay_ms as u64, now))?;
        Ok(())
    }

    /// `prefetch`.
    pub fn prefetch(&self, channel: f64, count: JsValue, global: JsValue) -> JsResult<()> {
        let c = ch(channel)?;
        let n = count.as_f64().ok_or_else(|| type_error(INVALID_ARGUMENT, "prefetch: count must be a number"))?;
        if !(n.is_finite() && n.fract() == 0.0 && (0.0..=65535.0).contains(&n)) {
            return Err(range_error(INVALID_ARGUMENT, &format!("prefetch: count must be an integer from 0 to 65535, got {}", super::convert::js_number(n))));
        }
        let global = if global.is_undefined() || global.is_null() {
            false
        } else {
            global.as_bool().ok_or_else(|| type_error(INVALID_ARGUMENT, "prefetch: global must be a boolean"))?
        };
        self.driver.call(|b, now| b.basic_qos(c, n as u32, global, now))?.map_err(failed("BasicQos"))
    }

    /// `recover`.
    pub fn recover(&self, channel: f64) -> JsResult<()> {
        let c = ch(channel)?;
        self.driver.call(|b, now| b.basic_recover(c, now))?.map_err(failed("BasicRecover"))
    }

    /// Puts the channel in confirm mode.
    #[wasm_bindgen(js_name = confirmSelect)]
    pub fn confirm_select(&self, channel: f64) -> JsResult<()> {
        let c = ch(channel)?;
        self.driver.call(|b, now| b.confirm_select(c, now))?.map_err(failed("ConfirmSelect"))
    }

    /// Counters of one queue, or `undefined` if it does not exist.
    pub fn stats(&self, queue: JsValue) -> JsResult<JsValue> {
        let queue = name_arg(&queue, "stats", "queue")?;
        Ok(self.driver.read(|b| b.queue_stats(&queue)).as_ref().map_or(JsValue::UNDEFINED, stats_to_js))
    }

    /// Every queue's counters.
    #[wasm_bindgen(js_name = allStats)]
    pub fn all_stats(&self) -> js_sys::Array {
        self.driver.read(|b| b.all_queue_stats()).iter().map(stats_to_js).collect()
    }

    /// A number that changes whenever the topology changes.
    #[wasm_bindgen(js_name = topologyVersion)]
    pub fn topology_version(&self) -> f64 {
        self.driver.read(|b| b.topology_version()) as f64
    }

    /// The topology: `{ exchanges: [{name, type, durable, autoDelete, internal}], queues:
    /// [{name, durable, exclusive, autoDelete, arguments}], bindings: [{source, destination,
    /// destinationType, key, arguments}] }`.
    pub fn topology(&self) -> JsValue {
        let (exchanges, queues, bindings) = self.driver.read(|b| (b.exchanges(), b.queues(), b.bindings()));
        let out = Object::new();
        let xs: js_sys::Array = exchanges
            .iter()
            .map(|x| {
                let o = Object::new();
                set(&o, "name", JsValue::from_str(&x.name));
                set(&o, "type", JsValue::from_str(x.kind.as_str()));
                set(&o, "durable", JsValue::from_bool(x.options.durable));
                set(&o, "autoDelete", JsValue::from_bool(x.options.auto_delete));
                set(&o, "internal", JsValue::from_bool(x.options.internal));
                set(&o, "arguments", super::convert::table_to_js(&x.options.arguments));
                JsValue::from(o)
            })
            .collect();
        let qs: js_sys::Array = queues
            .iter()
            .map(|q| {
                let o = Object::new();
                set(&o, "name", JsValue::from_str(&q.name));
                set(&o, "durable", JsValue::from_bool(q.options.durable));
                set(&o, "exclusive", JsValue::from_bool(q.options.exclusive));
                set(&o, "autoDelete", JsValue::from_bool(q.options.auto_delete));
                set(&o, "arguments", super::convert::table_to_js(&q.options.arguments));
                JsValue::from(o)
            })
            .collect();
        let bs: js_sys::Array = bindings
            .iter()
            .map(|bnd| {
                let o = Object::new();
                set(&o, "source", JsValue::from_str(&bnd.source));
                set(&o, "destination", JsValue::from_str(bnd.destination.name()));
                let kind = match bnd.destination {
                    crate::core::Destination::Queue(_) => "queue",
                    crate::core::Destination::Exchange(_) => "exchange",
                };
                set(&o, "destinationType", JsValue::from_str(kind));
                set(&o, "key", JsValue::from_str(&bnd.key));
                set(&o, "arguments", super::convert::table_to_js(&bnd.arguments));
                JsValue::from(o)
            })
            .collect();
        set(&out, "exchanges", xs.into());
        set(&out, "queues", qs.into());
        set(&out, "bindings", bs.into());
        out.into()
    }
}
