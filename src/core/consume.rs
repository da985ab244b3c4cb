//! Consuming: consumers and prefetch, dispatch (round-robin, consumer priorities, single
//! active consumer), `basic.get`, acknowledgements, requeue to original position, recover.

use super::broker::{Broker, REPLY_TO};
use super::channel::{ConsumeOptions, Consumer, Unacked};
use super::error::{AmqpError, ReplyCode, Result};
use super::event::{ChannelId, Delivery, Event};
use super::message::{Body, Message};
use super::publish::DeathReason;
use super::queue::Entry;
use super::store_op::StoreOp;
use super::value::FieldValue;
use std::rc::Rc;

/// What to do with settled deliveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Settle {
    Ack,
    Requeue,
    Reject,
    Delay(u64),
}

impl<B: Body> Broker<B> {
    /// `basic.qos`: with `global = false` the limit applies to each consumer created on the
    /// channel afterwards; with `global = true`, to all unacknowledged deliveries on the channel
    /// (RabbitMQ's reading of the flag). 0 means no limit.
    pub fn basic_qos(&mut self, ch: ChannelId, prefetch_count: u32, global: bool, now: u64) -> Result<()> {
        self.guarded(ch, now, |b| {
            let c = b.channel_mut(ch)?;
            if global {
                c.prefetch_global = prefetch_count;
            } else {
                c.prefetch_per_consumer = prefetch_count;
            }
            let queues: Vec<Rc<str>> = c.consumers.values().map(|c| c.queue.clone()).collect();
            b.dirty.extend(queues);
            Ok(())
        })
    }

    /// `confirm.select`: every later publish on the channel gets a sequence number and a
    /// [`Event::Confirm`].
    pub fn confirm_select(&mut self, ch: ChannelId, now: u64) -> Result<()> {
        self.guarded(ch, now, |b| {
            b.channel_mut(ch)?.confirm = true;
            Ok(())
        })
    }

    /// `basic.consume`; returns the consumer tag. Consuming from `amq.rabbitmq.reply-to` sets up
    /// direct reply-to (it must be `no_ack`).
    pub fn basic_consume(&mut self, ch: ChannelId, queue: &str, options: ConsumeOptions, now: u64) -> Result<String> {
        self.guarded(ch, now, |b| b.consume_inner(ch, queue, options, now))
    }

    fn consume_inner(&mut self, ch: ChannelId, queue: &str, options: ConsumeOptions, now: u64) -> Result<String> {
        let tag: String = match options.consumer_tag.as_deref() {
            Some(t) if !t.is_empty() => t.to_string(),
            _ => self.generated_name("amq.ctag-"),
        };
        if self.channel(ch)?.consumers.contains_key(tag.as_str()) {
            return Err(AmqpError::new(ReplyCode::NotAllowed, format_args!("attempt to reuse consumer tag '{tag}'")));
        }
        let rc_tag: Rc<str> = tag.as_str().into();
        if queue == REPLY_TO {
            if !options.no_ack {
                return Err(AmqpError::precondition("reply consumer cannot acknowledge"));
            }
            if self.reply_consumers.contains_key(&ch) {
                return Err(AmqpError::precondition("reply consumer already set"));
            }
            self.reply_consumers.insert(ch, rc_tag.clone());
            let id = self.next_id();
            let consumer = Consumer { id, queue: REPLY_TO.into(), no_ack: true, prefetch: 0, unacked: 0 };
            self.channel_mut(ch)?.consumers.insert(rc_tag, consumer);
            return Ok(tag);
        }
        let q = self.queue_for(ch, queue)?;
        if q.exclusive_consumer || (options.exclusive && (!q.consumers.is_empty() || q.args.single_active_consumer)) {
            return Err(AmqpError::access_refused(format_args!("queue '{queue}' in vhost '/' in exclusive use")));
        }
        let priority = options.priority.or_else(|| options.arguments.get("x-priority").and_then(FieldValue::as_int));
        let qname = q.name.clone();
        let id = self.next_id();
        let c = self.channel_mut(ch)?;
        let consumer = Consumer { id, queue: qname.clone(), no_ack: options.no_ack, prefetch: c.prefetch_per_consumer, unacked: 0 };
        c.consumers.insert(rc_tag.clone(), consumer);
        let q = self.queues.get_mut(&qname).expect("checked");
        q.consumers.push((ch, rc_tag, priority.unwrap_or(0)));
        q.exclusive_consumer = options.exclusive;
        q.had_consumer = true;
        q.last_used = now;
        self.dirty.push(qname);
        self.topology_changed = true;
        Ok(tag)
    }

