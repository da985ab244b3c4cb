//! Hand-off to a store: batches of operations out, commits in; and restoring a broker from
//! what a store holds.
//!
//! Confirms of persistent messages routed to durable queues wait for the batch holding them:
//! a store takes the pending operations with [`Broker::take_store_batch`], writes them in one
//! transaction, then reports [`Broker::handle_store_committed`] (the confirms become acks) or
//! [`Broker::handle_store_failed`] (they become nacks).

use super::broker::{Broker, BrokerConfig, Delayed, InFlight};
use super::store_op::StoreOp;
use super::event::Event;
use super::exchange::{Destination, Exchange};
use super::message::Body;
use super::args::QueueArgs;
use super::queue::{Entry, Queue};
use super::store_op::{Snapshot, StoreBatch};
use std::rc::Rc;

impl<B: Body> Broker<B> {
    /// Takes the store operations produced since the last batch, if any.
    pub fn take_store_batch(&mut self) -> Option<StoreBatch<B>> {
        if self.store_ops.is_empty() && self.confirms_awaiting_batch.is_empty() {
            return None;
        }
        let id = self.next_id();
        let confirms = std::mem::take(&mut self.confirms_awaiting_batch);
        let puts = self
            .store_ops
            .iter()
            .filter_map(|op| match op {
                StoreOp::PutMessage(m) => Some((m.queue.clone(), m.id)),
                _ => None,
            })
            .collect();
        self.batches_in_flight.push(InFlight { id, confirms, end: self.ops_emitted, puts });
        Some(StoreBatch { id, ops: std::mem::take(&mut self.store_ops) })
    }

    /// Store operations emitted so far and how many of them are committed (or failed): a caller
    /// that handed out something the store must record first (a `basic_get` of a persisted
    /// message) waits until the second reaches the first's value at that time.
    pub fn store_watermarks(&self) -> (u64, u64) {
        (self.ops_emitted, self.ops_committed)
    }

    /// Whether store operations are waiting to be taken.
    pub fn has_store_work(&self) -> bool {
        !self.store_ops.is_empty() || !self.confirms_awaiting_batch.is_empty()
    }

    /// The batch `id` is durable: its publishes are confirmed (acks).
    pub fn handle_store_committed(&mut self, id: u64) {
        self.finish_batch(id, true);
    }

    /// The batch `id` could not be written: its publishes are nacked, and the persistent
    /// messages it put are taken back out of their queues if no consumer has them yet (a
    /// nacked publish is not in the broker; one already delivered stays, not durable).
    pub fn handle_store_failed(&mut self, id: u64) {
        self.finish_batch(id, false);
    }

    fn finish_batch(&mut self, id: u64, ack: bool) {
        let Some(pos) = self.batches_in_flight.iter().position(|b| b.id == id) else { return };
        let InFlight { confirms, end, puts, .. } = self.batches_in_flight.remove(pos);
        if !ack {
            for (queue, msg) in puts {
                if let Some(q) = self.queues.get_mut(queue.as_str()) {
                    if q.remove_ready(msg).is_some() {
                        q.stats.dropped += 1;
                    }
                }
            }
        }
        // A failed batch releases its deliveries too: the consumer gets the message (the store
        // still has it, so it can only come back again, never be lost).
        self.ops_committed = self.ops_committed.max(end);
        self.release_held();
        for (channel, seq) in confirms {
            if self.channels.contains_key(&channel) {
                self.events.push_back(Event::Confirm { channel, seq, ack });
            }
        }
    }

    /// Moves deliveries whose delivery record is now written to the event queue, in order.
    fn release_held(&mut self) {
        while let Some((_, need, _)) = self.held.front() {
            if *need > self.ops_committed {
                break;
            }
            let (_, _, d) = self.held.pop_front().expect("front exists");
            self.events.push_back(Event::Deliver(d));
        }
    }

    /// A broker holding what a store persisted. Messages that had been delivered come back
    /// redelivered; TTLs and delays count from their original times, so what fell due while the
    /// broker was down expires (and is dead-lettered) or is routed at the first `now`.
    pub fn restore(config: BrokerConfig, snapshot: Snapshot<B>, now: u64) -> Self {
        let mut b = Broker::new(config);
        b.restoring = true;
        let max_id = snapshot
            .messages
            .iter()
            .map(|m| m.id)
            .chain(snapshot.delayed.iter().map(|d| d.id))
            .max()
            .unwrap_or(0);
        b.next_id = max_id + 1;
        for x in snapshot.exchanges {
            if x.name.is_empty() || x.name.starts_with("amq.") {
                continue;
            }
            b.exchanges.insert(x.name.as_str().into(), Exchange::new(&x.name, x.kind, x.options));
        }
        for q in snapshot.queues {
            // A record that no longer parses (arguments from a newer version) restores without them.
            let args = QueueArgs::parse(&q.name, &q.options.arguments).unwrap_or_default();
            let uid = b.next_id();
            let name: Rc<str> = q.name.as_str().into();
            b.queues.insert(name.clone(), Queue::new(name, uid, q.options, args, None, now));
        }
        for bnd in snapshot.bindings {
            let dest_exists = match &bnd.destination {
                Destination::Queue(q) => b.queues.contains_key(q),
                Destination::Exchange(x) => b.exchanges.contains_key(x),
            };
            let Some(src) = b.exchanges.get_mut(bnd.source.as_str()) else { continue };
            if dest_exists && src.bind(bnd.destination.clone(), &bnd.key, bnd.arguments.clone()).unwrap_or(false) {
                b.bound_to.entry(bnd.destination).or_default().push((src.name.clone(), bnd.key.into(), bnd.arguments));
            }
        }
        let mut messages = snapshot.messages;
        messages.sort_unstable_by_key(|m| m.id);
        for m in messages {
            let Some(q) = b.queues.get_mut(m.queue.as_str()) else { continue };
            let entry = Entry {
                id: m.id,
                level: q.level_for(m.message.properties.priority),
                size: m.message.body_len(),
                msg: Rc::new(m.message),
                enqueued_at: m.enqueued_at,
                expires_at: m.expires_at,
                delivery_count: m.delivery_count,
                stored: true,
            };
            q.stats.published += 1;
            // A nack-with-delay comes back parked even when its time has passed: the first
            // timeout releases it through the usual requeue (x-delivery-limit applies).
            match m.not_before {
                Some(due) => q.parked.insert(due, entry.id, entry),
                None => q.push(entry),
            }
        }
        for d in snapshot.delayed {
            let delayed = Delayed { mandatory: d.mandatory, channel: None, msg: Rc::new(d.message), stored: true };
            b.delayed.insert(d.due, d.id, delayed);
        }
        b.restoring = false;
        b.dirty = b.queues.keys().cloned().collect();
        b.run_pending(now); // schedules every queue's deadlines, so that the next line sees them
        b.handle_timeout(now);
        b.events.clear();
        b
    }
}
