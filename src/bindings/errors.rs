//! Errors as JavaScript sees them: real `Error` objects with a `name` and a stable `code`.
//!
//! - AMQP errors (from the broker) are `Error`s named `AmqpError` whose `code` is the numeric
//!   reply code and whose message reads as amqplib's: `Operation failed: QueueDeclare; 404
//!   (NOT-FOUND) with message "NOT_FOUND - no queue 'q' in vhost '/'"` for the call that failed,
//!   `Channel closed by server: …` for the channel's `error` event.
//! - Bad input is a `TypeError` or `RangeError` with a `SWITCHYARD_…` string code, and closes
//!   nothing.

use crate::core::{AmqpError, ReplyCode};
use js_sys::{Error, RangeError, Reflect, TypeError};
use wasm_bindgen::{JsCast, JsValue};

/// Codes of bad-input errors.
pub const INVALID_ARGUMENT: &str = "SWITCHYARD_INVALID_ARGUMENT";
/// An option name the method does not know.
pub const UNKNOWN_OPTION: &str = "SWITCHYARD_UNKNOWN_OPTION";
/// A value that cannot be carried (e.g. a function).
pub const NOT_CLONEABLE: &str = "SWITCHYARD_NOT_CLONEABLE";
/// A body over the bus's `maxMessageBytes`.
pub const TOO_LARGE: &str = "SWITCHYARD_TOO_LARGE";

fn with_code(err: &Error, name: &str, code: JsValue) -> JsValue {
    let _ = Reflect::set(err, &"name".into(), &name.into());
    let _ = Reflect::set(err, &"code".into(), &code);
    err.clone().into()
}

/// A `TypeError` with `code`.
pub fn type_error(code: &str, message: &str) -> JsValue {
    let e: Error = TypeError::new(message).unchecked_into();
    with_code(&e, "TypeError", code.into())
}

/// A `RangeError` with `code`.
pub fn range_error(code: &str, message: &str) -> JsValue {
    let e: Error = RangeError::new(message).unchecked_into();
    with_code(&e, "RangeError", code.into())
}

/// AMQP's constant name as amqplib prints it: `NOT-FOUND`.
fn constant(code: ReplyCode) -> String {
    code.name().replace('_', "-")
}

/// The `N (NAME) with message "…"` part of amqplib's messages.
fn close_message(err: &AmqpError) -> String {
    format!("{} ({}) with message \"{}\"", err.code.code(), constant(err.code), err.text)
}

/// The error for the call that failed (`method` is AMQP's method name, e.g. `QueueDeclare`).
pub fn operation_failed(err: &AmqpError, method: &str) -> JsValue {
    if err.code == ReplyCode::ChannelError {
        return closed("IllegalOperationError", "Channel closed", "SWITCHYARD_CHANNEL_CLOSED");
    }
    amqp(err, &format!("Operation failed: {method}; {}", close_message(err)))
}

/// The error a channel emits when the broker closes it.
pub fn channel_closed_by_server(err: &AmqpError) -> JsValue {
    amqp(err, &format!("Channel closed by server: {}", close_message(err)))
}

/// The error a connection emits when the broker closes it.
pub fn connection_closed_by_server(err: &AmqpError) -> JsValue {
    amqp(err, &format!("Connection closed: {}", close_message(err)))
}

fn amqp(err: &AmqpError, message: &str) -> JsValue {
    let e = Error::new(message);
    with_code(&e, "AmqpError", JsValue::from(err.code.code()))
}

/// An `Error` for a call on a closed channel or connection, as amqplib's `IllegalOperationError`.
pub fn closed(name: &str, message: &str, code: &str) -> JsValue {
    let e = Error::new(message);
    with_code(&e, name, code.into())
}
