//! Publishing: routing through exchanges (exchange-to-exchange bindings, alternate exchanges,
//! CC/BCC, direct reply-to), enqueueing under length limits, confirms, delays, dead-lettering.

use super::args::Overflow;
use super::broker::{Broker, Delayed, REPLY_TO};
use super::error::{AmqpError, ReplyCode, Result};
use super::event::{ChannelId, Event};
use super::exchange::Destination;
use super::message::{parse_expiration, Body, Message, Properties};
use super::queue::Entry;
use super::store_op::{MessageRecord, StoreOp};
use super::value::{FieldTable, FieldValue};
use super::collections::FastSet;
use std::rc::Rc;

/// Why a message was dead-lettered (the `reason` in `x-death`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeathReason {
    /// Rejected or nacked with `requeue = false`.
    Rejected,
    /// Its TTL ran out.
    Expired,
    /// Dropped by a length limit.
    MaxLen,
    /// Returned more often than `x-delivery-limit` allows.
    DeliveryLimit,
}

impl DeathReason {
    /// The reason as RabbitMQ writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            DeathReason::Rejected => "rejected",
            DeathReason::Expired => "expired",
            DeathReason::MaxLen => "maxlen",
            DeathReason::DeliveryLimit => "delivery_limit",
        }
    }
}

/// `basic.publish` arguments.
#[derive(Debug, Clone)]
pub struct Publish<B> {
    /// The exchange (`""` for the default exchange).
    pub exchange: String,
    /// The routing key.
    pub routing_key: String,
    /// Return the message (312 NO_ROUTE) if it reaches no queue.
    pub mandatory: bool,
    /// Its properties.
    pub properties: Properties,
    /// Its body.
    pub body: B,
}

impl<B> Publish<B> {
    /// A publish with default properties.
    pub fn new(exchange: &str, routing_key: &str, body: B) -> Self {
        Publish {
            exchange: exchange.into(),
            routing_key: routing_key.into(),
            mandatory: false,
            properties: Properties::default(),
            body,
        }
    }
}

/// A set of names seen while routing: a vector while small (the usual case: a message reaches
/// a few queues), a hash set beyond that.
#[derive(Default)]
pub(crate) struct Seen {
    few: Vec<Rc<str>>,
    many: FastSet<Rc<str>>,
}

impl Seen {
    /// Adds `name`; returns whether it was new.
    pub(crate) fn insert(&mut self, name: &Rc<str>) -> bool {
        if self.many.is_empty() {
            if self.few.iter().any(|n| Rc::ptr_eq(n, name) || n == name) {
                return false;
            }
            if self.few.len() < 16 {
                self.few.push(name.clone());
                return true;
            }
            self.many.extend(self.few.drain(..));
        }
        self.many.insert(name.clone())
    }
}

/// What happened to one message offered to its queues.
#[derive(Debug, Default)]
struct Outcome {
    routed: usize,
    rejected: bool,
    stored: bool,
}

fn cc_keys(headers: Option<&FieldTable>, name: &str, into: &mut Vec<String>) {
    if let Some(FieldValue::Array(keys)) = headers.and_then(|h| h.get(name)) {
        into.extend(keys.iter().filter_map(|k| k.as_str().map(str::to_string)));
    } else if let Some(FieldValue::Str(k)) = headers.and_then(|h| h.get(name)) {
        into.push(k.clone());
    }
}

impl<B: Body> Broker<B> {
    /// `basic.publish`. Returns the confirm sequence number on a confirm channel.
    ///
    /// Errors close the channel: 404 for a missing exchange, 403 for an internal one, 406 for
    /// an invalid `expiration` or an unknown direct reply-to consumer.
    pub fn basic_publish(&mut self, ch: ChannelId, publish: Publish<B>, now: u64) -> Result<Option<u64>> {
        self.guarded(ch, now, |b| b.publish_inner(ch, publish, now))
    }

