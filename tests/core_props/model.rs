//! The in-test model behind the conservation and restore properties: where every copy of every
//! published message is. It follows RabbitMQ's documented rules — routing by exchange type,
//! FIFO per priority level with requeue to the original position, TTL applied at the head of a
//! queue, `x-max-length` with `x-overflow`, dead-lettering to a DLX, `x-delivery-limit`,
//! `x-expires`, prefetch and single active consumer, and the per-queue counters. Deliveries are not predicted but observed: the model
//! checks that each one was allowed (the head of its queue, within prefetch, to an eligible
//! consumer, with the right `redelivered` flag) and then moves the copy.
//!
//! The dead-letter queue is kept as a set: the order in which one step dead-letters several
//! messages is not something RabbitMQ documents, so the model does not pin it down.

use super::spec::*;
use std::collections::{BTreeMap, BTreeSet};
use switchyard::core::{ChannelId, Delivery, ExchangeKind, FieldValue};

pub type R = Result<(), String>;

/// A published message as the model remembers it.
#[derive(Debug, Clone)]
pub struct Msg {
    pub n: u64,
    pub ex: usize,
    pub key: usize,
    pub hdr: usize,
    pub prio: u8,
    pub ttl: Option<u64>,
    pub persistent: bool,
    pub mandatory: bool,
}

/// One copy of a message in one queue. `(n, origin)` names it: `origin` is the queue it was
/// dead-lettered from (`x-first-death-queue`), `seq` its position (the broker's id order).
#[derive(Debug, Clone)]
pub struct Item {
    pub n: u64,
    pub origin: Option<String>,
    pub seq: u64,
    pub prio: u8,
    pub level: u8,
    pub expires: Option<u64>,
    pub deliveries: u32,
    pub persistent: bool,
    pub stored: bool,
    /// Why it was dead-lettered (`x-first-death-reason`), for a copy in `DLQ`.
    pub death: Option<&'static str>,
}

/// A queue's counters as `QueueStats` reports them.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub published: u64,
    pub delivered: u64,
    pub redelivered: u64,
    pub acked: u64,
    pub dead_lettered: u64,
    pub dropped: u64,
}

#[derive(Debug)]
pub struct MQueue {
    pub uid: u64,
    pub spec: QSpec,
    pub levels: Vec<BTreeMap<u64, Item>>,
    pub parked: Vec<(u64, Item)>,
    pub unacked: usize,
    pub consumers: Vec<(usize, String)>,
    pub exclusive: bool,
    pub last_used: u64,
    pub counts: Counts,
}

impl MQueue {
    pub fn ready(&self) -> usize {
        self.levels.iter().map(BTreeMap::len).sum()
    }
    fn push(&mut self, it: Item) {
        self.levels[it.level as usize].insert(it.seq, it);
    }
    fn pop_head(&mut self) -> Option<Item> {
        self.levels.iter_mut().rev().find_map(|l| l.pop_first().map(|(_, it)| it))
    }
}

#[derive(Debug)]
pub struct MCons {
    pub queue: String,
    pub quid: u64,
    pub no_ack: bool,
    pub prefetch: u32,
    pub unacked: u32,
    pub prio: i64,
    pub inst: u64,
}

/// An unacknowledged delivery: the copy, its queue incarnation, the consumer instance.
#[derive(Debug)]
pub struct Un {
    pub queue: String,
    pub quid: u64,
    pub item: Item,
    pub inst: Option<u64>,
}

#[derive(Debug, Default)]
pub struct MChan {
    pub id: Option<ChannelId>,
    pub last_tag: u64,
    pub prefetch_next: u32,
    pub prefetch_global: u32,
    pub unacked: BTreeMap<u64, Un>,
    pub consumers: BTreeMap<String, MCons>,
}

#[derive(Debug, Clone, Copy)]
pub enum How {
    Ack,
    Requeue,
    Reject,
    Delay(u64),
}

