//! Exchanges and their binding indexes.
//!
//! Each exchange keeps its bindings twice: once as the set of `(destination, key, arguments)`
//! triples (identity, listing, persistence) and once in an index shaped for its type — a hash
//! map for direct, a list for fanout, a [`TopicTrie`] for topic, argument tables for headers —
//! so routing one message never scans unrelated bindings.

use super::error::{AmqpError, Result};
use super::headers::{headers_match, MatchMode};
use super::topic::TopicTrie;
use super::value::FieldTable;
use serde::{Deserialize, Serialize};
use super::collections::FastMap;
use std::rc::Rc;

/// The exchange types RabbitMQ ships.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ExchangeKind {
    /// Routes to bindings whose key equals the routing key.
    Direct,
    /// Routes to every binding.
    Fanout,
    /// Routes by pattern: `*` one word, `#` zero or more.
    Topic,
    /// Routes by message headers, see [`super::headers`].
    Headers,
}

impl ExchangeKind {
    /// Parses `direct`, `fanout`, `topic` or `headers`.
    pub fn parse(s: &str) -> Option<ExchangeKind> {
        Some(match s {
            "direct" => ExchangeKind::Direct,
            "fanout" => ExchangeKind::Fanout,
            "topic" => ExchangeKind::Topic,
            "headers" | "match" => ExchangeKind::Headers,
            _ => return None,
        })
    }

    /// The type's name as AMQP spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            ExchangeKind::Direct => "direct",
            ExchangeKind::Fanout => "fanout",
            ExchangeKind::Topic => "topic",
            ExchangeKind::Headers => "headers",
        }
    }
}

/// Options of `exchange.declare` (amqplib's `assertExchange` options).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExchangeOptions {
    /// Survives a broker restart (default true, as in amqplib).
    pub durable: bool,
    /// Deleted when its last binding (as a source) is removed.
    pub auto_delete: bool,
    /// Cannot be published to directly, only through exchange-to-exchange bindings.
    pub internal: bool,
    /// Arguments; `alternate-exchange` names the exchange for unroutable messages.
    pub arguments: FieldTable,
}

impl Default for ExchangeOptions {
    fn default() -> Self {
        ExchangeOptions { durable: true, auto_delete: false, internal: false, arguments: FieldTable::new() }
    }
}

impl ExchangeOptions {
    /// The alternate exchange, if the arguments name one.
    pub fn alternate_exchange(&self) -> Option<&str> {
        self.arguments.get("alternate-exchange").and_then(|v| v.as_str())
    }
}

/// Where a binding leads.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Destination {
    /// A queue, by name.
    Queue(Rc<str>),
    /// An exchange, by name (exchange-to-exchange binding).
    Exchange(Rc<str>),
}

impl Destination {
    /// The destination's name.
    pub fn name(&self) -> &str {
        match self {
            Destination::Queue(n) | Destination::Exchange(n) => n,
        }
    }
}

/// A binding as it is listed and persisted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Binding {
    /// The source exchange.
    pub source: String,
    /// The destination queue or exchange.
    pub destination: Destination,
    /// The binding key.
    pub key: String,
    /// The binding arguments (header matches for a headers exchange).
    pub arguments: FieldTable,
}

#[derive(Debug)]
enum Index {
    Direct(FastMap<Rc<str>, Vec<Destination>>),
    Fanout(Vec<Destination>),
    Topic(TopicTrie<Destination>),
    Headers(Vec<(FieldTable, Destination)>),
}

/// An exchange: its declaration and bindings.
#[derive(Debug)]
pub struct Exchange {
    /// Its name.
    pub name: Rc<str>,
    /// Its type.
    pub kind: ExchangeKind,
    /// Its options.
    pub options: ExchangeOptions,
    /// Bindings by (destination, key) → argument tables.
    bindings: FastMap<(Destination, Rc<str>), Vec<FieldTable>>,
    index: Index,
}

impl Exchange {
    /// A new exchange with no bindings.
    pub fn new(name: &str, kind: ExchangeKind, options: ExchangeOptions) -> Self {
        let index = match kind {
            ExchangeKind::Direct => Index::Direct(FastMap::default()),
            ExchangeKind::Fanout => Index::Fanout(Vec::new()),
            ExchangeKind::Topic => Index::Topic(TopicTrie::new()),
            ExchangeKind::Headers => Index::Headers(Vec::new()),
        };
        Exchange { name: name.into(), kind, options, bindings: FastMap::default(), index }
    }

    /// The number of bindings with this exchange as source.
    pub fn binding_count(&self) -> usize {
        self.bindings.values().map(Vec::len).sum()
    }