    /// `basic.cancel`. Unacknowledged deliveries stay unacknowledged on the channel. Cancelling
    /// an unknown tag succeeds, as in RabbitMQ.
    pub fn basic_cancel(&mut self, ch: ChannelId, consumer_tag: &str, now: u64) -> Result<()> {
        self.guarded(ch, now, |b| {
            if let Some(c) = b.channel_mut(ch)?.consumers.remove(consumer_tag) {
                b.detach_consumer(ch, consumer_tag, &c.queue, now);
            }
            Ok(())
        })
    }

    /// Removes a consumer from its queue: single-active-consumer fails over to the next one,
    /// an auto-delete queue whose last consumer this was is deleted.
    pub(crate) fn detach_consumer(&mut self, ch: ChannelId, tag: &str, queue: &str, now: u64) {
        if queue == REPLY_TO {
            self.reply_consumers.remove(&ch);
            return;
        }
        let Some(q) = self.queues.get_mut(queue) else { return };
        if let Some(i) = q.consumers.iter().position(|(c, t, _)| *c == ch && **t == *tag) {
            q.consumers.remove(i);
            if q.cursor > i {
                q.cursor -= 1;
            }
            q.exclusive_consumer = false;
        }
        q.last_used = now;
        self.topology_changed = true;
        if q.consumers.is_empty() && q.options.auto_delete && q.had_consumer {
            self.remove_queue(queue);
        } else {
            self.dirty.push(q.name.clone());
        }
    }

    /// `basic.get`: the head message, or `None` when the queue is empty. Not limited by prefetch.
    pub fn basic_get(&mut self, ch: ChannelId, queue: &str, no_ack: bool, now: u64) -> Result<Option<Delivery<B>>> {
        self.guarded(ch, now, |b| {
            b.queue_for(ch, queue)?;
            let mut expired = Vec::new();
            let q = b.queues.get_mut(queue).expect("checked");
            q.last_used = now;
            q.take_expired_heads(now, false, &mut expired);
            let qname = q.name.clone();
            for e in expired {
                b.dead_letter(&qname, e, DeathReason::Expired, now);
            }
            let q = b.queues.get_mut(queue).expect("still there");
            let Some(entry) = q.pop() else {
                b.dirty.push(qname);
                return Ok(None);
            };
            let count = q.ready_len() as u32;
            let mut d = b.hand_out(&qname, entry, ch, None, no_ack);
            d.message_count = Some(count);
            b.dirty.push(qname);
            Ok(Some(d))
        })
    }

    /// Gives `entry` (already taken from queue `qname`) to channel `ch`: counts the delivery,
    /// records it unacknowledged unless `no_ack`, persists its delivery count.
    fn hand_out(&mut self, qname: &Rc<str>, mut entry: Entry<B>, ch: ChannelId, tag: Option<Rc<str>>, no_ack: bool) -> Delivery<B> {
        let q = self.queues.get_mut(qname).expect("caller holds the queue");
        let redelivered = entry.delivery_count > 0;
        if redelivered && q.args.delivery_limit.is_some() {
            let m: &mut Message<B> = Rc::make_mut(&mut entry.msg);
            m.properties.set_header("x-delivery-count", FieldValue::Int(entry.delivery_count as i64));
            m.body.message_changed();
        }
        entry.delivery_count += 1;
        q.stats.delivered += 1;
        q.stats.redelivered += redelivered as u64;
        let uid = q.uid;
        if no_ack {
            q.stats.acked += 1;
        } else {
            q.unacked += 1;
        }
        let channel = self.channels.get_mut(&ch).expect("caller checked the channel");
        channel.last_tag += 1;
        let delivery_tag = channel.last_tag;
        let delivery = Delivery {
            channel: ch,
            consumer_tag: tag.clone(),
            delivery_tag,
            redelivered,
            message: entry.msg.clone(),
            message_count: None,
        };
        let op = if !entry.stored {
            None
        } else if no_ack {
            Some(StoreOp::DeleteMessage { queue: qname.to_string(), id: entry.id })
        } else {
            Some(StoreOp::UpdateMessage {
                queue: qname.to_string(),
                id: entry.id,
                delivery_count: entry.delivery_count,
                not_before: None,
            })
        };
        if !no_ack {
            let consumer = tag.as_ref().and_then(|t| channel.consumers.get_mut(t)).map(|c| {
                c.unacked += 1;
                c.id
            });
            let consumer = tag.zip(consumer);
            channel.unacked.push(delivery_tag, Unacked { queue: qname.clone(), queue_uid: uid, entry, consumer });
        }
        if let Some(op) = op {
            self.emit_store(op);
        }
        delivery
    }