/// The model. Outcome counters: `created` copies (one per queue a publish reached, plus one per
/// dead-lettering into `DLQ`) always equal live copies + `acked` + `to_dlq` + `dropped`.
#[derive(Debug, Default)]
pub struct Model {
    pub now: u64,
    pub persistence: bool,
    pub queues: BTreeMap<String, MQueue>,
    /// (exchange index, queue, binding key index, arguments index).
    pub bindings: BTreeSet<(usize, String, usize, usize)>,
    pub chans: Vec<MChan>,
    /// `x-delay` publishes waiting: (due, publish order, channel, message).
    pub delayed: Vec<(u64, u64, ChannelId, Msg)>,
    pub returns: Vec<u64>,
    pub cancels: Vec<(ChannelId, String)>,
    pub published: u64,
    pub fanout_copies: u64,
    pub routed: u64,
    pub unroutable: u64,
    pub created: u64,
    pub acked: u64,
    pub to_dlq: u64,
    pub dropped: BTreeMap<&'static str, u64>,
    next: u64,
}

pub fn body(n: u64) -> Vec<u8> {
    n.to_le_bytes().to_vec()
}

/// The `(n, origin)` a delivered message names.
pub fn ident(d: &Delivery<Vec<u8>>) -> (u64, Option<String>) {
    let n = u64::from_le_bytes(d.message.body.as_slice().try_into().expect("8-byte body"));
    let origin = d.message.properties.header("x-first-death-queue").and_then(|v| v.as_str()).map(String::from);
    (n, origin)
}

impl Model {
    pub fn new(persistence: bool, slots: usize) -> Self {
        let mut m = Model { persistence, ..Model::default() };
        m.chans.resize_with(slots, MChan::default);
        m.declare(DLQ, QSpec { durable: true, ..QSpec::default() });
        m
    }

    fn seq(&mut self) -> u64 {
        self.next += 1;
        self.next
    }

    fn drop_n(&mut self, why: &'static str, k: usize) {
        *self.dropped.entry(why).or_default() += k as u64;
    }

    pub fn slot_of(&self, ch: ChannelId) -> Option<usize> {
        self.chans.iter().position(|c| c.id == Some(ch))
    }

    pub fn declare(&mut self, name: &str, spec: QSpec) {
        let levels = (0..=spec.max_prio.unwrap_or(0)).map(|_| BTreeMap::new()).collect();
        let uid = self.seq();
        let (counts, last_used) = (Counts::default(), self.now);
        let q = MQueue {
            uid,
            spec,
            levels,
            parked: vec![],
            unacked: 0,
            consumers: vec![],
            exclusive: false,
            last_used,
            counts,
        };
        self.queues.insert(name.to_string(), q);
    }

    /// A use that renews an `x-expires` lease (declare, consume, cancel, get).
    pub fn touch(&mut self, q: &str) {
        let now = self.now;
        self.queues.get_mut(q).into_iter().for_each(|q| q.last_used = now);
    }

    /// The queues a message reaches (each once).
    pub fn route(&self, m: &Msg) -> Vec<String> {
        let rk = ROUTING_KEYS[m.key];
        if m.ex == 0 {
            return if self.queues.contains_key(rk) { vec![rk.to_string()] } else { vec![] };
        }
        let headers = message_headers(m.hdr);
        let mut out: Vec<String> = vec![];
        for (x, q, k, a) in &self.bindings {
            let hit = *x == m.ex
                && match KINDS[x - 1] {
                    ExchangeKind::Direct => BIND_KEYS[*k] == rk,
                    ExchangeKind::Topic => topic_match(BIND_KEYS[*k], rk),
                    ExchangeKind::Fanout => true,
                    ExchangeKind::Headers => headers_match(&binding_args(*a), headers.as_ref()),
                };
            if hit && !out.contains(q) {
                out.push(q.clone());
            }
        }
        out
    }