    fn publish_inner(&mut self, ch: ChannelId, p: Publish<B>, now: u64) -> Result<Option<u64>> {
        let Publish { exchange, routing_key, mandatory, mut properties, body } = p;
        let x = self.exchanges.get(exchange.as_str()).ok_or_else(|| AmqpError::no_exchange(&exchange))?;
        if x.options.internal {
            return Err(AmqpError::access_refused(format_args!(
                "cannot publish to internal exchange '{exchange}' in vhost '/'"
            )));
        }
        if let Some(e) = &properties.expiration {
            if parse_expiration(e).is_none() {
                return Err(AmqpError::precondition(format_args!("invalid expiration '{e}': no_integer")));
            }
        }
        if let Some(max) = self.config.max_message_bytes {
            if body.byte_len() > max {
                return Err(AmqpError::precondition(format_args!(
                    "message size {} is larger than configured max size {max}",
                    body.byte_len()
                )));
            }
        }
        if properties.reply_to.as_deref() == Some(REPLY_TO) {
            if !self.reply_consumers.contains_key(&ch) {
                return Err(AmqpError::precondition("fast reply consumer does not exist"));
            }
            properties.reply_to = Some(self.reply_address(ch));
        }
        let seq = {
            let c = self.channel_mut(ch)?;
            c.confirm.then(|| {
                c.publish_seq += 1;
                c.publish_seq
            })
        };
        let delay = properties.header("x-delay").and_then(FieldValue::as_int).filter(|d| *d > 0);
        let msg = Rc::new(Message { exchange, routing_key, properties: properties.into(), body, bcc: Vec::new() });
        if let Some(delay) = delay {
            let stored = self.config.persistence && msg.properties.is_persistent();
            let id = self.next_id();
            let due = now.saturating_add(delay as u64);
            let d = Delayed { mandatory, channel: Some(ch), msg, stored };
            if stored {
                let rec = self.delayed_record(id, due, &d);
                self.emit_store(StoreOp::PutDelayed(rec));
            }
            self.delayed.insert(due, id, d);
            if let Some(seq) = seq {
                self.confirm(ch, seq, Outcome { routed: 1, rejected: false, stored });
            }
            return Ok(seq);
        }
        let outcome = self.route_and_enqueue(msg, mandatory, Some(ch), None, now);
        if let Some(seq) = seq {
            self.confirm(ch, seq, outcome);
        }
        Ok(seq)
    }

    fn confirm(&mut self, ch: ChannelId, seq: u64, outcome: Outcome) {
        if outcome.rejected {
            self.events.push_back(Event::Confirm { channel: ch, seq, ack: false });
        } else if outcome.stored && self.config.persistence {
            self.confirms_awaiting_batch.push((ch, seq));
        } else {
            self.events.push_back(Event::Confirm { channel: ch, seq, ack: true });
        }
    }

    pub(crate) fn reply_address(&self, ch: ChannelId) -> String {
        format!("{REPLY_TO}.{:x}.{}", self.config.name_salt, ch.0)
    }

    pub(crate) fn reply_channel(&self, routing_key: &str) -> Option<ChannelId> {
        let rest = routing_key.strip_prefix(REPLY_TO)?.strip_prefix('.')?;
        let (salt, ch) = rest.split_once('.')?;
        if salt != format!("{:x}", self.config.name_salt) {
            return None;
        }
        ch.parse().ok().map(ChannelId)
    }

