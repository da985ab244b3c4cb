//! Shared harness for the deterministic native tests of the core: one broker, a fake clock,
//! and helpers that turn events into plain values tests can compare.
#![allow(dead_code)]

use std::collections::VecDeque;

use switchyard::core::*;

/// A delivery as tests look at it.
#[derive(Debug, Clone, PartialEq)]
pub struct Got {
    /// The consumer tag (`""` for `basic.get`).
    pub tag: String,
    /// The body, as UTF-8.
    pub body: String,
    /// Whether it was flagged redelivered.
    pub redelivered: bool,
    /// The application headers (empty when there are none).
    pub headers: FieldTable,
    /// The delivery tag, to settle it with.
    pub delivery_tag: u64,
    /// The channel it arrived on.
    pub channel: ChannelId,
    /// The routing key it was (last) published with.
    pub routing_key: String,
    /// The exchange it was (last) published to.
    pub exchange: String,
    /// Its properties.
    pub properties: Properties,
    /// `basic.get`'s remaining message count.
    pub message_count: Option<u32>,
}

impl Got {
    fn from(d: &Delivery<Vec<u8>>) -> Got {
        Got {
            tag: d.consumer_tag.as_deref().unwrap_or("").to_string(),
            body: String::from_utf8(d.message.body.clone()).expect("utf-8 body"),
            redelivered: d.redelivered,
            headers: d.message.properties.headers.clone().unwrap_or_default(),
            delivery_tag: d.delivery_tag,
            channel: d.channel,
            routing_key: d.message.routing_key.clone(),
            exchange: d.message.exchange.clone(),
            properties: (*d.message.properties).clone(),
            message_count: d.message_count,
        }
    }

    /// The `x-death` entries, newest first.
    pub fn x_death(&self) -> Vec<FieldTable> {
        match self.headers.get("x-death") {
            Some(FieldValue::Array(a)) => a
                .iter()
                .map(|v| match v {
                    FieldValue::Table(t) => t.clone(),
                    other => panic!("x-death entry is not a table: {other:?}"),
                })
                .collect(),
            None => Vec::new(),
            Some(other) => panic!("x-death is not an array: {other:?}"),
        }
    }

    /// A header as a string.
    pub fn header_str(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(FieldValue::as_str)
    }
}

/// A broker, a fake clock, and the events not yet looked at.
pub struct Harness {
    pub broker: Broker<Vec<u8>>,
    /// The fake clock (ms).
    pub now: u64,
    pending: VecDeque<Event<Vec<u8>>>,
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}

impl Harness {
    /// A memory-only broker at time 0.
    pub fn new() -> Self {
        Self::with_config(BrokerConfig::default())
    }

    /// A broker with `config` at time 0.
    pub fn with_config(config: BrokerConfig) -> Self {
        Harness { broker: Broker::new(config), now: 0, pending: VecDeque::new() }
    }

    /// A broker with store operations on.
    pub fn persistent() -> Self {
        Self::with_config(BrokerConfig { persistence: true, ..Default::default() })
    }

    /// Wraps an existing broker (e.g. one restored from a snapshot) at time `now`.
    pub fn from_broker(broker: Broker<Vec<u8>>, now: u64) -> Self {
        Harness { broker, now, pending: VecDeque::new() }
    }

    // ----- time ---------------------------------------------------------------------------

    /// Moves the clock forward by `ms`, calling `handle_timeout` at each deadline that falls
    /// due on the way (at that deadline's time), then at the final time if one is due.
    pub fn advance(&mut self, ms: u64) {
        let target = self.now + ms;
        let mut guard = 0;
        while let Some(t) = self.broker.poll_timeout() {
            if t > target {
                break;
            }
            self.now = self.now.max(t);
            self.broker.handle_timeout(self.now);
            guard += 1;
            assert!(guard < 100_000, "poll_timeout keeps returning a deadline at or before {}", self.now);
        }
        self.now = target;
    }

    // ----- connections and channels -------------------------------------------------------

    pub fn connection(&mut self) -> ConnectionId {
        self.broker.open_connection()
    }

    pub fn channel(&mut self, conn: ConnectionId) -> ChannelId {
        self.broker.open_channel(conn).expect("open channel")
    }

    /// A new connection with one channel.
    pub fn open(&mut self) -> (ConnectionId, ChannelId) {
        let c = self.connection();
        let ch = self.channel(c);
        (c, ch)
    }

    /// A new channel on a new connection.
    pub fn ch(&mut self) -> ChannelId {
        self.open().1
    }

    // ----- topology -----------------------------------------------------------------------

    /// Declares a durable, non-exclusive queue with `args`; panics on error.
    pub fn queue(&mut self, ch: ChannelId, name: &str, args: FieldTable) -> String {
        let opts = QueueOptions { arguments: args, ..Default::default() };
        self.declare_queue(ch, name, opts).unwrap_or_else(|e| panic!("declare queue {name}: {e}")).queue
    }

