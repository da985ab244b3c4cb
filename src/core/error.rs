//! Errors: AMQP reply codes and what an error closes.

use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;

/// AMQP 0-9-1 reply codes, as RabbitMQ sends them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ReplyCode {
    /// 311: the message body is larger than the broker accepts.
    ContentTooLarge,
    /// 312: a mandatory message could not be routed to any queue.
    NoRoute,
    /// 320: the connection was closed by the broker (e.g. on shutdown).
    ConnectionForced,
    /// 402: an invalid name.
    InvalidPath,
    /// 403: the operation is not allowed on this object (e.g. `amq.*` names, internal exchanges).
    AccessRefused,
    /// 404: the exchange or queue does not exist.
    NotFound,
    /// 405: the queue is exclusive to another connection.
    ResourceLocked,
    /// 406: a precondition failed: inequivalent redeclare, unknown delivery tag, invalid argument.
    PreconditionFailed,
    /// 503: a command that is not valid in this state.
    CommandInvalid,
    /// 504: the channel is not open.
    ChannelError,
    /// 506: the broker ran out of a resource.
    ResourceError,
    /// 530: an operation not allowed by the broker (e.g. an invalid argument value type).
    NotAllowed,
    /// 540: a method the broker does not implement.
    NotImplemented,
    /// 541: an internal error.
    InternalError,
}

impl ReplyCode {
    /// The numeric reply code.
    pub fn code(self) -> u16 {
        match self {
            ReplyCode::ContentTooLarge => 311,
            ReplyCode::NoRoute => 312,
            ReplyCode::ConnectionForced => 320,
            ReplyCode::InvalidPath => 402,
            ReplyCode::AccessRefused => 403,
            ReplyCode::NotFound => 404,
            ReplyCode::ResourceLocked => 405,
            ReplyCode::PreconditionFailed => 406,
            ReplyCode::CommandInvalid => 503,
            ReplyCode::ChannelError => 504,
            ReplyCode::ResourceError => 506,
            ReplyCode::NotAllowed => 530,
            ReplyCode::NotImplemented => 540,
            ReplyCode::InternalError => 541,
        }
    }

    /// The reply text prefix RabbitMQ uses, e.g. `NOT_FOUND`.
    pub fn name(self) -> &'static str {
        match self {
            ReplyCode::ContentTooLarge => "CONTENT_TOO_LARGE",
            ReplyCode::NoRoute => "NO_ROUTE",
            ReplyCode::ConnectionForced => "CONNECTION_FORCED",
            ReplyCode::InvalidPath => "INVALID_PATH",
            ReplyCode::AccessRefused => "ACCESS_REFUSED",
            ReplyCode::NotFound => "NOT_FOUND",
            ReplyCode::ResourceLocked => "RESOURCE_LOCKED",
            ReplyCode::PreconditionFailed => "PRECONDITION_FAILED",
            ReplyCode::CommandInvalid => "COMMAND_INVALID",
            ReplyCode::ChannelError => "CHANNEL_ERROR",
            ReplyCode::ResourceError => "RESOURCE_ERROR",
            ReplyCode::NotAllowed => "NOT_ALLOWED",
            ReplyCode::NotImplemented => "NOT_IMPLEMENTED",
            ReplyCode::InternalError => "INTERNAL_ERROR",
        }
    }

    /// Whether RabbitMQ treats this code as a connection (rather than channel) exception.
    pub fn is_connection_level(self) -> bool {
        matches!(
            self,
            ReplyCode::ConnectionForced
                | ReplyCode::InvalidPath
                | ReplyCode::CommandInvalid
                | ReplyCode::ChannelError
                | ReplyCode::ResourceError
                | ReplyCode::NotAllowed
                | ReplyCode::NotImplemented
                | ReplyCode::InternalError
        )
    }
}

impl fmt::Display for ReplyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.code(), self.name())
    }
}

/// An error from a broker operation: an AMQP reply code and RabbitMQ-style text such as
/// `NOT_FOUND - no queue 'jobs' in vhost '/'`.
///
/// A channel-level error closes the channel it happened on (the broker has already done so when
/// the error is returned, and a [`crate::core::Event::ChannelClosed`] is queued), as RabbitMQ does.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[error("{text}")]
pub struct AmqpError {
    /// The reply code.
    pub code: ReplyCode,
    /// The full reply text, starting with the code's name.
    pub text: String,
}

impl AmqpError {
    /// An error with `code` and a message; the text gets the code's name as prefix.
    pub fn new(code: ReplyCode, message: impl fmt::Display) -> Self {
        AmqpError { code, text: format!("{} - {}", code.name(), message) }
    }

    /// 404 NOT_FOUND for a queue.
    pub fn no_queue(name: &str) -> Self {
        Self::new(ReplyCode::NotFound, format_args!("no queue '{name}' in vhost '/'"))
    }

    /// 404 NOT_FOUND for an exchange.
    pub fn no_exchange(name: &str) -> Self {
        Self::new(ReplyCode::NotFound, format_args!("no exchange '{name}' in vhost '/'"))
    }

    /// 406 PRECONDITION_FAILED.
    pub fn precondition(message: impl fmt::Display) -> Self {
        Self::new(ReplyCode::PreconditionFailed, message)
    }

    /// 403 ACCESS_REFUSED.
    pub fn access_refused(message: impl fmt::Display) -> Self {
        Self::new(ReplyCode::AccessRefused, message)
    }
}

/// The result of a broker operation.
pub type Result<T> = std::result::Result<T, AmqpError>;
