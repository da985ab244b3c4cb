//! AMQP field values and tables: the type of message headers and of queue, exchange,
//! binding and consumer arguments.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A field table: header name → value, kept sorted by name, so equal tables compare equal and
/// serialise identically. Tables are small (a few headers or arguments), so a sorted vector
/// with binary search serves them with less code than a B-tree, which matters in the wasm build.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FieldTable(Vec<(String, FieldValue)>);

impl FieldTable {
    /// An empty table.
    pub fn new() -> Self {
        FieldTable(Vec::new())
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&FieldValue> {
        self.find(key).ok().map(|i| &self.0[i].1)
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_ok()
    }

    /// Sets `key`; returns the value it replaced.
    pub fn insert(&mut self, key: String, value: FieldValue) -> Option<FieldValue> {
        match self.find(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, value)),
            Err(i) => {
                self.0.insert(i, (key, value));
                None
            }
        }
    }

    /// Removes `key`; returns its value.
    pub fn remove(&mut self, key: &str) -> Option<FieldValue> {
        self.find(key).ok().map(|i| self.0.remove(i).1)
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The entries, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &FieldValue)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    /// The names, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.0.iter().map(|(k, _)| k)
    }
}

impl FromIterator<(String, FieldValue)> for FieldTable {
    fn from_iter<I: IntoIterator<Item = (String, FieldValue)>>(iter: I) -> Self {
        let mut t = FieldTable::new();
        for (k, v) in iter {
            t.insert(k, v);
        }
        t
    }
}

impl IntoIterator for FieldTable {
    type Item = (String, FieldValue);
    type IntoIter = std::vec::IntoIter<(String, FieldValue)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a FieldTable {
    type Item = (&'a String, &'a FieldValue);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, (String, FieldValue)>, fn(&'a (String, FieldValue)) -> (&'a String, &'a FieldValue)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

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

impl fmt::Display for FieldValue {
    /// A short rendering for error messages (no float-formatting machinery: this ships in wasm).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldValue::Void => f.write_str("void"),
            FieldValue::Bool(b) => f.write_str(if *b { "true" } else { "false" }),
            FieldValue::Int(i) => write!(f, "{i}"),
            FieldValue::Float(x) if !x.is_finite() => f.write_str("a non-finite number"),
            FieldValue::Float(x) => {
                let sign = if *x < 0.0 { "-" } else { "" };
                let micros = (x.abs() * 1e6).round() as u64;
                write!(f, "{sign}{}.{:06}", micros / 1_000_000, micros % 1_000_000)
            }
            FieldValue::Str(s) => write!(f, "<<\"{s}\">>"),
            FieldValue::Bytes(b) => write!(f, "<<{} bytes>>", b.len()),
            FieldValue::Timestamp(t) => write!(f, "{t}"),
            FieldValue::Array(a) => write!(f, "an array of {}", a.len()),
            FieldValue::Table(t) => write!(f, "a table of {}", t.len()),
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