    pub fn declare_queue(&mut self, ch: ChannelId, name: &str, opts: QueueOptions) -> Result<QueueDeclareOk> {
        self.broker.queue_declare(ch, name, opts, false, self.now)
    }

    pub fn passive_queue(&mut self, ch: ChannelId, name: &str) -> Result<QueueDeclareOk> {
        self.broker.queue_declare(ch, name, QueueOptions::default(), true, self.now)
    }

    /// Declares an exchange with default options; panics on error.
    pub fn exchange(&mut self, ch: ChannelId, name: &str, kind: ExchangeKind) {
        self.declare_exchange(ch, name, kind, ExchangeOptions::default())
            .unwrap_or_else(|e| panic!("declare exchange {name}: {e}"));
    }

    pub fn declare_exchange(
        &mut self,
        ch: ChannelId,
        name: &str,
        kind: ExchangeKind,
        opts: ExchangeOptions,
    ) -> Result<()> {
        self.broker.exchange_declare(ch, name, kind, opts, false, self.now)
    }

    pub fn passive_exchange(&mut self, ch: ChannelId, name: &str) -> Result<()> {
        self.broker.exchange_declare(ch, name, ExchangeKind::Direct, ExchangeOptions::default(), true, self.now)
    }

    /// Binds queue `q` to exchange `x` with `key`; panics on error.
    pub fn bind(&mut self, ch: ChannelId, q: &str, x: &str, key: &str) {
        self.bind_args(ch, q, x, key, FieldTable::new());
    }

    pub fn bind_args(&mut self, ch: ChannelId, q: &str, x: &str, key: &str, args: FieldTable) {
        self.broker.queue_bind(ch, q, x, key, args, self.now).unwrap_or_else(|e| panic!("bind {q} to {x}: {e}"));
    }

    /// Whether a queue exists (without touching it).
    pub fn queue_exists(&self, name: &str) -> bool {
        self.broker.queue_stats(name).is_some()
    }

    /// Whether an exchange exists.
    pub fn exchange_exists(&self, name: &str) -> bool {
        self.broker.exchanges().iter().any(|x| x.name == name)
    }

    pub fn stats(&self, q: &str) -> QueueStats {
        self.broker.queue_stats(q).unwrap_or_else(|| panic!("no queue {q}"))
    }

    pub fn ready(&self, q: &str) -> u64 {
        self.stats(q).messages_ready
    }

    // ----- publishing ---------------------------------------------------------------------

    /// Publishes `body` with default properties; panics on error.
    pub fn publish(&mut self, ch: ChannelId, x: &str, key: &str, body: &str) -> Option<u64> {
        self.publish_with(ch, x, key, body, Properties::default()).unwrap_or_else(|e| panic!("publish: {e}"))
    }

    pub fn publish_with(
        &mut self,
        ch: ChannelId,
        x: &str,
        key: &str,
        body: &str,
        props: Properties,
    ) -> Result<Option<u64>> {
        let mut p = Publish::new(x, key, body.as_bytes().to_vec());
        p.properties = props;
        self.broker.basic_publish(ch, p, self.now)
    }

    pub fn publish_mandatory(
        &mut self,
        ch: ChannelId,
        x: &str,
        key: &str,
        body: &str,
        props: Properties,
    ) -> Result<Option<u64>> {
        let mut p = Publish::new(x, key, body.as_bytes().to_vec());
        p.properties = props;
        p.mandatory = true;
        self.broker.basic_publish(ch, p, self.now)
    }

    // ----- consuming ----------------------------------------------------------------------

    /// Consumes with tag `tag` (ack mode); panics on error.
    pub fn consume(&mut self, ch: ChannelId, q: &str, tag: &str) -> String {
        self.consume_with(ch, q, ConsumeOptions { consumer_tag: Some(tag.into()), ..Default::default() })
            .unwrap_or_else(|e| panic!("consume {q}: {e}"))
    }

    /// Consumes with tag `tag` in no-ack mode; panics on error.
    pub fn consume_no_ack(&mut self, ch: ChannelId, q: &str, tag: &str) -> String {
        let opts = ConsumeOptions { consumer_tag: Some(tag.into()), no_ack: true, ..Default::default() };
        self.consume_with(ch, q, opts).unwrap_or_else(|e| panic!("consume {q}: {e}"))
    }

    pub fn consume_with(&mut self, ch: ChannelId, q: &str, opts: ConsumeOptions) -> Result<String> {
        self.broker.basic_consume(ch, q, opts, self.now)
    }

    /// `basic.get` in ack mode; panics on error.
    pub fn get(&mut self, ch: ChannelId, q: &str) -> Option<Got> {
        self.broker.basic_get(ch, q, false, self.now).unwrap_or_else(|e| panic!("get {q}: {e}")).map(|d| Got::from(&d))
    }

