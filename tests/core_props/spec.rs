//! The fixed vocabulary of the model-based properties: queue and exchange names, binding keys,
//! routing keys, header tables, queue declarations, and independent topic and headers matching.

use switchyard::core::{table, ExchangeKind, FieldTable, FieldValue, QueueOptions};

/// The queues commands use; `DLQ` is bound to the fanout `DLX` and never deleted.
pub const QUEUES: [&str; 5] = ["q0", "q1", "q2", "q3", DLQ];
pub const DLQ: &str = "dlq";
pub const DLX: &str = "dlx";
/// Index 0 is the default exchange, 5 an exchange that does not exist.
pub const EXCHANGES: [&str; 6] = ["", "xd", "xt", "xf", "xh", "nox"];
pub const KINDS: [ExchangeKind; 4] =
    [ExchangeKind::Direct, ExchangeKind::Topic, ExchangeKind::Fanout, ExchangeKind::Headers];
pub const BIND_KEYS: [&str; 8] = ["k0", "k1", "a.b", "a.*", "#", "a.#", "*.b.*", "#.c"];
pub const ROUTING_KEYS: [&str; 12] = ["k0", "k1", "a.b", "a.b.c", "a", "c", "b.b.c", "", "q0", "q1", "q2", "q3"];

/// Headers-exchange binding arguments; index 5 has an invalid `x-match` (406 on bind).
pub fn binding_args(i: usize) -> FieldTable {
    match i {
        0 => FieldTable::new(),
        1 => table([("x-match", "any".into()), ("h", 1.into()), ("g", 2.into())]),
        2 => table([("h", 1.into())]),
        3 => table([("h", FieldValue::Void)]),
        4 => table([("x-match", "all".into()), ("h", 1.into()), ("g", 2.into())]),
        _ => table([("x-match", "bogus".into())]),
    }
}

/// Message headers a publish may carry.
pub fn message_headers(i: usize) -> Option<FieldTable> {
    match i {
        0 => None,
        1 => Some(table([("h", 1.into())])),
        2 => Some(table([("h", 1.into()), ("g", 2.into())])),
        3 => Some(table([("g", 2.into())])),
        _ => Some(table([("h", "1".into())])),
    }
}

/// Topic matching written independently of the core's trie: `*` is one word, `#` zero or more.
pub fn topic_match(pattern: &str, key: &str) -> bool {
    fn go(p: &[&str], k: &[&str]) -> bool {
        match p.split_first() {
            None => k.is_empty(),
            Some((&"#", rest)) => (0..=k.len()).any(|i| go(rest, &k[i..])),
            Some((w, rest)) => !k.is_empty() && (*w == "*" || *w == k[0]) && go(rest, &k[1..]),
        }
    }
    fn words(s: &str) -> Vec<&str> {
        if s.is_empty() {
            vec![]
        } else {
            s.split('.').collect()
        }
    }
    go(&words(pattern), &words(key))
}

/// Headers matching for the tables above: `x-match` all (default) or any; `x-` names ignored.
pub fn headers_match(args: &FieldTable, headers: Option<&FieldTable>) -> bool {
    let any = args.get("x-match") == Some(&FieldValue::Str("any".into()));
    let mut wanted = args.iter().filter(|(k, _)| !k.starts_with("x-"));
    let hit = |(k, v): (&String, &FieldValue)| {
        headers.and_then(|h| h.get(k)).is_some_and(|h| *v == FieldValue::Void || v == h)
    };
    if any {
        wanted.any(hit)
    } else {
        wanted.all(hit)
    }
}

/// A queue declaration. `overflow`: 0 absent, 1 drop-head, 2 reject-publish,
/// 3 reject-publish-dlx; `dlx`: 0 none, 1 [`DLX`], 2 an exchange that does not exist;
/// `expires` is `x-expires`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct QSpec {
    pub durable: bool,
    pub ttl: Option<u64>,
    pub max_len: Option<u64>,
    pub overflow: u8,
    pub dlx: u8,
    pub max_prio: Option<u8>,
    pub limit: Option<u64>,
    pub sac: bool,
    pub expires: Option<u64>,
}

impl QSpec {
    pub fn options(&self) -> QueueOptions {
        let mut a = FieldTable::new();
        let mut put = |k: &str, v: FieldValue| a.insert(k.to_string(), v);
        self.ttl.map(|t| put("x-message-ttl", FieldValue::Int(t as i64)));
        self.max_len.map(|m| put("x-max-length", FieldValue::Int(m as i64)));
        if self.overflow > 0 {
            put("x-overflow", ["drop-head", "reject-publish", "reject-publish-dlx"][self.overflow as usize - 1].into());
        }
        if self.dlx > 0 {
            put("x-dead-letter-exchange", [DLX, "nodlx"][self.dlx as usize - 1].into());
        }
        self.max_prio.map(|p| put("x-max-priority", FieldValue::Int(p.into())));
        self.limit.map(|l| put("x-delivery-limit", FieldValue::Int(l as i64)));
        if self.sac {
            put("x-single-active-consumer", true.into());
        }
        self.expires.map(|e| put("x-expires", FieldValue::Int(e as i64)));
        QueueOptions { durable: self.durable, arguments: a, ..QueueOptions::default() }
    }
}