    /// Routes a message from its exchange, following exchange-to-exchange bindings and
    /// alternate exchanges; returns the queues it reaches, each once.
    pub(crate) fn route(&self, exchange: &str, keys: &[String], headers: Option<&FieldTable>) -> Vec<Rc<str>> {
        let mut queues: Vec<Rc<str>> = Vec::new();
        let mut seen_queues = Seen::default();
        let mut seen_exchanges = Seen::default();
        let Some(start) = self.exchanges.get(exchange) else { return queues };
        let mut work = vec![start.name.clone()];
        seen_exchanges.insert(&start.name);
        while let Some(xname) = work.pop() {
            let Some(x) = self.exchanges.get(&xname) else { continue };
            let mut found_any = false;
            if x.name.is_empty() {
                for k in keys {
                    if let Some(q) = self.queues.get(k.as_str()) {
                        found_any = true;
                        if seen_queues.insert(&q.name) {
                            queues.push(q.name.clone());
                        }
                    }
                }
            } else {
                for k in keys {
                    x.route(k, headers, &mut |d| {
                        found_any = true;
                        match d {
                            Destination::Queue(q) => {
                                if seen_queues.insert(q) {
                                    queues.push(q.clone());
                                }
                            }
                            Destination::Exchange(e) => {
                                if seen_exchanges.insert(e) {
                                    work.push(e.clone());
                                }
                            }
                        }
                    });
                }
            }
            if !found_any {
                if let Some(ae) = x.options.alternate_exchange() {
                    if let Some(ae) = self.exchanges.get(ae) {
                        if seen_exchanges.insert(&ae.name) {
                            work.push(ae.name.clone());
                        }
                    }
                }
            }
        }
        queues
    }

    /// Routes `msg` and offers it to each queue reached. `dead_from` is the queue it was
    /// dead-lettered from, for cycle detection.
    fn route_and_enqueue(
        &mut self,
        mut msg: Rc<Message<B>>,
        mandatory: bool,
        channel: Option<ChannelId>,
        death_keys: Option<Vec<String>>,
        now: u64,
    ) -> Outcome {
        let is_dead_letter = death_keys.is_some();
        let mut keys = death_keys.unwrap_or_else(|| vec![msg.routing_key.clone()]);
        let headers = msg.properties.headers.as_ref();
        let has_cc = headers.is_some_and(|h| h.contains_key("CC") || h.contains_key("BCC"));
        if has_cc {
            cc_keys(headers, "CC", &mut keys);
            let mut bcc = Vec::new();
            cc_keys(headers, "BCC", &mut bcc);
            if msg.properties.header("BCC").is_some() {
                keys.extend(bcc.iter().cloned());
                let m = Rc::make_mut(&mut msg);
                if let Some(h) = m.properties.headers.as_mut() {
                    h.remove("BCC");
                }
                m.bcc = bcc;
                m.body.message_changed();
            }
        }
        let mut outcome = Outcome::default();
        if msg.exchange.is_empty() {
            if let Some(target) = self.reply_channel(&msg.routing_key) {
                if let Some(tag) = self.reply_consumers.get(&target).cloned() {
                    // RabbitMQ treats the address as "not a queue": the reply is delivered, and a
                    // mandatory publish is still returned as unrouted.
                    self.deliver_direct(target, tag, msg.clone());
                    if mandatory {
                        if let Some(ch) = channel {
                            self.events.push_back(Event::Return {
                                channel: ch,
                                reply: AmqpError { code: ReplyCode::NoRoute, text: "NO_ROUTE".into() },
                                message: msg,
                            });
                        }
                    }
                    return outcome;
                }
            }
        }
        let queues = self.route(&msg.exchange, &keys, msg.properties.headers.as_ref());
        let id = self.next_id();
        for q in queues {
            if is_dead_letter && self.dead_letter_cycle(&msg, &q) {
                continue;
            }
            match self.enqueue(&q, id, msg.clone(), now) {
                Some(stored) => {
                    outcome.routed += 1;
                    outcome.stored |= stored;
                }
                None => outcome.rejected = true,
            }
        }
        if outcome.routed == 0 && !outcome.rejected && mandatory {
            if let Some(ch) = channel {
                self.events.push_back(Event::Return {
                    channel: ch,
                    reply: AmqpError { code: ReplyCode::NoRoute, text: "NO_ROUTE".into() },
                    message: msg,
                });
            }
        }
        outcome
    }

