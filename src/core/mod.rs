//! The broker as a sans-IO state machine: RabbitMQ 3.x's model with no clock and no I/O.
//!
//! # The model
//! Publishers send messages to **exchanges**; exchanges route them by **bindings** to
//! **queues** (or to other exchanges); **consumers** on **channels** receive them from queues
//! and acknowledge them. Every input is a method of [`Broker`] taking the current time
//! `now` (milliseconds) as an argument; every output is taken with [`Broker::poll_event`]
//! (deliveries, returns, confirms, closes), [`Broker::take_store_batch`] (what to persist) and
//! [`Broker::poll_timeout`] (when to call [`Broker::handle_timeout`]).
//!
//! ```
//! use switchyard::core::*;
//! let mut broker: Broker<Vec<u8>> = Broker::new(BrokerConfig::default());
//! let conn = broker.open_connection();
//! let ch = broker.open_channel(conn).unwrap();
//! broker.queue_declare(ch, "hello", QueueOptions::default(), false, 0).unwrap();
//! broker.basic_consume(ch, "hello", ConsumeOptions::default(), 0).unwrap();
//! broker.basic_publish(ch, Publish::new("", "hello", b"Hello World".to_vec()), 0).unwrap();
//! let Some(Event::Deliver(d)) = broker.poll_event() else { panic!() };
//! assert_eq!(d.message.body, b"Hello World");
//! broker.basic_ack(ch, d.delivery_tag, false, 0).unwrap();
//! ```
//!
//! # Errors close channels
//! As in RabbitMQ, an error on a channel (404 NOT_FOUND, 406 PRECONDITION_FAILED, 405
//! RESOURCE_LOCKED, 403 ACCESS_REFUSED) closes that channel: the method returns the error, the
//! channel's unacknowledged messages are requeued, and [`Event::ChannelClosed`] is queued.
//! Connection-level codes (e.g. 530 NOT_ALLOWED for a reused consumer tag) close the
//! connection. Nothing panics on bad input.
//!
//! # Redelivery
//! A message requeued by `nack`/`reject` with `requeue`, by `recover`, or because its channel
//! closed goes back to its original position in the queue and is delivered with
//! `redelivered = true`. With `x-delivery-limit = N`, a message returned more than N times is
//! dead-lettered with reason `delivery_limit` instead.
//!
//! # TTL and expiry
//! A message's TTL is the smaller of the queue's `x-message-ttl` and its own `expiration`.
//! Expired messages are removed when they reach the head of the queue (as RabbitMQ does), and
//! dead-lettered with reason `expired` if the queue has a dead-letter exchange. A TTL of 0
//! delivers the message only if a consumer can take it at once. Requeued messages keep their
//! original expiry.
//!
//! # Dead-lettering
//! A message dead-lettered from queue Q is republished to Q's `x-dead-letter-exchange` with
//! Q's `x-dead-letter-routing-key` (or its own routing keys) and an `x-death` header: one
//! entry per (queue, reason) with `count`, `reason`, `queue`, `time`, `exchange`,
//! `routing-keys` and `original-expiration`, newest first; `x-first-death-*` and
//! `x-last-death-*` headers name the first and last death. A message that would die again in
//! a queue it already died in, with no rejection in its history, is dropped (cycle).
//!
//! # Confirms and persistence
//! On a confirm channel every publish gets a sequence number from 1 and one
//! [`Event::Confirm`]: a nack if a queue refused it (`x-overflow` reject-publish), otherwise
//! an ack — at once for transient messages, after the store batch commits for persistent
//! messages in durable queues (when [`BrokerConfig::persistence`] is on).

mod args;
mod broker;
mod channel;
mod consume;
mod error;
mod event;
mod exchange;
mod headers;
mod message;
mod persist;
mod publish;
mod queue;
mod store_op;
mod collections;
mod timers;
mod topic;
mod value;

pub use args::{Overflow, QueueArgs};
pub use broker::{Broker, BrokerConfig, QueueDeclareOk, REPLY_TO};
pub use channel::ConsumeOptions;
pub use error::{AmqpError, ReplyCode, Result};
pub use event::{ChannelId, ConnectionId, Delivery, Event};
pub use exchange::{Binding, Destination, ExchangeKind, ExchangeOptions};
pub use headers::{headers_match, MatchMode};
pub use message::{parse_expiration, Body, Message, MessageProperties, Properties};
pub use publish::{DeathReason, Publish};
pub use queue::{QueueOptions, QueueStats};
pub use store_op::{DelayedRecord, ExchangeRecord, MessageRecord, QueueRecord, Snapshot, StoreBatch, StoreOp};
pub use topic::TopicTrie;
pub use value::{table, FieldTable, FieldValue};

impl<B: Body> Broker<B> {
    /// Takes the next event, oldest first.
    pub fn poll_event(&mut self) -> Option<Event<B>> {
        self.events.pop_front()
    }

    /// Takes every pending event.
    pub fn drain_events(&mut self) -> std::collections::vec_deque::Drain<'_, Event<B>> {
        self.events.drain(..)
    }
}

impl<B: Body> Broker<B> {
    /// Whether events are waiting to be polled.
    pub fn has_events(&self) -> bool {
        !self.events.is_empty()
    }
}
