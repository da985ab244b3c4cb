//! Identifiers and the events the broker emits for its driver to act on.

use super::error::AmqpError;
use super::message::Message;
use serde::{Deserialize, Serialize};
use std::rc::Rc;

/// A connection, as the broker numbers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ConnectionId(pub u64);

/// A channel, unique across connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ChannelId(pub u64);

/// One message handed to a consumer or returned by `basic_get`.
#[derive(Debug, Clone)]
pub struct Delivery<B> {
    /// The channel it was delivered on.
    pub channel: ChannelId,
    /// The consumer it was delivered to (`None` for `basic_get`).
    pub consumer_tag: Option<Rc<str>>,
    /// The channel-scoped tag to acknowledge it with.
    pub delivery_tag: u64,
    /// Whether it was delivered before (requeued, or recovered after a restart).
    pub redelivered: bool,
    /// The message (its `exchange` and `routing_key` are the ones it was last published with).
    pub message: Rc<Message<B>>,
    /// For `basic_get`: the ready messages left in the queue.
    pub message_count: Option<u32>,
}

/// Something the driver must act on, taken with [`crate::core::Broker::poll_event`].
#[derive(Debug, Clone)]
pub enum Event<B> {
    /// A message for a consumer.
    Deliver(Delivery<B>),
    /// A mandatory message that reached no queue (`basic.return`, 312 NO_ROUTE).
    Return {
        /// The publishing channel.
        channel: ChannelId,
        /// Why it came back.
        reply: AmqpError,
        /// The message.
        message: Rc<Message<B>>,
    },
    /// A publisher confirm on a confirm channel (`basic.ack` / `basic.nack`), for one
    /// sequence number.
    Confirm {
        /// The publishing channel.
        channel: ChannelId,
        /// The publish sequence number (from 1 per channel).
        seq: u64,
        /// True for an ack, false for a nack (rejected by overflow or by a failed store).
        ack: bool,
    },
    /// The broker cancelled a consumer (its queue was deleted).
    ConsumerCancelled {
        /// The consumer's channel.
        channel: ChannelId,
        /// Its tag.
        consumer_tag: Rc<str>,
    },
    /// The broker closed a channel because of an error on it.
    ChannelClosed {
        /// The channel.
        channel: ChannelId,
        /// The error.
        error: AmqpError,
    },
    /// The broker closed a connection because of a connection-level error.
    ConnectionClosed {
        /// The connection.
        connection: ConnectionId,
        /// The error.
        error: AmqpError,
    },
}
