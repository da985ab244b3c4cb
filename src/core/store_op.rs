//! What the broker asks a store to persist, and what a store hands back to restore from.
//!
//! Only durable things become store operations, as in RabbitMQ: durable exchanges, durable
//! non-exclusive queues, bindings whose two ends are durable, and persistent messages
//! (`deliveryMode` 2) in durable queues.

use super::exchange::{Binding, ExchangeKind, ExchangeOptions};
use super::message::Message;
use super::queue::QueueOptions;
use serde::{Deserialize, Serialize};

/// A durable exchange.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExchangeRecord {
    /// Its name.
    pub name: String,
    /// Its type.
    pub kind: ExchangeKind,
    /// Its options.
    pub options: ExchangeOptions,
}

/// A durable queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueRecord {
    /// Its name.
    pub name: String,
    /// Its options.
    pub options: QueueOptions,
}

/// A persistent message in a durable queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageRecord<B> {
    /// The queue holding it.
    pub queue: String,
    /// Its id (and position in the queue).
    pub id: u64,
    /// The message.
    pub message: Message<B>,
    /// When it was enqueued (ms).
    pub enqueued_at: u64,
    /// When it expires (ms).
    pub expires_at: Option<u64>,
    /// Deliveries so far (non-zero means it comes back `redelivered`).
    pub delivery_count: u32,
    /// Not ready before this time (ms): a nack-with-delay.
    pub not_before: Option<u64>,
}

/// A persistent message published with `x-delay`, waiting to be routed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DelayedRecord<B> {
    /// Its id.
    pub id: u64,
    /// When it is routed (ms).
    pub due: u64,
    /// Whether it was published mandatory.
    pub mandatory: bool,
    /// The message (its exchange and routing key say where it goes).
    pub message: Message<B>,
}

/// One change to persist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum StoreOp<B> {
    /// Create or replace an exchange.
    PutExchange(ExchangeRecord),
    /// Delete an exchange.
    DeleteExchange(String),
    /// Create or replace a queue.
    PutQueue(QueueRecord),
    /// Delete a queue and every message in it.
    DeleteQueue(String),
    /// Add a binding.
    PutBinding(Binding),
    /// Remove a binding.
    DeleteBinding(Binding),
    /// Add a message to a queue.
    PutMessage(MessageRecord<B>),
    /// Update a stored message's delivery state.
    UpdateMessage {
        /// The queue.
        queue: String,
        /// The message id.
        id: u64,
        /// Deliveries so far.
        delivery_count: u32,
        /// Not ready before this time.
        not_before: Option<u64>,
    },
    /// Remove a message from a queue (acked, dropped, dead-lettered, purged).
    DeleteMessage {
        /// The queue.
        queue: String,
        /// The message id.
        id: u64,
    },
    /// Add a delayed message.
    PutDelayed(DelayedRecord<B>),
    /// Remove a delayed message (routed).
    DeleteDelayed(u64),
}

/// The operations produced since the previous batch; persist them atomically, then call
/// [`crate::core::Broker::handle_store_committed`] with the id.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreBatch<B> {
    /// The batch id.
    pub id: u64,
    /// The operations, in order.
    pub ops: Vec<StoreOp<B>>,
}

/// Everything a store holds, to restore a broker from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot<B> {
    /// Durable exchanges.
    pub exchanges: Vec<ExchangeRecord>,
    /// Durable queues.
    pub queues: Vec<QueueRecord>,
    /// Durable bindings.
    pub bindings: Vec<Binding>,
    /// Persistent messages, in any order (restored by id within each queue).
    pub messages: Vec<MessageRecord<B>>,
    /// Delayed messages.
    pub delayed: Vec<DelayedRecord<B>>,
}

impl<B> Default for Snapshot<B> {
    fn default() -> Self {
        Snapshot { exchanges: vec![], queues: vec![], bindings: vec![], messages: vec![], delayed: vec![] }
    }
}