    /// Every binding with this exchange as source, in no particular order.
    pub fn bindings(&self) -> impl Iterator<Item = Binding> + '_ {
        self.bindings.iter().flat_map(move |((dest, key), args)| {
            args.iter().map(move |a| Binding {
                source: self.name.to_string(),
                destination: dest.clone(),
                key: key.to_string(),
                arguments: a.clone(),
            })
        })
    }

    /// Adds a binding; returns false if it existed. Headers arguments are validated first.
    pub fn bind(&mut self, dest: Destination, key: &str, args: FieldTable) -> Result<bool> {
        if self.kind == ExchangeKind::Headers {
            MatchMode::from_args(&args)?;
        }
        let key: Rc<str> = key.into();
        let entry = self.bindings.entry((dest.clone(), key.clone())).or_default();
        if entry.contains(&args) {
            return Ok(false);
        }
        let first_for_pair = entry.is_empty();
        entry.push(args.clone());
        match &mut self.index {
            Index::Direct(map) if first_for_pair => map.entry(key).or_default().push(dest),
            Index::Fanout(list) if first_for_pair && !list.contains(&dest) => list.push(dest),
            Index::Topic(trie) if first_for_pair => {
                trie.insert(&key, dest);
            }
            Index::Headers(list) => list.push((args, dest)),
            _ => {}
        }
        Ok(true)
    }

    /// Removes a binding; returns false if there was none.
    pub fn unbind(&mut self, dest: &Destination, key: &str, args: &FieldTable) -> bool {
        let pair = (dest.clone(), Rc::<str>::from(key));
        let Some(entry) = self.bindings.get_mut(&pair) else { return false };
        let Some(pos) = entry.iter().position(|a| a == args) else { return false };
        entry.remove(pos);
        let last_for_pair = entry.is_empty();
        if last_for_pair {
            self.bindings.remove(&pair);
        }
        match &mut self.index {
            Index::Direct(map) if last_for_pair => {
                if let Some(v) = map.get_mut(key) {
                    v.retain(|d| d != dest);
                    if v.is_empty() {
                        map.remove(key);
                    }
                }
            }
            Index::Fanout(list) if last_for_pair => {
                if !self.bindings.keys().any(|(d, _)| d == dest) {
                    list.retain(|d| d != dest);
                }
            }
            Index::Topic(trie) if last_for_pair => {
                trie.remove(key, dest);
            }
            Index::Headers(list) => {
                if let Some(p) = list.iter().position(|(a, d)| d == dest && a == args) {
                    list.remove(p);
                }
            }
            _ => {}
        }
        true
    }

    /// Calls `found` with each destination the message matches (possibly more than once).
    pub fn route(&self, routing_key: &str, headers: Option<&FieldTable>, found: &mut impl FnMut(&Destination)) {
        match &self.index {
            Index::Direct(map) => {
                if let Some(dests) = map.get(routing_key) {
                    dests.iter().for_each(|d| found(d));
                }
            }
            Index::Fanout(list) => list.iter().for_each(|d| found(d)),
            Index::Topic(trie) => trie.matches(routing_key, found),
            Index::Headers(list) => {
                for (args, dest) in list {
                    if headers_match(args, headers) {
                        found(dest);
                    }
                }
            }
        }
    }

    /// Checks a redeclaration against this exchange (406 if inequivalent).
    pub fn check_equivalent(&self, kind: ExchangeKind, options: &ExchangeOptions) -> Result<()> {
        let name = &self.name;
        let diff = |field: &str, got: &dyn std::fmt::Display, current: &dyn std::fmt::Display| {
            Err(AmqpError::precondition(format_args!(
                "inequivalent arg '{field}' for exchange '{name}' in vhost '/': received '{got}' but current is '{current}'"
            )))
        };
        let ae = |o: &ExchangeOptions| o.alternate_exchange().unwrap_or("none").to_string();
        if kind != self.kind {
            return diff("type", &kind.as_str(), &self.kind.as_str());
        }
        if options.durable != self.options.durable {
            return diff("durable", &options.durable, &self.options.durable);
        }
        if options.auto_delete != self.options.auto_delete {
            return diff("auto_delete", &options.auto_delete, &self.options.auto_delete);
        }
        if options.internal != self.options.internal {
            return diff("internal", &options.internal, &self.options.internal);
        }
        if options.alternate_exchange() != self.options.alternate_exchange() {
            return diff("alternate-exchange", &ae(options), &ae(&self.options));
        }
        Ok(())
    }
}
