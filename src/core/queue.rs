//! Queues: ready messages per priority level, parked (delayed-requeue) messages, and counters.
//!
//! Ready messages are kept per priority level in publish order. A message carries the id it was
//! published with; ids grow monotonically, so a requeued message is put back at its original
//! position by binary search, as RabbitMQ's classic queues do.

use super::args::QueueArgs;
use super::event::ConnectionId;
use super::message::{Body, Message};
use super::value::FieldTable;
use serde::{Deserialize, Serialize};
use super::collections::TimedQueue;
use std::collections::VecDeque;
use std::rc::Rc;

/// Options of `queue.declare` (amqplib's `assertQueue` options, with the `x-` arguments in
/// `arguments`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueOptions {
    /// Survives a broker restart (default true, as in amqplib).
    pub durable: bool,
    /// Owned by the declaring connection, deleted when it closes, refused (405) to others.
    pub exclusive: bool,
    /// Deleted when its last consumer is cancelled (if it ever had one).
    pub auto_delete: bool,
    /// `x-` arguments (TTL, length limits, dead-lettering, priorities, …).
    pub arguments: FieldTable,
}

impl Default for QueueOptions {
    fn default() -> Self {
        QueueOptions { durable: true, exclusive: false, auto_delete: false, arguments: FieldTable::new() }
    }
}

/// A message in a queue (ready, parked, or unacknowledged on a channel).
#[derive(Debug, Clone)]
pub struct Entry<B> {
    /// The id the message was published with (also its position in the queue).
    pub id: u64,
    /// The message, shared with other queues it was routed to.
    pub msg: Rc<Message<B>>,
    /// When it was enqueued (ms).
    pub enqueued_at: u64,
    /// When it expires (ms), from the queue's or the message's TTL.
    pub expires_at: Option<u64>,
    /// How many times it has been delivered.
    pub delivery_count: u32,
    /// Its priority level in this queue.
    pub level: u8,
    /// Body size counted against `x-max-length-bytes`.
    pub size: usize,
    /// Whether it is persisted (a persistent message in a durable queue).
    pub stored: bool,
}

/// Counters and gauges for one queue, for rates and drain estimates.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct QueueStats {
    /// The queue's name.
    pub name: String,
    /// Ready messages (the queue depth).
    pub messages_ready: u64,
    /// Body bytes of ready messages.
    pub bytes_ready: u64,
    /// Messages delivered and not yet acknowledged.
    pub messages_unacked: u64,
    /// Messages held back by a nack-with-delay.
    pub messages_delayed: u64,
    /// Active consumers.
    pub consumers: u64,
    /// Messages enqueued since declaration.
    pub published: u64,
    /// Deliveries (to consumers and `get`) since declaration, redeliveries included.
    pub delivered: u64,
    /// Of those, redeliveries.
    pub redelivered: u64,
    /// Messages acknowledged (explicitly, or by no-ack delivery).
    pub acked: u64,
    /// Messages dead-lettered from this queue.
    pub dead_lettered: u64,
    /// Messages dropped without dead-lettering (expired, over length, rejected, no DLX).
    pub dropped: u64,
}

impl QueueStats {
    /// Estimated milliseconds to drain the ready messages at `consume_rate` messages/second;
    /// `None` when nothing is being consumed.
    pub fn drain_estimate_ms(&self, consume_rate: f64) -> Option<f64> {
        (consume_rate > 0.0).then(|| self.messages_ready as f64 / consume_rate * 1000.0)
    }
}

/// A queue.
#[derive(Debug)]
pub struct Queue<B> {
    /// Its name.
    pub name: Rc<str>,
    /// A broker-unique id of this incarnation (a queue deleted and redeclared gets a new one).
    pub uid: u64,
    /// Its declared options.
    pub options: QueueOptions,
    /// Its parsed arguments.
    pub args: QueueArgs,
    /// The owning connection of an exclusive queue.
    pub owner: Option<ConnectionId>,
    levels: Vec<VecDeque<Entry<B>>>,
    ready_bytes: u64,
    ready_len: usize,
    /// Messages nacked with a delay: (due, id) → entry.
    pub parked: TimedQueue<Entry<B>>,
    /// Unacknowledged deliveries out on channels.
    pub unacked: usize,
    /// Consumers in registration order: (channel, tag, priority).
    pub consumers: Vec<(super::event::ChannelId, Rc<str>, i64)>,
    /// Round-robin cursor into `consumers`.
    pub cursor: usize,
    /// Whether a consumer holds exclusive access.
    pub exclusive_consumer: bool,
    /// Whether it ever had a consumer (auto-delete only applies then).
    pub had_consumer: bool,
    /// Last use (declare, consume, cancel, get), for `x-expires`.
    pub last_used: u64,
    /// The earliest deadline already scheduled for this queue.
    pub scheduled: Option<u64>,
    /// Counters.
    pub stats: QueueStats,
}