    /// RabbitMQ drops a dead-lettered message that would re-enter a queue it already died in
    /// when no death in its history was a rejection (an automatic cycle).
    fn dead_letter_cycle(&self, msg: &Message<B>, queue: &str) -> bool {
        let Some(FieldValue::Array(deaths)) = msg.properties.header("x-death") else { return false };
        let mut seen_queue = false;
        for d in deaths {
            if let FieldValue::Table(t) = d {
                if t.get("reason").and_then(FieldValue::as_str) == Some("rejected") {
                    return false;
                }
                if t.get("queue").and_then(FieldValue::as_str) == Some(queue) {
                    seen_queue = true;
                }
            }
        }
        seen_queue
    }

    /// Offers a message to a queue under its length limits. Returns `Some(stored)` if taken,
    /// `None` if refused (`reject-publish`, `reject-publish-dlx`).
    fn enqueue(&mut self, qname: &Rc<str>, id: u64, msg: Rc<Message<B>>, now: u64) -> Option<bool> {
        let persistence = self.config.persistence;
        let q = self.queues.get_mut(qname)?;
        let size = msg.body_len();
        if q.args.overflow != Overflow::DropHead && q.would_overflow(size) {
            if q.args.overflow == Overflow::RejectPublish {
                q.stats.dropped += 1;
            } else {
                // Counted by dead_letter: dead-lettered, or dropped when there is no DLX.
                let entry = Entry {
                    id,
                    msg,
                    enqueued_at: now,
                    expires_at: None,
                    delivery_count: 0,
                    level: 0,
                    size,
                    stored: false,
                };
                self.dead_letter(qname, entry, DeathReason::MaxLen, now);
            }
            return None;
        }
        let ttl = [q.args.message_ttl, msg.properties.expiration.as_deref().and_then(parse_expiration)]
            .into_iter()
            .flatten()
            .min();
        let stored = persistence && q.is_durable() && msg.properties.is_persistent();
        let entry = Entry {
            id,
            level: q.level_for(msg.properties.priority),
            msg,
            enqueued_at: now,
            expires_at: ttl.map(|t| now.saturating_add(t)),
            delivery_count: 0,
            size,
            stored,
        };
        q.stats.published += 1;
        let record = stored.then(|| message_record(qname, &entry, None));
        q.push(entry);
        let mut dropped = Vec::new();
        while q.over_limit() {
            match q.pop() {
                Some(e) => dropped.push(e),
                None => break,
            }
        }
        self.dirty.push(qname.clone());
        if let Some(r) = record {
            self.emit_store(StoreOp::PutMessage(r));
        }
        for e in dropped {
            self.dead_letter(qname, e, DeathReason::MaxLen, now);
        }
        Some(stored)
    }

    /// Removes a message for good from queue `qname`'s point of view and, if the queue has a
    /// dead-letter exchange, republishes it there with an `x-death` entry.
    pub(crate) fn dead_letter(&mut self, qname: &str, entry: Entry<B>, reason: DeathReason, now: u64) {
        if entry.stored {
            self.emit_store(StoreOp::DeleteMessage { queue: qname.into(), id: entry.id });
        }
        let Some(q) = self.queues.get_mut(qname) else { return };
        let Some(dlx) = q.args.dead_letter_exchange.clone() else {
            q.stats.dropped += 1;
            return;
        };
        q.stats.dead_lettered += 1;
        let dlrk = q.args.dead_letter_routing_key.clone();
        let mut msg = (*entry.msg).clone();
        msg.body.message_changed();
        let mut keys = record_death(&mut msg, qname, reason, now);
        match dlrk {
            Some(k) => {
                // The queue's dead-letter routing key replaces all others, CC included.
                if let Some(h) = msg.properties.headers.as_mut() {
                    h.remove("CC");
                }
                keys = vec![k];
            }
            None => keys.extend(msg.bcc.iter().cloned()),
        }
        msg.exchange = dlx;
        if let Some(k) = keys.first() {
            msg.routing_key = k.clone();
        }
        self.route_and_enqueue(Rc::new(msg), false, None, Some(keys), now);
    }