    /// Queues a delivery for its consumer. A persisted message's delivery waits until the store
    /// has written the record of it, so that a crash in between can never bring the message
    /// back `redelivered: false` after a consumer saw it; deliveries behind a held one wait too,
    /// to keep their order.
    pub(crate) fn emit_delivery(&mut self, d: Delivery<B>, stored: bool) {
        if stored || !self.held.is_empty() {
            let need = if self.ops_emitted <= self.ops_committed { 0 } else { self.ops_emitted };
            self.held.push_back((d.channel, need, d));
        } else {
            self.events.push_back(Event::Deliver(d));
        }
    }

    /// Delivers a direct reply-to message to the channel's reply consumer.
    pub(crate) fn deliver_direct(&mut self, ch: ChannelId, tag: Rc<str>, msg: Rc<Message<B>>) {
        let Some(channel) = self.channels.get_mut(&ch) else { return };
        channel.last_tag += 1;
        let d = Delivery {
            channel: ch,
            consumer_tag: Some(tag),
            delivery_tag: channel.last_tag,
            redelivered: false,
            message: msg,
            message_count: None,
        };
        self.emit_delivery(d, false);
    }

    /// Delivers ready messages of `qname` to its consumers while any has capacity.
    pub(crate) fn dispatch(&mut self, qname: &Rc<str>, now: u64) {
        let mut expired = Vec::new();
        loop {
            let Some(q) = self.queues.get_mut(qname) else { break };
            q.take_expired_heads(now, false, &mut expired);
            if q.ready_len() == 0 || q.consumers.is_empty() {
                break;
            }
            let n = q.consumers.len();
            let candidates = if q.args.single_active_consumer { 1 } else { n };
            let mut best: Option<(usize, i64)> = None;
            for k in 0..candidates {
                let i = (q.cursor + k) % n;
                let i = if q.args.single_active_consumer { 0 } else { i };
                let (cch, tag, prio) = &q.consumers[i];
                if best.is_some_and(|(_, p)| *prio <= p) {
                    continue;
                }
                if self.channels.get(cch).is_some_and(|c| c.can_deliver(tag)) {
                    best = Some((i, *prio));
                }
            }
            let Some((i, _)) = best else { break };
            q.cursor = (i + 1) % n;
            let (cch, tag, _) = q.consumers[i].clone();
            let entry = q.pop().expect("ready_len > 0");
            let no_ack = self.channels.get(&cch).is_some_and(|c| c.consumers.get(&tag).is_some_and(|c| c.no_ack));
            let stored = entry.stored;
            let d = self.hand_out(qname, entry, cch, Some(tag), no_ack);
            self.emit_delivery(d, stored);
        }
        for e in expired {
            self.dead_letter(qname, e, DeathReason::Expired, now);
        }
    }

    /// Takes the deliveries `tag` (and all before it with `multiple`; all with tag 0 and
    /// `multiple`) off the channel's unacknowledged set. 406 for an unknown tag.
    fn take_unacked(&mut self, ch: ChannelId, tag: u64, multiple: bool) -> Result<Vec<Unacked<B>>> {
        let c = self.channel_mut(ch)?;
        let taken: Vec<Unacked<B>> = if multiple && tag == 0 {
            c.unacked.take_all()
        } else if !c.unacked.contains(tag) {
            return Err(AmqpError::precondition(format_args!("unknown delivery tag {tag}")));
        } else if multiple {
            c.unacked.take_up_to(tag)
        } else {
            c.unacked.remove(tag).into_iter().collect()
        };
        for u in &taken {
            let Some((tag, id)) = &u.consumer else { continue };
            // Only the consumer the message went to: the tag may belong to a newer one by now.
            if let Some(consumer) = c.consumers.get_mut(tag).filter(|c| c.id == *id) {
                consumer.unacked = consumer.unacked.saturating_sub(1);
            }
        }
        let queues: Vec<Rc<str>> = c.consumers.values().map(|c| c.queue.clone()).collect();
        self.dirty.extend(queues);
        Ok(taken)
    }

    fn settle_all(&mut self, ch: ChannelId, tag: u64, multiple: bool, how: Settle, now: u64) -> Result<()> {
        self.guarded(ch, now, |b| {
            for u in b.take_unacked(ch, tag, multiple)? {
                b.settle(u, how, now);
            }
            Ok(())
        })
    }

    /// `basic.ack`. `multiple` acknowledges every delivery up to `delivery_tag`; tag 0 with
    /// `multiple` acknowledges all (amqplib's `ackAll`). An unknown tag is a 406 channel error.
    pub fn basic_ack(&mut self, ch: ChannelId, delivery_tag: u64, multiple: bool, now: u64) -> Result<()> {
        self.settle_all(ch, delivery_tag, multiple, Settle::Ack, now)
    }