    pub fn publish(&mut self, m: &Msg, ch: ChannelId) {
        let queues = self.route(m);
        if queues.is_empty() {
            self.unroutable += 1;
            if m.mandatory && self.slot_of(ch).is_some() {
                self.returns.push(m.n);
            }
            return;
        }
        self.routed += 1;
        self.fanout_copies += queues.len() as u64;
        let seq = self.seq();
        for q in queues {
            let it = Item {
                n: m.n,
                origin: None,
                seq,
                prio: m.prio,
                level: 0,
                expires: m.ttl,
                deliveries: 0,
                persistent: m.persistent,
                stored: false,
                death: None,
            };
            self.enqueue(&q, it);
        }
    }

    /// Offers a copy (`expires` still relative) to a queue under its length limit.
    fn enqueue(&mut self, q: &str, mut it: Item) {
        self.created += 1;
        let (now, persistence) = (self.now, self.persistence);
        let mq = self.queues.get_mut(q).expect("routed to a live queue");
        let s = mq.spec.clone();
        if s.overflow >= 2 && s.max_len.is_some_and(|m| mq.ready() as u64 >= m) {
            if s.overflow == 3 {
                self.dead_letter(q, it, "maxlen");
            } else {
                mq.counts.dropped += 1;
                self.drop_n("refused (reject-publish)", 1);
            }
            return;
        }
        it.level = it.prio.min(s.max_prio.unwrap_or(0));
        it.expires = [s.ttl, it.expires].into_iter().flatten().min().map(|t| now.saturating_add(t));
        it.stored = persistence && s.durable && it.persistent;
        mq.counts.published += 1;
        mq.push(it);
        let mut over = vec![];
        while s.max_len.is_some_and(|m| mq.ready() as u64 > m) {
            over.extend(mq.pop_head());
        }
        for it in over {
            self.dead_letter(q, it, "maxlen");
        }
    }

    /// Dead-letters a copy leaving `q` for good: into `DLQ` through `DLX`, or dropped.
    fn dead_letter(&mut self, q: &str, mut it: Item, why: &'static str) {
        let mq = self.queues.get_mut(q).expect("live");
        if mq.spec.dlx == 0 {
            mq.counts.dropped += 1;
        } else {
            mq.counts.dead_lettered += 1;
        }
        match mq.spec.dlx {
            0 => self.drop_n(why, 1),
            2 => self.drop_n("dead-lettered to a missing exchange", 1),
            _ => {
                self.to_dlq += 1;
                it.death = Some(why);
                it.origin = Some(q.to_string());
                it.expires = None;
                it.deliveries = 0;
                it.seq = self.seq();
                self.enqueue(DLQ, it);
            }
        }
    }

    fn requeue(&mut self, q: &str, it: Item) {
        let mq = self.queues.get_mut(q).expect("live");
        if mq.spec.limit.is_some_and(|l| it.deliveries as u64 > l) {
            self.dead_letter(q, it, "delivery_limit");
        } else {
            mq.push(it);
        }
    }

    /// Removes expired heads (`< now`, or `<= now` when `inclusive`) of every level.
    fn expire(&mut self, q: &str, inclusive: bool) {
        let now = self.now;
        let Some(mq) = self.queues.get_mut(q) else { return };
        let mut out = vec![];
        for l in mq.levels.iter_mut() {
            while l
                .first_key_value()
                .is_some_and(|(_, it)| it.expires.is_some_and(|t| t < now || (inclusive && t == now)))
            {
                out.extend(l.pop_first().map(|(_, it)| it));
            }
        }
        for it in out {
            self.dead_letter(q, it, "expired");
        }
    }

    pub fn expire_all(&mut self) {
        let names: Vec<String> = self.queues.keys().cloned().collect();
        names.iter().for_each(|q| self.expire(q, true));
    }