    /// Routes the delayed messages that are due.
    pub(crate) fn release_delayed(&mut self, now: u64) {
        while let Some((_, id, d)) = self.delayed.pop_due(now) {
            if d.stored {
                self.emit_store(StoreOp::DeleteDelayed(id));
            }
            let channel = d.channel.filter(|c| self.channels.contains_key(c));
            self.route_and_enqueue(d.msg, d.mandatory, channel, None, now);
        }
    }
}

/// The store record of a queued message.
pub(crate) fn message_record<B: Clone>(queue: &str, e: &Entry<B>, not_before: Option<u64>) -> MessageRecord<B> {
    MessageRecord {
        queue: queue.into(),
        id: e.id,
        message: (*e.msg).clone(),
        enqueued_at: e.enqueued_at,
        expires_at: e.expires_at,
        delivery_count: e.delivery_count,
        not_before,
    }
}

/// Adds (or counts up) the `x-death` entry for (`queue`, `reason`), sets `x-first-death-*` and
/// `x-last-death-*`, removes `expiration`; returns the routing keys the message died with.
fn record_death<B>(msg: &mut Message<B>, queue: &str, reason: DeathReason, now: u64) -> Vec<String> {
    let mut keys = vec![msg.routing_key.clone()];
    cc_keys(msg.properties.headers.as_ref(), "CC", &mut keys);
    let original_expiration = msg.properties.expiration.clone();
    let headers = msg.properties.headers.get_or_insert_with(FieldTable::new);
    let mut deaths = match headers.remove("x-death") {
        Some(FieldValue::Array(a)) => a,
        _ => Vec::new(),
    };
    let same = |t: &FieldTable| {
        t.get("queue").and_then(FieldValue::as_str) == Some(queue)
            && t.get("reason").and_then(FieldValue::as_str) == Some(reason.as_str())
    };
    let existing = deaths.iter().position(|d| matches!(d, FieldValue::Table(t) if same(t)));
    let entry = match existing {
        Some(i) => {
            let FieldValue::Table(mut t) = deaths.remove(i) else { unreachable!("matched a table") };
            let count = t.get("count").and_then(FieldValue::as_int).unwrap_or(0) + 1;
            t.insert("count".into(), FieldValue::Int(count));
            t.insert("time".into(), FieldValue::Timestamp(now / 1000));
            t
        }
        None => {
            let mut t = FieldTable::new();
            t.insert("count".into(), FieldValue::Int(1));
            t.insert("reason".into(), reason.as_str().into());
            t.insert("queue".into(), queue.into());
            t.insert("time".into(), FieldValue::Timestamp(now / 1000));
            t.insert("exchange".into(), msg.exchange.clone().into());
            t.insert("routing-keys".into(), FieldValue::Array(keys.iter().cloned().map(FieldValue::Str).collect()));
            if let Some(e) = original_expiration {
                t.insert("original-expiration".into(), e.into());
            }
            t
        }
    };
    deaths.insert(0, FieldValue::Table(entry));
    headers.insert("x-death".into(), FieldValue::Array(deaths));
    if !headers.contains_key("x-first-death-reason") {
        headers.insert("x-first-death-reason".into(), reason.as_str().into());
        headers.insert("x-first-death-queue".into(), queue.into());
        headers.insert("x-first-death-exchange".into(), msg.exchange.clone().into());
    }
    headers.insert("x-last-death-reason".into(), reason.as_str().into());
    headers.insert("x-last-death-queue".into(), queue.into());
    headers.insert("x-last-death-exchange".into(), msg.exchange.clone().into());
    msg.properties.expiration = None;
    keys
}