    /// Takes every ready message of `q` with no-ack gets, returning the bodies in order.
    pub fn drain(&mut self, ch: ChannelId, q: &str) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(d) = self.broker.basic_get(ch, q, true, self.now).unwrap_or_else(|e| panic!("get {q}: {e}")) {
            out.push(String::from_utf8(d.message.body.to_vec()).unwrap());
        }
        out
    }

    /// Takes every ready message of `q` with no-ack gets, as [`Got`]s.
    pub fn drain_got(&mut self, ch: ChannelId, q: &str) -> Vec<Got> {
        let mut out = Vec::new();
        while let Some(d) = self.broker.basic_get(ch, q, true, self.now).unwrap_or_else(|e| panic!("get {q}: {e}")) {
            out.push(Got::from(&d));
        }
        out
    }

    pub fn ack(&mut self, ch: ChannelId, tag: u64) {
        self.broker.basic_ack(ch, tag, false, self.now).unwrap_or_else(|e| panic!("ack {tag}: {e}"));
    }

    pub fn nack(&mut self, ch: ChannelId, tag: u64, requeue: bool) {
        self.broker.basic_nack(ch, tag, false, requeue, self.now).unwrap_or_else(|e| panic!("nack {tag}: {e}"));
    }

    // ----- events -------------------------------------------------------------------------

    fn pull(&mut self) {
        let new: Vec<_> = self.broker.drain_events().collect();
        self.pending.extend(new);
    }

    /// Takes the deliveries among the pending events, in order; other events stay pending.
    pub fn deliveries(&mut self) -> Vec<Got> {
        self.pull();
        let mut out = Vec::new();
        let mut rest = VecDeque::new();
        for e in self.pending.drain(..) {
            match &e {
                Event::Deliver(d) => out.push(Got::from(d)),
                _ => rest.push_back(e),
            }
        }
        self.pending = rest;
        out
    }

    /// Deliveries as (consumer tag, body) pairs.
    pub fn delivered(&mut self) -> Vec<(String, String)> {
        self.deliveries().into_iter().map(|g| (g.tag, g.body)).collect()
    }

    /// Takes every pending event (deliveries included), in order.
    pub fn events(&mut self) -> Vec<Event<Vec<u8>>> {
        self.pull();
        self.pending.drain(..).collect()
    }

    /// Takes the pending events that are not deliveries.
    pub fn other_events(&mut self) -> Vec<Event<Vec<u8>>> {
        self.events().into_iter().filter(|e| !matches!(e, Event::Deliver(_))).collect()
    }

    /// The confirms among the pending events as (channel, seq, ack); other events stay pending.
    pub fn confirms(&mut self) -> Vec<(ChannelId, u64, bool)> {
        self.pull();
        let mut out = Vec::new();
        let mut rest = VecDeque::new();
        for e in self.pending.drain(..) {
            match e {
                Event::Confirm { channel, seq, ack } => out.push((channel, seq, ack)),
                other => rest.push_back(other),
            }
        }
        self.pending = rest;
        out
    }

    /// The returns among the pending events as (channel, reply code, routing key, body).
    pub fn returns(&mut self) -> Vec<(ChannelId, u16, String, String)> {
        self.pull();
        let mut out = Vec::new();
        let mut rest = VecDeque::new();
        for e in self.pending.drain(..) {
            match e {
                Event::Return { channel, reply, message } => out.push((
                    channel,
                    reply.code.code(),
                    message.routing_key.clone(),
                    String::from_utf8(message.body.clone()).unwrap(),
                )),
                other => rest.push_back(other),
            }
        }
        self.pending = rest;
        out
    }

    /// The channel-closed events among the pending ones as (channel, reply code).
    pub fn channel_closes(&mut self) -> Vec<(ChannelId, u16)> {
        self.events()
            .into_iter()
            .filter_map(|e| match e {
                Event::ChannelClosed { channel, error } => Some((channel, error.code.code())),
                _ => None,
            })
            .collect()
    }
}

// ----- small builders ---------------------------------------------------------------------

/// A headers table.
pub fn headers<const N: usize>(pairs: [(&str, FieldValue); N]) -> FieldTable {
    table(pairs)
}

/// Properties with only `headers` set.
pub fn with_headers(h: FieldTable) -> Properties {
    Properties { headers: Some(h), ..Default::default() }
}

/// Properties with only `priority` set.
pub fn with_priority(p: u8) -> Properties {
    Properties { priority: Some(p), ..Default::default() }
}

/// Properties with only `expiration` set.
pub fn with_expiration(ms: &str) -> Properties {
    Properties { expiration: Some(ms.into()), ..Default::default() }
}

/// Persistent (delivery mode 2) properties.
pub fn persistent() -> Properties {
    Properties { delivery_mode: Some(2), ..Default::default() }
}

/// A string array field value.
pub fn strs(items: &[&str]) -> FieldValue {
    FieldValue::Array(items.iter().map(|s| FieldValue::Str((*s).to_string())).collect())
}

/// Asserts that `r` failed with reply code `code`.
#[track_caller]
pub fn assert_code<T: std::fmt::Debug>(r: Result<T>, code: u16) -> AmqpError {
    match r {
        Ok(v) => panic!("expected error {code}, got Ok({v:?})"),
        Err(e) => {
            assert_eq!(e.code.code(), code, "wrong reply code: {}", e.text);
            e
        }
    }
}