    /// A timer fires at `t`. The broker handles the queues' deadlines first (parked messages
    /// due go back to their positions, heads due expire), then routes the `x-delay` messages
    /// due ([`Self::release_delayed`]).
    pub fn wake_queues(&mut self, t: u64) {
        self.now = t;
        let unused = |q: &MQueue| q.consumers.is_empty() && q.spec.expires.is_some_and(|e| q.last_used + e <= t);
        let expired: Vec<String> = self.queues.iter().filter(|(_, q)| unused(q)).map(|(n, _)| n.clone()).collect();
        for q in &expired {
            self.delete(q, "queue expired");
        }
        // Parked messages due go back like any requeue: past x-delivery-limit, dead-lettered.
        let names: Vec<String> = self.queues.keys().cloned().collect();
        for name in names {
            let q = self.queues.get_mut(&name).expect("listed");
            let (due, later): (Vec<_>, Vec<_>) = q.parked.drain(..).partition(|(d, _)| *d <= t);
            q.parked = later;
            due.into_iter().for_each(|(_, it)| self.requeue(&name, it));
        }
    }

    /// The `x-delay` messages due at `t`.
    pub fn delayed_due(&self, t: u64) -> Vec<u64> {
        self.delayed.iter().filter(|d| d.0 <= t).map(|d| d.3.n).collect()
    }

    /// Routes the `x-delay` messages due at `now`, in (due, publish) order.
    pub fn release_delayed(&mut self) {
        self.delayed.sort_by_key(|d| (d.0, d.1));
        while self.delayed.first().is_some_and(|d| d.0 <= self.now) {
            let (_, _, ch, m) = self.delayed.remove(0);
            self.publish(&m, ch);
        }
    }

    pub fn settle(&mut self, slot: usize, tags: &[u64], how: How) {
        for tag in tags {
            let un = self.chans[slot].unacked.remove(tag).expect("model holds the tag");
            // Prefetch credit goes back to the consumer the message was delivered to, not to a
            // later consumer that reuses its tag.
            if let Some(c) = self.chans[slot].consumers.values_mut().find(|c| Some(c.inst) == un.inst) {
                c.unacked -= 1;
            }
            let Some(q) = self.queues.get_mut(&un.queue).filter(|q| q.uid == un.quid) else {
                self.drop_n("queue deleted", 1);
                continue;
            };
            q.unacked -= 1;
            match how {
                How::Ack => {
                    q.counts.acked += 1;
                    self.acked += 1;
                }
                How::Requeue => self.requeue(&un.queue, un.item),
                How::Reject => self.dead_letter(&un.queue, un.item, "rejected"),
                How::Delay(ms) => q.parked.push((self.now.saturating_add(ms), un.item)),
            }
        }
    }

    pub fn consume(&mut self, slot: usize, q: &str, tag: &str, no_ack: bool, exclusive: bool, prio: i64) {
        let inst = self.seq();
        self.touch(q);
        let mq = self.queues.get_mut(q).expect("checked");
        mq.consumers.push((slot, tag.to_string()));
        mq.exclusive = exclusive;
        let c = MCons {
            queue: q.into(),
            quid: mq.uid,
            no_ack,
            prefetch: self.chans[slot].prefetch_next,
            unacked: 0,
            prio,
            inst,
        };
        self.chans[slot].consumers.insert(tag.to_string(), c);
    }

    pub fn cancel(&mut self, slot: usize, tag: &str) {
        if let Some(c) = self.chans[slot].consumers.remove(tag) {
            if let Some(q) = self.queues.get_mut(&c.queue).filter(|q| q.uid == c.quid) {
                q.consumers.retain(|(s, t)| !(*s == slot && t == tag));
                q.exclusive = false;
                q.last_used = self.now;
            }
        }
    }

