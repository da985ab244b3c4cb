//! Wild commands for `no_panic_on_any_sequence`: reserved and odd names, invalid and extreme
//! argument values, random delivery tags and batch ids, huge delays and time jumps. Results are
//! ignored; only a panic or a timer that never settles fails.

use proptest::collection::vec;
use proptest::option::weighted as maybe;
use proptest::prelude::*;
use std::result::Result;
use switchyard::core::*;

/// Names for queues and exchanges alike; the first three are the common ones.
const NAMES: [&str; 12] =
    ["a", "b", "q0", "", "amq.direct", "amq.topic", "amq.fanout", "amq.headers", "amq.x", "amq.gen-1", REPLY_TO, "dlx"];
const KEYS: [&str; 12] =
    ["a", "b", "q0", "", "a.b", "#", "*", "a.#.b", "#.#.#", "*.*", "a..b", "amq.rabbitmq.reply-to.0.1"];
const ARGS: [&str; 13] = [
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
    "alternate-exchange",
    "x-match",
];
const HEADERS: [&str; 5] = ["CC", "BCC", "x-delay", "h", "x-death"];
const EXPIRATIONS: [&str; 7] = ["", "0", "-1", "abc", "10", "18446744073709551615", "99999999999999999999"];

fn value(i: usize) -> FieldValue {
    use FieldValue::*;
    [
        Int(0),
        Int(-1),
        Int(1),
        Int(3),
        Int(1000),
        Int(i64::MAX),
        Int(i64::MIN),
        Float(1.5),
        Float(f64::NAN),
        Float(1e300),
        Str("drop-head".into()),
        Str("reject-publish-dlx".into()),
        Str("bogus".into()),
        Str("a".into()),
        Str("any".into()),
        Bool(true),
        Void,
        Array(vec![Str("q0".into()), Int(1)]),
        Timestamp(u64::MAX),
        Table(FieldTable::new()),
        Bytes(vec![0xff]),
    ][i % 21]
        .clone()
}

#[derive(Debug, Clone)]
pub enum Wild {
    Exchange {
        name: usize,
        kind: usize,
        flags: [bool; 4],
        alt: Option<usize>,
    },
    DeleteExchange {
        name: usize,
        if_unused: bool,
    },
    ExchangeBind {
        dst: usize,
        src: usize,
        key: usize,
        unbind: bool,
    },
    Queue {
        name: usize,
        flags: [bool; 4],
        args: Vec<(usize, usize)>,
    },
    QueueBind {
        q: usize,
        x: usize,
        key: usize,
        args: Vec<(usize, usize)>,
        unbind: bool,
    },
    Publish {
        ch: usize,
        x: usize,
        key: usize,
        headers: Vec<(usize, usize)>,
        exp: Option<usize>,
        prio: Option<u8>,
        flags: [bool; 3],
        size: usize,
    },
    Consume {
        ch: usize,
        q: usize,
        tag: usize,
        flags: [bool; 2],
        prio: Option<i64>,
    },
    Get {
        ch: usize,
        q: usize,
        no_ack: bool,
    },
    Settle {
        ch: usize,
        tag: Result<usize, u64>,
        multiple: bool,
        how: u8,
        delay: u64,
    },
    Channel {
        ch: usize,
        what: u8,
        n: u32,
    },
    Queues {
        ch: usize,
        q: usize,
        what: u8,
        flags: [bool; 2],
    },
    Store {
        ok: bool,
        bogus: Option<u64>,
    },
    /// Moves the clock; with `fire`, runs due timers at once, otherwise they stay overdue (a
    /// throttled timer) while later commands run.
    Advance {
        ms: u64,
        fire: bool,
    },
}

