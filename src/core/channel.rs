//! Channels: consumers, unacknowledged deliveries, prefetch and confirm state.

use super::event::ConnectionId;
use super::queue::Entry;
use super::value::FieldTable;
use super::collections::TagMap;
use std::rc::Rc;

/// Options of `basic.consume` (amqplib's `consume` options).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConsumeOptions {
    /// The consumer tag; the broker generates `amq.ctag-…` when `None` or empty.
    pub consumer_tag: Option<String>,
    /// Deliveries count as acknowledged when sent.
    pub no_ack: bool,
    /// No other consumer may consume from the queue while this one does.
    pub exclusive: bool,
    /// Consumer priority (`x-priority`): higher-priority consumers get messages first.
    pub priority: Option<i64>,
    /// Other arguments.
    pub arguments: FieldTable,
}

/// A consumer on a channel.
#[derive(Debug, Clone)]
pub struct Consumer {
    /// A broker-unique id of this consumer (a tag can be reused after a cancel).
    pub id: u64,
    /// The queue consumed from.
    pub queue: Rc<str>,
    /// Whether deliveries need no acknowledgement.
    pub no_ack: bool,
    /// Per-consumer prefetch limit (0 = none), fixed when the consumer was created.
    pub prefetch: u32,
    /// Unacknowledged deliveries to this consumer.
    pub unacked: u32,
}

/// A channel's consumers by tag. Channels have few consumers, so a vector scanned by tag is
/// both fast and small.
#[derive(Debug, Default)]
pub struct ConsumerMap(Vec<(Rc<str>, Consumer)>);

impl ConsumerMap {
    /// Where `tag` is. The broker looks consumers up with the tag `Rc` it stored (dispatch
    /// walks the queue's consumers), so the addresses are compared before the bytes: tags
    /// share their `amq.ctag-` prefix, and a channel may hold many.
    fn position(&self, tag: &str) -> Option<usize> {
        let same = |t: &Rc<str>| std::ptr::eq(t.as_ptr(), tag.as_ptr()) && t.len() == tag.len();
        self.0.iter().position(|(t, _)| same(t)).or_else(|| self.0.iter().position(|(t, _)| **t == *tag))
    }

    /// The consumer `tag`.
    pub fn get(&self, tag: &str) -> Option<&Consumer> {
        self.position(tag).map(|i| &self.0[i].1)
    }

    /// The consumer `tag`, mutably.
    pub fn get_mut(&mut self, tag: &str) -> Option<&mut Consumer> {
        self.position(tag).map(|i| &mut self.0[i].1)
    }

    /// Whether `tag` is taken.
    pub fn contains_key(&self, tag: &str) -> bool {
        self.get(tag).is_some()
    }

    /// Adds a consumer (the caller checked the tag is free).
    pub fn insert(&mut self, tag: Rc<str>, c: Consumer) {
        self.0.push((tag, c));
    }

    /// Removes the consumer `tag`.
    pub fn remove(&mut self, tag: &str) -> Option<Consumer> {
        let i = self.position(tag)?;
        Some(self.0.remove(i).1)
    }

    /// The tags.
    pub fn keys(&self) -> impl Iterator<Item = &Rc<str>> {
        self.0.iter().map(|(t, _)| t)
    }

    /// The consumers.
    pub fn values(&self) -> impl Iterator<Item = &Consumer> {
        self.0.iter().map(|(_, c)| c)
    }
}

/// A delivery waiting for its acknowledgement.
#[derive(Debug, Clone)]
pub struct Unacked<B> {
    /// The queue it came from.
    pub queue: Rc<str>,
    /// That queue's incarnation id (a redeclared queue does not take back old messages).
    pub queue_uid: u64,
    /// The message.
    pub entry: Entry<B>,
    /// The consumer it went to (`None` for `basic.get`): its tag and id.
    pub consumer: Option<(Rc<str>, u64)>,
}

/// A channel.
#[derive(Debug)]
pub struct Channel<B> {
    /// The owning connection.
    pub connection: ConnectionId,
    /// The last delivery tag handed out.
    pub last_tag: u64,
    /// Unacknowledged deliveries by tag.
    pub unacked: TagMap<Unacked<B>>,
    /// Consumers by tag.
    pub consumers: ConsumerMap,
    /// `basic.qos` with global=false: the limit given to consumers created afterwards.
    pub prefetch_per_consumer: u32,
    /// `basic.qos` with global=true: the limit across the channel (0 = none).
    pub prefetch_global: u32,
    /// Whether publisher confirms are on.
    pub confirm: bool,
    /// The last publish sequence number handed out.
    pub publish_seq: u64,
}

impl<B> Channel<B> {
    /// A new open channel.
    pub fn new(connection: ConnectionId) -> Self {
        Channel {
            connection,
            last_tag: 0,
            unacked: TagMap::default(),
            consumers: ConsumerMap::default(),
            prefetch_per_consumer: 0,
            prefetch_global: 0,
            confirm: false,
            publish_seq: 0,
        }
    }

    /// Whether consumer `tag` may take one more delivery under the prefetch limits.
    pub fn can_deliver(&self, tag: &str) -> bool {
        let Some(c) = self.consumers.get(tag) else { return false };
        if c.no_ack {
            return true;
        }
        let channel_ok = self.prefetch_global == 0 || (self.unacked.len() as u64) < self.prefetch_global as u64;
        let consumer_ok = c.prefetch == 0 || c.unacked < c.prefetch;
        channel_ok && consumer_ok
    }
}
