//! Queue arguments (`x-…`), parsed and validated as RabbitMQ does at declare time.

use super::error::{AmqpError, Result};
use super::value::{FieldTable, FieldValue};

/// What happens when a queue with a length limit is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Overflow {
    /// Drop (or dead-letter) the oldest ready message to make room (the default).
    #[default]
    DropHead,
    /// Refuse the new message; a confirm channel gets a nack.
    RejectPublish,
    /// Refuse the new message and dead-letter it; a confirm channel gets a nack.
    RejectPublishDlx,
}

/// The parsed arguments of a queue.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueueArgs {
    /// `x-message-ttl`: milliseconds a message may stay in the queue.
    pub message_ttl: Option<u64>,
    /// `x-expires`: milliseconds of disuse after which the queue is deleted.
    pub expires: Option<u64>,
    /// `x-max-length`: the most ready messages.
    pub max_length: Option<u64>,
    /// `x-max-length-bytes`: the most ready body bytes.
    pub max_length_bytes: Option<u64>,
    /// `x-overflow`.
    pub overflow: Overflow,
    /// `x-dead-letter-exchange`.
    pub dead_letter_exchange: Option<String>,
    /// `x-dead-letter-routing-key`.
    pub dead_letter_routing_key: Option<String>,
    /// `x-max-priority`: the highest priority level (0 = not a priority queue).
    pub max_priority: u8,
    /// `x-single-active-consumer`.
    pub single_active_consumer: bool,
    /// `x-delivery-limit`: deliveries after which a returned message is dead-lettered.
    pub delivery_limit: Option<u64>,
}

fn invalid(queue: &str, arg: &str, why: impl std::fmt::Display) -> AmqpError {
    AmqpError::precondition(format_args!("invalid arg '{arg}' for queue '{queue}' in vhost '/': {why}"))
}

fn non_negative(queue: &str, arg: &str, v: &FieldValue, allow_zero: bool) -> Result<u64> {
    match v.as_int() {
        Some(i) if i > 0 || (allow_zero && i == 0) => Ok(i as u64),
        Some(i) if i < 0 => Err(invalid(queue, arg, format_args!("{{value_negative,{i}}}"))),
        Some(i) => Err(invalid(queue, arg, format_args!("{{value_zero,{i}}}"))),
        None => Err(invalid(queue, arg, format_args!("{{unacceptable_type,{v}}}"))),
    }
}

fn string(queue: &str, arg: &str, v: &FieldValue) -> Result<String> {
    v.as_str().map(str::to_string).ok_or_else(|| invalid(queue, arg, format_args!("{{unacceptable_type,{v}}}")))
}

impl QueueArgs {
    /// Parses and validates `arguments` for queue `queue`. Unknown arguments are ignored, as
    /// RabbitMQ ignores them.
    pub fn parse(queue: &str, arguments: &FieldTable) -> Result<QueueArgs> {
        let mut a = QueueArgs::default();
        for (k, v) in arguments {
            if matches!(v, FieldValue::Void) {
                continue;
            }
            match k.as_str() {
                "x-message-ttl" => a.message_ttl = Some(non_negative(queue, k, v, true)?),
                "x-expires" => a.expires = Some(non_negative(queue, k, v, false)?),
                "x-max-length" => a.max_length = Some(non_negative(queue, k, v, true)?),
                "x-max-length-bytes" => a.max_length_bytes = Some(non_negative(queue, k, v, true)?),
                "x-delivery-limit" => a.delivery_limit = Some(non_negative(queue, k, v, true)?),
                "x-max-priority" => {
                    let p = non_negative(queue, k, v, true)?;
                    if p > 255 {
                        return Err(invalid(queue, k, format_args!("{{value_too_large,{p},255}}")));
                    }
                    a.max_priority = p as u8;
                }
                "x-overflow" => {
                    a.overflow = match string(queue, k, v)?.as_str() {
                        "drop-head" => Overflow::DropHead,
                        "reject-publish" => Overflow::RejectPublish,
                        "reject-publish-dlx" => Overflow::RejectPublishDlx,
                        other => return Err(invalid(queue, k, format_args!("{{unknown_value,<<\"{other}\">>}}"))),
                    }
                }
                "x-dead-letter-exchange" => a.dead_letter_exchange = Some(string(queue, k, v)?),
                "x-dead-letter-routing-key" => a.dead_letter_routing_key = Some(string(queue, k, v)?),
                "x-single-active-consumer" => match v {
                    FieldValue::Bool(b) => a.single_active_consumer = *b,
                    _ => return Err(invalid(queue, k, format_args!("{{unacceptable_type,{v}}}"))),
                },
                "x-durability" => match string(queue, k, v)?.as_str() {
                    "strict" | "relaxed" => {}
                    other => return Err(invalid(queue, k, format_args!("{{unknown_value,<<\"{other}\">>}}"))),
                },
                "x-queue-type" => match string(queue, k, v)?.as_str() {
                    "classic" | "quorum" => {}
                    other => return Err(invalid(queue, k, format_args!("{{unsupported_queue_type,<<\"{other}\">>}}"))),
                },
                _ => {}
            }
        }
        if a.dead_letter_routing_key.is_some() && a.dead_letter_exchange.is_none() {
            return Err(AmqpError::precondition(format_args!(
                "invalid arg 'x-dead-letter-routing-key' for queue '{queue}' in vhost '/': {{routing_key_but_no_dlx_defined}}"
            )));
        }
        Ok(a)
    }

