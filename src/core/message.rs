//! Messages: the body type, AMQP basic properties, and a routed message.

use super::value::{FieldTable, FieldValue};
use serde::{Deserialize, Serialize};

/// A message body. The core never looks inside it; it only needs to clone a handle to it (to
/// route one message to several queues) and to know its size (for `x-max-length-bytes`).
///
/// Native code uses `Vec<u8>`; the wasm build uses a JavaScript value, so bodies cross into the
/// broker and back out to consumers without being copied.
pub trait Body: Clone {
    /// The size in bytes counted against `x-max-length-bytes`.
    fn byte_len(&self) -> usize;

    /// Called on a copy of a message whose properties, exchange or routing key the broker just
    /// changed (dead-lettering, `x-delivery-count`, BCC removal): a body that caches a rendering
    /// of its message for consumers must drop it here.
    fn message_changed(&mut self) {}
}

impl Body for Vec<u8> {
    fn byte_len(&self) -> usize {
        self.len()
    }
}

impl Body for String {
    fn byte_len(&self) -> usize {
        self.len()
    }
}

impl Body for std::rc::Rc<[u8]> {
    fn byte_len(&self) -> usize {
        self.len()
    }
}

/// AMQP basic properties, with amqplib's names in the JavaScript API.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Properties {
    /// MIME content type (`contentType`).
    pub content_type: Option<String>,
    /// MIME content encoding (`contentEncoding`).
    pub content_encoding: Option<String>,
    /// Application headers (`headers`).
    pub headers: Option<FieldTable>,
    /// 1 = transient, 2 = persistent (`deliveryMode`; amqplib's `persistent: true` sets 2).
    pub delivery_mode: Option<u8>,
    /// Message priority 0–255 (`priority`).
    pub priority: Option<u8>,
    /// Correlation id (`correlationId`).
    pub correlation_id: Option<String>,
    /// Reply address (`replyTo`).
    pub reply_to: Option<String>,
    /// Per-message TTL in milliseconds, as a decimal string (`expiration`).
    pub expiration: Option<String>,
    /// Message id (`messageId`).
    pub message_id: Option<String>,
    /// Timestamp in seconds or milliseconds, as the publisher set it (`timestamp`).
    pub timestamp: Option<u64>,
    /// Message type (`type`).
    pub kind: Option<String>,
    /// User id (`userId`).
    pub user_id: Option<String>,
    /// Application id (`appId`).
    pub app_id: Option<String>,
    /// Cluster id (`clusterId`), deprecated in AMQP but carried through.
    pub cluster_id: Option<String>,
}

impl Properties {
    /// Whether the message is persistent (delivery mode 2).
    pub fn is_persistent(&self) -> bool {
        self.delivery_mode == Some(2)
    }

    /// A header value by name.
    pub fn header(&self, name: &str) -> Option<&FieldValue> {
        self.headers.as_ref()?.get(name)
    }

    /// Sets one header, creating the table if needed.
    pub fn set_header(&mut self, name: &str, value: FieldValue) {
        self.headers.get_or_insert_with(FieldTable::new).insert(name.to_string(), value);
    }

    /// An approximate size of the properties in bytes.
    pub fn approx_size(&self) -> usize {
        let s = |o: &Option<String>| o.as_ref().map_or(0, |s| s.len());
        s(&self.content_type)
            + s(&self.content_encoding)
            + s(&self.correlation_id)
            + s(&self.reply_to)
            + s(&self.expiration)
            + s(&self.message_id)
            + s(&self.kind)
            + s(&self.user_id)
            + s(&self.app_id)
            + self.headers.as_ref().map_or(0, |h| h.iter().map(|(k, v)| k.len() + v.approx_size()).sum())
    }
}

/// Properties as a queued message holds them: nothing allocated for the defaults (most
/// messages), one box otherwise. `Properties` is about 150 bytes in wasm32, most of a queued
/// message's overhead. Reads go through `Deref`; a write (`DerefMut`) allocates the box.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MessageProperties(Option<Box<Properties>>);

const DEFAULT_PROPERTIES: &Properties = &Properties {
    content_type: None,
    content_encoding: None,
    headers: None,
    delivery_mode: None,
    priority: None,
    correlation_id: None,
    reply_to: None,
    expiration: None,
    message_id: None,
    timestamp: None,
    kind: None,
    user_id: None,
    app_id: None,
    cluster_id: None,
};

impl MessageProperties {
    /// Whether every property has its default (nothing set).
    pub fn is_default(&self) -> bool {
        self.0.as_deref().is_none_or(|p| p == DEFAULT_PROPERTIES)
    }
}

impl std::ops::Deref for MessageProperties {
    type Target = Properties;
    fn deref(&self) -> &Properties {
        self.0.as_deref().unwrap_or(DEFAULT_PROPERTIES)
    }
}

impl std::ops::DerefMut for MessageProperties {
    fn deref_mut(&mut self) -> &mut Properties {
        self.0.get_or_insert_with(Default::default)
    }
}

impl From<Properties> for MessageProperties {
    fn from(p: Properties) -> Self {
        MessageProperties((p != *DEFAULT_PROPERTIES).then(|| Box::new(p)))
    }
}

impl PartialEq<Properties> for MessageProperties {
    fn eq(&self, other: &Properties) -> bool {
        **self == *other
    }
}

impl Serialize for MessageProperties {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (**self).serialize(s)
    }
}

impl<'de> Deserialize<'de> for MessageProperties {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Properties::deserialize(d).map(Into::into)
    }
}

/// A published message as it sits in queues: where it was published, its properties and body.
/// Queues share one message through an `Rc`; dead-lettering makes a changed copy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message<B> {
    /// The exchange it was published to (`""` for the default exchange).
    pub exchange: String,
    /// The routing key it was published with.
    pub routing_key: String,
    /// Its properties.
    pub properties: MessageProperties,
    /// Its body.
    pub body: B,
    /// Routing keys from a `BCC` header: removed from the headers at publish (consumers never
    /// see them) but kept for dead-lettering, which routes with all original keys.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bcc: Vec<String>,
}

impl<B: Body> Message<B> {
    /// A message with default properties.
    pub fn new(exchange: impl Into<String>, routing_key: impl Into<String>, body: B) -> Self {
        Message {
            exchange: exchange.into(),
            routing_key: routing_key.into(),
            properties: MessageProperties::default(),
            body,
            bcc: Vec::new(),
        }
    }

    /// The body size in bytes.
    pub fn body_len(&self) -> usize {
        self.body.byte_len()
    }
}

/// Parses an `expiration` property: a non-negative integer in milliseconds, as a string.
pub fn parse_expiration(value: &str) -> Option<u64> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_properties_take_no_box_and_a_write_makes_one() {
        let mut m = Message::new("x", "k", std::rc::Rc::<[u8]>::from(&b"b"[..]));
        assert!(m.properties.0.is_none());
        assert!(m.properties.is_default());
        assert_eq!(m.properties.priority, None);
        m.properties.set_header("h", FieldValue::Int(1));
        assert!(m.properties.0.is_some());
        assert!(!m.properties.is_default());
        assert_eq!(m.properties.header("h"), Some(&FieldValue::Int(1)));
        assert!(MessageProperties::from(Properties::default()).0.is_none());
        let set = Properties { priority: Some(3), ..Properties::default() };
        assert_eq!(MessageProperties::from(set.clone()), set);
    }
}