pub fn wild() -> impl Strategy<Value = Wild> {
    let pairs = || prop_oneof![2 => Just(vec![]), 1 => vec((0usize..13, 0usize..21), 1..3)];
    let name = || prop_oneof![3 => 0usize..3, 1 => 0usize..12];
    let exchange = || prop_oneof![2 => Just(3usize), 2 => 4usize..8, 1 => 0usize..12];
    let key = || prop_oneof![3 => 0usize..4, 1 => 0usize..12];
    let rare = || prop::bool::weighted(0.15);
    let half = || prop::bool::weighted(0.5);
    prop_oneof![
        2 => (name(), 0usize..5, [half(), rare(), rare(), rare()], maybe(0.2, 0usize..12))
            .prop_map(|(name, kind, flags, alt)| Wild::Exchange { name, kind, flags, alt }),
        1 => (name(), any::<bool>()).prop_map(|(name, if_unused)| Wild::DeleteExchange { name, if_unused }),
        1 => (name(), exchange(), key(), any::<bool>())
            .prop_map(|(dst, src, key, unbind)| Wild::ExchangeBind { dst, src, key, unbind }),
        4 => (name(), [half(), rare(), rare(), rare()], pairs()).prop_map(|(name, flags, args)| Wild::Queue { name, flags, args }),
        4 => (name(), exchange(), key(), pairs(), rare())
            .prop_map(|(q, x, key, args, unbind)| Wild::QueueBind { q, x, key, args, unbind }),
        10 => (0usize..3, exchange(), key(), vec((0usize..5, 0usize..21), 0..3), maybe(0.3, 0usize..7), any::<Option<u8>>(), [rare(), half(), rare()], 0usize..16)
            .prop_map(|(ch, x, key, headers, exp, prio, flags, size)| Wild::Publish { ch, x, key, headers, exp, prio, flags, size }),
        3 => (0usize..3, name(), 0usize..3, [half(), rare()], any::<Option<i64>>())
            .prop_map(|(ch, q, tag, flags, prio)| Wild::Consume { ch, q, tag, flags, prio }),
        3 => (0usize..3, name(), any::<bool>()).prop_map(|(ch, q, no_ack)| Wild::Get { ch, q, no_ack }),
        6 => (0usize..3, prop_oneof![8 => any::<usize>().prop_map(Ok), 1 => any::<u64>().prop_map(Err)], any::<bool>(), 0u8..5, prop_oneof![0u64..50, Just(u64::MAX)])
            .prop_map(|(ch, tag, multiple, how, delay)| Wild::Settle { ch, tag, multiple, how, delay }),
        3 => (0usize..3, 0u8..6, 0u32..3).prop_map(|(ch, what, n)| Wild::Channel { ch, what, n }),
        2 => (0usize..3, name(), 0u8..3, any::<[bool; 2]>()).prop_map(|(ch, q, what, flags)| Wild::Queues { ch, q, what, flags }),
        2 => (any::<bool>(), maybe(0.2, any::<u64>())).prop_map(|(ok, bogus)| Wild::Store { ok, bogus }),
        3 => (prop_oneof![8 => 0u64..100, 1 => Just(1u64 << 40)], prop::bool::weighted(0.7))
            .prop_map(|(ms, fire)| Wild::Advance { ms, fire }),
    ]
}

/// Runs wild commands, ignoring results: only panics (and hangs) fail.
pub struct Fuzz {
    pub b: Broker<Vec<u8>>,
    pub conns: [ConnectionId; 2],
    pub chans: [ChannelId; 3],
    pub tags: Vec<(ChannelId, u64)>,
    pub store: Snapshot<Vec<u8>>,
    pub now: u64,
}