impl<B: Body> Queue<B> {
    /// A new empty queue.
    pub fn new(name: Rc<str>, uid: u64, options: QueueOptions, args: QueueArgs, owner: Option<ConnectionId>, now: u64) -> Self {
        let levels = (0..=args.max_priority).map(|_| VecDeque::new()).collect();
        let stats = QueueStats { name: name.to_string(), ..Default::default() };
        Queue {
            name,
            uid,
            options,
            args,
            owner,
            levels,
            ready_bytes: 0,
            ready_len: 0,
            parked: TimedQueue::default(),
            unacked: 0,
            consumers: Vec::new(),
            cursor: 0,
            exclusive_consumer: false,
            had_consumer: false,
            last_used: now,
            scheduled: None,
            stats,
        }
    }

    /// Whether the queue is persisted.
    pub fn is_durable(&self) -> bool {
        self.options.durable && !self.options.exclusive
    }

    /// Ready messages.
    pub fn ready_len(&self) -> usize {
        self.ready_len
    }

    /// The priority level for a message priority (clamped to `x-max-priority`).
    pub fn level_for(&self, priority: Option<u8>) -> u8 {
        priority.unwrap_or(0).min(self.args.max_priority)
    }

    /// Appends a message at the tail of its level.
    pub fn push(&mut self, entry: Entry<B>) {
        self.ready_len += 1;
        self.ready_bytes += entry.size as u64;
        let level = &mut self.levels[entry.level as usize];
        if level.back().is_some_and(|last| last.id > entry.id) {
            let pos = level.partition_point(|e| e.id < entry.id);
            level.insert(pos, entry);
        } else {
            level.push_back(entry);
        }
    }

    /// Puts a message back at its original position (by id).
    pub fn requeue(&mut self, entry: Entry<B>) {
        self.push(entry);
    }

    /// Removes the head of the highest non-empty level.
    pub fn pop(&mut self) -> Option<Entry<B>> {
        let entry = self.levels.iter_mut().rev().find_map(|l| l.pop_front())?;
        self.ready_len -= 1;
        self.ready_bytes -= entry.size as u64;
        Some(entry)
    }

    /// Removes the ready message `id`, wherever it is.
    pub fn remove_ready(&mut self, id: u64) -> Option<Entry<B>> {
        for level in self.levels.iter_mut() {
            if let Ok(i) = level.binary_search_by_key(&id, |e| e.id) {
                let e = level.remove(i)?;
                self.ready_len -= 1;
                self.ready_bytes -= e.size as u64;
                return Some(e);
            }
        }
        None
    }

    /// Removes and returns the expired heads of every level (`expires_at <= now` when `inclusive`,
    /// `< now` otherwise). Only heads are examined, as in RabbitMQ.
    pub fn take_expired_heads(&mut self, now: u64, inclusive: bool, out: &mut Vec<Entry<B>>) {
        for level in self.levels.iter_mut() {
            while let Some(head) = level.front() {
                let due = head.expires_at.is_some_and(|t| if inclusive { t <= now } else { t < now });
                if !due {
                    break;
                }
                let e = level.pop_front().expect("front exists");
                self.ready_len -= 1;
                self.ready_bytes -= e.size as u64;
                out.push(e);
            }
        }
    }

    /// Removes every ready message.
    pub fn drain_ready(&mut self) -> Vec<Entry<B>> {
        self.ready_len = 0;
        self.ready_bytes = 0;
        self.levels.iter_mut().flat_map(|l| l.drain(..)).collect()
    }

    /// Whether the queue is over its length limits.
    pub fn over_limit(&self) -> bool {
        self.args.max_length.is_some_and(|m| self.ready_len as u64 > m)
            || self.args.max_length_bytes.is_some_and(|m| self.ready_bytes > m)
    }

    /// Whether adding a message of `size` bytes would exceed the length limits.
    pub fn would_overflow(&self, size: usize) -> bool {
        self.args.max_length.is_some_and(|m| self.ready_len as u64 >= m)
            || self.args.max_length_bytes.is_some_and(|m| self.ready_bytes + size as u64 > m)
    }

    /// The earliest time something is due in this queue: a head expiring, a parked message
    /// becoming ready, or the queue itself expiring.
    pub fn next_deadline(&self) -> Option<u64> {
        let heads = self.levels.iter().filter_map(|l| l.front()?.expires_at).min();
        let parked = self.parked.next_due();
        let expiry = match self.args.expires {
            Some(ttl) if self.consumers.is_empty() => Some(self.last_used.saturating_add(ttl)),
            _ => None,
        };
        [heads, parked, expiry].into_iter().flatten().min()
    }

    /// A snapshot of the counters and gauges.
    pub fn stats(&self) -> QueueStats {
        QueueStats {
            messages_ready: self.ready_len as u64,
            bytes_ready: self.ready_bytes,
            messages_unacked: self.unacked as u64,
            messages_delayed: self.parked.len() as u64,
            consumers: self.consumers.len() as u64,
            ..self.stats.clone()
        }
    }
}