    /// A channel closed: its consumers go, its unacknowledged deliveries are requeued.
    pub fn teardown(&mut self, slot: usize) {
        let tags: Vec<String> = self.chans[slot].consumers.keys().cloned().collect();
        tags.iter().for_each(|t| self.cancel(slot, t));
        let tags: Vec<u64> = self.chans[slot].unacked.keys().copied().collect();
        self.settle(slot, &tags, How::Requeue);
        self.chans[slot] = MChan::default();
    }

    pub fn purge(&mut self, q: &str) -> usize {
        let mq = self.queues.get_mut(q).expect("checked");
        let n = mq.ready();
        mq.levels.iter_mut().for_each(BTreeMap::clear);
        mq.counts.dropped += n as u64;
        self.drop_n("purged", n);
        n
    }

    /// Deletes a queue (`why`: deleted or expired); returns its ready count.
    pub fn delete(&mut self, q: &str, why: &'static str) -> usize {
        let mq = self.queues.remove(q).expect("checked");
        let ready = mq.ready();
        self.drop_n(why, ready + mq.parked.len());
        for (slot, tag) in mq.consumers {
            self.chans[slot].consumers.remove(&tag);
            self.cancels.push((self.chans[slot].id.expect("open"), tag));
        }
        self.bindings.retain(|b| b.1 != q);
        ready
    }

    pub fn can_deliver(&self, slot: usize, tag: &str) -> bool {
        let ch = &self.chans[slot];
        let c = &ch.consumers[tag];
        c.no_ack
            || ((ch.prefetch_global == 0 || ch.unacked.len() < ch.prefetch_global as usize)
                && (c.prefetch == 0 || c.unacked < c.prefetch))
    }

    /// Takes copy `id` from the head of `q` (any position in the unordered `DLQ`).
    fn take(&mut self, q: &str, id: &(u64, Option<String>)) -> Result<Item, String> {
        self.expire(q, false);
        let mq = self.queues.get_mut(q).ok_or(format!("delivery from missing queue {q}"))?;
        let found = if q == DLQ {
            let seq = mq.levels[0].values().find(|it| (it.n, &it.origin) == (id.0, &id.1)).map(|it| it.seq);
            seq.and_then(|s| mq.levels[0].remove(&s))
        } else {
            let head = mq.levels.iter().rev().find_map(|l| l.values().next());
            let head_id = head.map(|it| (it.n, it.origin.clone()));
            if head_id.as_ref() != Some(id) {
                return Err(format!("{q}: delivered {id:?} but the head is {head_id:?}"));
            }
            mq.pop_head()
        };
        found.ok_or(format!("{q}: delivered {id:?}, which is not ready there"))
    }

    fn hand_out(&mut self, slot: usize, q: &str, d: &Delivery<Vec<u8>>, inst: Option<u64>, no_ack: bool) -> R {
        let id = ident(d);
        let mut it = self.take(q, &id)?;
        ensure!(
            d.redelivered == (it.deliveries > 0),
            "{q}: {id:?} redelivered={} after {} deliveries",
            d.redelivered,
            it.deliveries
        );
        let ch = &mut self.chans[slot];
        ensure!(d.delivery_tag == ch.last_tag + 1, "delivery tag {} after {}", d.delivery_tag, ch.last_tag);
        ch.last_tag = d.delivery_tag;
        let mq = self.queues.get_mut(q).expect("live");
        let header = |k: &str| d.message.properties.header(k).cloned();
        if mq.spec.limit.is_some() && it.deliveries > 0 {
            let want = Some(FieldValue::Int(it.deliveries.into()));
            ensure!(
                header("x-delivery-count") == want,
                "{q}: {id:?} x-delivery-count {:?}",
                header("x-delivery-count")
            );
        }
        if let Some(why) = it.death {
            let got = header("x-first-death-reason");
            ensure!(got == Some(why.into()), "{q}: {id:?} x-first-death-reason {got:?}, want {why}");
        }
        mq.counts.delivered += 1;
        mq.counts.redelivered += (it.deliveries > 0) as u64;
        mq.counts.acked += no_ack as u64;
        it.deliveries += 1;
        if no_ack {
            self.acked += 1;
        } else {
            let quid = self.queues[q].uid;
            ch.unacked.insert(d.delivery_tag, Un { queue: q.into(), quid, item: it, inst });
            self.queues.get_mut(q).expect("live").unacked += 1;
        }
        Ok(())
    }

