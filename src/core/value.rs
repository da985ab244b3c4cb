//! AMQP field values and tables: the type of message headers and of queue, exchange,
//! binding and consumer arguments.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A field table: header name → value. Ordered, so equal tables compare equal and
/// serialise identically.
pub type FieldTable = BTreeMap<String, FieldValue>;

/// One value in a field table. JavaScript values map onto it at the boundary: numbers that are
/// safe integers become [`FieldValue::Int`], other numbers [`FieldValue::Float`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", content = "v")]
pub enum FieldValue {
    /// No value (AMQP void; JavaScript `null`/`undefined`).
    Void,
    /// A boolean.
    Bool(bool),
    /// A signed integer.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// A string.
    Str(String),
    /// Raw bytes.
    Bytes(Vec<u8>),
    /// An AMQP timestamp: seconds since the Unix epoch.
    Timestamp(u64),
    /// An array of values.
    Array(Vec<FieldValue>),
    /// A nested table.
    Table(FieldTable),
}

impl FieldValue {
    /// The value as an integer, if it is a number with no fractional part.
    pub fn as_int(&self) -> Option<i64> {
        match *self {
            FieldValue::Int(i) => Some(i),
            FieldValue::Float(f) if f.fract() == 0.0 && f.is_finite() && f.abs() < 9.007e15 => {
                Some(f as i64)
            }
            FieldValue::Timestamp(t) => i64::try_from(t).ok(),
            _ => None,
        }
    }

    /// The value as a string slice, if it is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            FieldValue::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Equality as header matching and argument equivalence need it: numbers compare by value
    /// whatever their representation.
    pub fn loosely_equals(&self, other: &FieldValue) -> bool {
        match (self, other) {
            (FieldValue::Int(a), FieldValue::Float(b)) | (FieldValue::Float(b), FieldValue::Int(a)) => {
                (*a as f64) == *b
            }
            _ => self == other,
        }
    }

    /// An approximate size in bytes, used for `x-max-length-bytes` accounting of headers.
    pub fn approx_size(&self) -> usize {
        match self {
            FieldValue::Void | FieldValue::Bool(_) => 1,
            FieldValue::Int(_) | FieldValue::Float(_) | FieldValue::Timestamp(_) => 8,
            FieldValue::Str(s) => s.len(),
            FieldValue::Bytes(b) => b.len(),
            FieldValue::Array(a) => a.iter().map(FieldValue::approx_size).sum(),
            FieldValue::Table(t) => t.iter().map(|(k, v)| k.len() + v.approx_size()).sum(),
        }
    }
}

impl From<&str> for FieldValue {
    fn from(s: &str) -> Self {
        FieldValue::Str(s.to_string())
    }
}

impl From<String> for FieldValue {
    fn from(s: String) -> Self {
        FieldValue::Str(s)
    }
}

impl From<i64> for FieldValue {
    fn from(i: i64) -> Self {
        FieldValue::Int(i)
    }
}

impl From<bool> for FieldValue {
    fn from(b: bool) -> Self {
        FieldValue::Bool(b)
    }
}

/// Builds a [`FieldTable`] from pairs: `table([("x-match", "any".into())])`.
pub fn table<const N: usize>(pairs: [(&str, FieldValue); N]) -> FieldTable {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}