    /// `basic.nack`: with `requeue` the messages go back to their original positions, flagged
    /// redelivered; without, they are dead-lettered (reason `rejected`) or dropped.
    pub fn basic_nack(&mut self, ch: ChannelId, delivery_tag: u64, multiple: bool, requeue: bool, now: u64) -> Result<()> {
        let how = if requeue { Settle::Requeue } else { Settle::Reject };
        self.settle_all(ch, delivery_tag, multiple, how, now)
    }

    /// `basic.reject`: `basic.nack` of one delivery.
    pub fn basic_reject(&mut self, ch: ChannelId, delivery_tag: u64, requeue: bool, now: u64) -> Result<()> {
        self.basic_nack(ch, delivery_tag, false, requeue, now)
    }

    /// Nack with delay (a switchyard addition, for retry backoff): the messages go back to their
    /// positions after `delay_ms`, flagged redelivered; until then they are neither ready nor
    /// unacknowledged.
    pub fn basic_nack_delayed(&mut self, ch: ChannelId, delivery_tag: u64, multiple: bool, delay_ms: u64, now: u64) -> Result<()> {
        self.settle_all(ch, delivery_tag, multiple, Settle::Delay(delay_ms), now)
    }

    /// `basic.recover` (requeue = true): every unacknowledged delivery on the channel is
    /// requeued and redelivered.
    pub fn basic_recover(&mut self, ch: ChannelId, now: u64) -> Result<()> {
        self.settle_all(ch, 0, true, Settle::Requeue, now)
    }

    fn settle(&mut self, u: Unacked<B>, how: Settle, now: u64) {
        let Some(q) = self.queues.get_mut(&u.queue).filter(|q| q.uid == u.queue_uid) else {
            return; // its queue was deleted: the message went with it
        };
        q.unacked -= 1;
        match how {
            Settle::Ack => {
                q.stats.acked += 1;
                if u.entry.stored {
                    self.emit_store(StoreOp::DeleteMessage { queue: u.queue.to_string(), id: u.entry.id });
                }
            }
            Settle::Requeue => self.requeue(&u.queue, u.entry, now),
            Settle::Reject => self.dead_letter(&u.queue, u.entry, DeathReason::Rejected, now),
            Settle::Delay(ms) => {
                let due = now.saturating_add(ms);
                let op = u.entry.stored.then(|| StoreOp::UpdateMessage {
                    queue: u.queue.to_string(),
                    id: u.entry.id,
                    delivery_count: u.entry.delivery_count,
                    not_before: Some(due),
                });
                q.parked.insert(due, u.entry.id, u.entry);
                self.dirty.push(u.queue);
                if let Some(op) = op {
                    self.emit_store(op);
                }
            }
        }
    }

    /// Puts an unacknowledged message back in its queue (channel closed, recovered).
    pub(crate) fn return_to_queue(&mut self, u: Unacked<B>, now: u64) {
        self.settle(u, Settle::Requeue, now);
    }

    /// Requeues at the original position, or dead-letters past `x-delivery-limit`.
    pub(crate) fn requeue(&mut self, qname: &Rc<str>, entry: Entry<B>, now: u64) {
        let Some(q) = self.queues.get_mut(qname) else { return };
        if q.args.delivery_limit.is_some_and(|limit| entry.delivery_count as u64 > limit) {
            self.dead_letter(qname, entry, DeathReason::DeliveryLimit, now);
            return;
        }
        q.requeue(entry);
        self.dirty.push(qname.clone());
    }

    /// Dispatches dirty queues and dead-letters expired heads until nothing changes, then
    /// schedules the queues' next deadlines.
    pub(crate) fn run_pending(&mut self, now: u64) {
        // Usually one or a few queues: `Seen` hashes only past 16.
        let mut touched: Vec<Rc<str>> = Vec::new();
        let mut seen = super::publish::Seen::default();
        while let Some(qname) = self.dirty.pop() {
            self.dispatch(&qname, now);
            let mut expired = Vec::new();
            if let Some(q) = self.queues.get_mut(&qname) {
                q.take_expired_heads(now, true, &mut expired);
            }
            for e in expired {
                self.dead_letter(&qname, e, DeathReason::Expired, now);
            }
            if seen.insert(&qname) {
                touched.push(qname);
            }
        }
        for q in touched {
            self.schedule(&q);
        }
        if self.topology_changed {
            self.topology_changed = false;
            self.topology_version += 1;
        }
    }
}