    /// A consumer delivery: eligible consumer, within prefetch, head of the queue.
    pub fn on_deliver(&mut self, d: &Delivery<Vec<u8>>) -> R {
        let slot = self.slot_of(d.channel).ok_or("delivery on a closed channel")?;
        let tag = d.consumer_tag.as_deref().ok_or("consumer delivery without a tag")?;
        let c = self.chans[slot].consumers.get(tag).ok_or(format!("delivery to unknown consumer {tag}"))?;
        let (q, prio, no_ack, inst) = (c.queue.clone(), c.prio, c.no_ack, c.inst);
        ensure!(self.can_deliver(slot, tag), "{q}: delivery to {tag} beyond its prefetch");
        let mq = &self.queues[&q];
        if mq.spec.sac {
            ensure!(mq.consumers[0] == (slot, tag.to_string()), "{q}: delivery to an inactive single-active consumer");
        } else if let Some((s, t)) =
            mq.consumers.iter().find(|(s, t)| self.chans[*s].consumers[t].prio > prio && self.can_deliver(*s, t))
        {
            return Err(format!(
                "{q}: delivery to {tag} (priority {prio}) while {t} on slot {s} has a higher priority and room"
            ));
        }
        if !no_ack {
            self.chans[slot].consumers.get_mut(tag).expect("found").unacked += 1;
        }
        self.hand_out(slot, &q, d, Some(inst), no_ack)
    }

    /// A `basic.get` answered `got`.
    pub fn on_get(&mut self, slot: usize, q: &str, no_ack: bool, got: Option<&Delivery<Vec<u8>>>) -> R {
        self.touch(q);
        self.expire(q, false);
        let ready = self.queues[q].ready();
        match got {
            None => ensure!(ready == 0, "{q}: get returned nothing with {ready} ready"),
            Some(d) => {
                ensure!(
                    d.message_count == Some(ready as u32 - 1),
                    "{q}: get message_count {:?}, {} left",
                    d.message_count,
                    ready - 1
                );
                self.hand_out(slot, q, d, None, no_ack)?;
            }
        }
        Ok(())
    }

    /// Every message is in exactly one place, and the places add up to what was published.
    pub fn check_conservation(&self) -> R {
        let ready: usize = self.queues.values().map(|q| q.ready() + q.parked.len()).sum();
        let unacked: usize = self.chans.iter().map(|c| c.unacked.len()).sum();
        let dropped: u64 = self.dropped.values().sum();
        let live = (ready + unacked) as u64;
        ensure!(self.created == live + self.acked + self.to_dlq + dropped, "conservation: {self:#?}");
        ensure!(
            self.created == self.fanout_copies + self.to_dlq,
            "copies: {} != {} + {}",
            self.created,
            self.fanout_copies,
            self.to_dlq
        );
        let (pending, routed) = (self.delayed.len() as u64, self.routed);
        ensure!(self.published == routed + self.unroutable + pending, "publishes: {self:#?}");
        Ok(())
    }

    /// No queue holds ready messages while one of its consumers could take one.
    pub fn check_work_conserving(&self) -> R {
        for (name, q) in &self.queues {
            let eligible = if q.spec.sac { &q.consumers[..q.consumers.len().min(1)] } else { &q.consumers[..] };
            if q.ready() > 0 {
                if let Some((s, t)) = eligible.iter().find(|(s, t)| self.can_deliver(*s, t)) {
                    return Err(format!("{name}: {} ready but consumer {t} on slot {s} has room", q.ready()));
                }
            }
        }
        Ok(())
    }
}