    /// Whether arguments RabbitMQ checks on redeclare are equal. Returns the first differing name.
    pub fn first_difference(a: &FieldTable, b: &FieldTable) -> Option<&'static str> {
        const CHECKED: [&str; 12] = [
            "x-durability",
            "x-message-ttl",
            "x-expires",
            "x-max-length",
            "x-max-length-bytes",
            "x-overflow",
            "x-dead-letter-exchange",
            "x-dead-letter-routing-key",
            "x-max-priority",
            "x-single-active-consumer",
            "x-delivery-limit",
            "x-queue-type",
        ];
        let norm = |t: &FieldTable, k: &str| t.get(k).filter(|v| !matches!(v, FieldValue::Void)).cloned();
        CHECKED.into_iter().find(|k| match (norm(a, k), norm(b, k)) {
            (None, None) => false,
            (Some(x), Some(y)) => !x.loosely_equals(&y),
            _ => true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::error::ReplyCode;
    use crate::core::value::table;

    #[test]
    fn parses_every_argument() {
        let a = QueueArgs::parse(
            "q",
            &table([
                ("x-message-ttl", 0.into()),
                ("x-expires", 1000.into()),
                ("x-max-length", 5.into()),
                ("x-max-length-bytes", 100.into()),
                ("x-overflow", "reject-publish-dlx".into()),
                ("x-dead-letter-exchange", "dlx".into()),
                ("x-dead-letter-routing-key", "dead".into()),
                ("x-max-priority", 10.into()),
                ("x-single-active-consumer", true.into()),
                ("x-delivery-limit", 3.into()),
                ("x-unknown", "ignored".into()),
            ]),
        )
        .unwrap();
        assert_eq!(a.message_ttl, Some(0));
        assert_eq!(a.expires, Some(1000));
        assert_eq!(a.max_length, Some(5));
        assert_eq!(a.max_length_bytes, Some(100));
        assert_eq!(a.overflow, Overflow::RejectPublishDlx);
        assert_eq!(a.dead_letter_exchange.as_deref(), Some("dlx"));
        assert_eq!(a.dead_letter_routing_key.as_deref(), Some("dead"));
        assert_eq!(a.max_priority, 10);
        assert!(a.single_active_consumer);
        assert_eq!(a.delivery_limit, Some(3));
    }

    #[test]
    fn rejects_invalid_values_with_406() {
        for args in [
            table([("x-message-ttl", (-1).into())]),
            table([("x-expires", 0.into())]),
            table([("x-max-priority", 256.into())]),
            table([("x-overflow", "drop-tail".into())]),
            table([("x-dead-letter-routing-key", "k".into())]),
            table([("x-max-length", "ten".into())]),
            table([("x-single-active-consumer", 1.into())]),
            table([("x-queue-type", "stream".into())]),
        ] {
            let err = QueueArgs::parse("q", &args).unwrap_err();
            assert_eq!(err.code, ReplyCode::PreconditionFailed, "{args:?}");
            assert!(err.text.starts_with("PRECONDITION_FAILED - invalid arg"), "{}", err.text);
        }
    }

    #[test]
    fn redeclare_difference() {
        let a = table([("x-message-ttl", 10.into()), ("x-other", 1.into())]);
        let b = table([("x-message-ttl", FieldValue::Float(10.0))]);
        assert_eq!(QueueArgs::first_difference(&a, &b), None);
        let c = table([("x-message-ttl", 11.into())]);
        assert_eq!(QueueArgs::first_difference(&a, &c), Some("x-message-ttl"));
        assert_eq!(QueueArgs::first_difference(&a, &FieldTable::new()), Some("x-message-ttl"));
    }
}