impl Fuzz {
    pub fn step(&mut self, w: &Wild) {
        let (b, now) = (&mut self.b, self.now);
        let tbl = |pairs: &[(usize, usize)], names: &[&str]| -> FieldTable {
            pairs.iter().map(|(k, v)| (names[k % names.len()].to_string(), value(*v))).collect()
        };
        let kinds = [ExchangeKind::Direct, ExchangeKind::Fanout, ExchangeKind::Topic, ExchangeKind::Headers];
        match w.clone() {
            Wild::Exchange { name, kind, flags: [durable, auto_delete, internal, passive], alt } => {
                let arguments = alt.map(|a| table([("alternate-exchange", NAMES[a].into())])).unwrap_or_default();
                let opts = ExchangeOptions { durable, auto_delete, internal, arguments };
                let _ =
                    b.exchange_declare(self.chans[0], NAMES[name], kinds[kind % 4], opts, passive || kind == 4, now);
            }
            Wild::DeleteExchange { name, if_unused } => {
                drop(b.exchange_delete(self.chans[1], NAMES[name], if_unused, now))
            }
            Wild::ExchangeBind { dst, src, key, unbind: false } => {
                drop(b.exchange_bind(self.chans[0], NAMES[dst], NAMES[src], KEYS[key], FieldTable::new(), now))
            }
            Wild::ExchangeBind { dst, src, key, unbind: true } => {
                drop(b.exchange_unbind(self.chans[0], NAMES[dst], NAMES[src], KEYS[key], FieldTable::new(), now))
            }
            Wild::Queue { name, flags: [durable, exclusive, auto_delete, passive], args } => {
                let opts = QueueOptions { durable, exclusive, auto_delete, arguments: tbl(&args, &ARGS) };
                drop(b.queue_declare(self.chans[name % 3], NAMES[name], opts, passive, now));
            }
            Wild::QueueBind { q, x, key, args, unbind } => {
                let (q, x, k, a) = (NAMES[q], NAMES[x], KEYS[key], tbl(&args, &ARGS));
                drop(if unbind {
                    b.queue_unbind(self.chans[2], q, x, k, a, now)
                } else {
                    b.queue_bind(self.chans[2], q, x, k, a, now)
                });
            }
            Wild::Publish { ch, x, key, headers, exp, prio, flags: [mandatory, persistent, reply], size } => {
                let mut p = Publish::new(NAMES[x], KEYS[key], vec![7; size]);
                p.mandatory = mandatory;
                p.properties.headers = (!headers.is_empty()).then(|| tbl(&headers, &HEADERS));
                p.properties.expiration = exp.map(|e| EXPIRATIONS[e].to_string());
                p.properties.priority = prio;
                p.properties.delivery_mode = Some(if persistent { 2 } else { 1 });
                p.properties.reply_to = reply.then(|| REPLY_TO.to_string());
                let _ = b.basic_publish(self.chans[ch], p, now);
            }
            Wild::Consume { ch, q, tag, flags: [no_ack, exclusive], prio } => {
                let opts = ConsumeOptions {
                    consumer_tag: Some(format!("t{tag}")),
                    no_ack,
                    exclusive,
                    priority: prio,
                    ..Default::default()
                };
                let _ = b.basic_consume(self.chans[ch], NAMES[q], opts, now);
            }
            Wild::Get { ch, q, no_ack } => {
                if let Ok(Some(d)) = b.basic_get(self.chans[ch], NAMES[q], no_ack, now) {
                    self.tags.push((d.channel, d.delivery_tag));
                }
            }
            Wild::Settle { ch, tag, multiple, how, delay } => {
                let (c, t) = match tag {
                    Ok(i) if !self.tags.is_empty() => self.tags[i % self.tags.len()],
                    Ok(_) => (self.chans[ch], 1),
                    Err(t) => (self.chans[ch], t),
                };
                let _ = match how {
                    0 => b.basic_ack(c, t, multiple, now),
                    1 => b.basic_nack(c, t, multiple, false, now),
                    2 => b.basic_nack(c, t, multiple, true, now),
                    3 => b.basic_reject(c, t, multiple, now),
                    _ => b.basic_nack_delayed(c, t, multiple, delay, now),
                };
            }
            Wild::Channel { ch, what, n } => {
                let c = self.chans[ch];
                let _ = match what {
                    0 => b.basic_qos(c, n, n == 2, now),
                    1 => b.confirm_select(c, now),
                    2 => b.basic_recover(c, now),
                    3 => b.basic_cancel(c, &format!("t{n}"), now),
                    4 => b.close_channel(c, now),
                    _ => {
                        b.close_connection(self.conns[ch % 2], now);
                        Ok(())
                    }
                };
            }
            Wild::Queues { ch, q, what, flags: [if_unused, if_empty] } => {
                let _ = match what {
                    0 => b.queue_purge(self.chans[ch], NAMES[q], now),
                    _ => b.queue_delete(self.chans[ch], NAMES[q], if_unused, if_empty, now),
                };
            }
            Wild::Store { ok, bogus } => {
                if let Some(id) = bogus {
                    b.handle_store_committed(id);
                    b.handle_store_failed(id.wrapping_add(1));
                } else if let Some(batch) = b.take_store_batch() {
                    if ok {
                        batch.ops.into_iter().for_each(|op| super::store::apply(&mut self.store, op));
                        b.handle_store_committed(batch.id);
                    } else {
                        b.handle_store_failed(batch.id);
                    }
                }
            }
            Wild::Advance { ms, fire } => {
                self.now += ms;
                if !fire {
                    return;
                }
                for _ in 0..20 {
                    if !b.poll_timeout().is_some_and(|t| t <= self.now) {
                        break;
                    }
                    b.handle_timeout(self.now);
                }
                assert!(!b.poll_timeout().is_some_and(|t| t <= self.now), "poll_timeout stays due");
            }
        }
        for e in self.b.drain_events().collect::<Vec<_>>() {
            if let Event::Deliver(d) = e {
                self.tags.push((d.channel, d.delivery_tag));
            }
        }
        // Errors closed channels (or connections): open new ones; stale tags stay in `tags`.
        for ch in 0..3 {
            if !self.b.connection_is_open(self.conns[ch % 2]) {
                self.conns[ch % 2] = self.b.open_connection();
            }
            if !self.b.channel_is_open(self.chans[ch]) {
                self.chans[ch] = self.b.open_channel(self.conns[ch % 2]).expect("open connection");
            }
        }
        if self.tags.len() > 64 {
            self.tags.drain(..32);
        }
        let _ = (self.b.all_queue_stats(), self.b.bindings(), self.b.exchanges(), self.b.queues());
    }
}

/// A fresh queue on a fresh connection takes a message and gives it back.
pub fn still_works(b: &mut Broker<Vec<u8>>, now: u64) -> Result<(), TestCaseError> {
    let conn = b.open_connection();
    let ch = b.open_channel(conn).unwrap();
    b.queue_declare(ch, "fresh", QueueOptions::default(), false, now).unwrap();
    b.basic_publish(ch, Publish::new("", "fresh", b"ping".to_vec()), now).unwrap();
    let got = b.basic_get(ch, "fresh", true, now).unwrap().map(|d| d.message.body.clone());
    prop_assert_eq!(got, Some(b"ping".to_vec()));
    Ok(())
}
