//! Publish → route → deliver throughput of the broker core, printed as Markdown tables.
//!
//! ```text
//! cargo run --release --example bench_routing             # full run
//! cargo run --release --example bench_routing -- --smoke  # ~1 s, for CI
//! cargo run --profile bench-native --example bench_routing  # opt-level 3 instead of "z"
//! ```
//!
//! Each scenario publishes messages one at a time and, after each publish, takes the events
//! the broker queued (deliveries to consumers) and acknowledges them when the consumer uses
//! manual acks — the whole path a driver runs. A scenario is set up once, warmed up, then timed
//! five times with `std::time::Instant`; the tables give the median and the min–max range.
//! Bodies are `Rc<[u8]>`, so routing one message to many queues copies no bytes. This program
//! prints and never asserts: a timing never fails CI.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::rc::Rc;
use std::time::Instant;
use switchyard::core::*;

type Body = Rc<[u8]>;

const RUNS: usize = 5;

/// A set-up broker and the messages a scenario publishes, round-robin.
struct Scenario {
    name: String,
    bindings: usize,
    broker: Broker<Body>,
    ch: ChannelId,
    messages: Vec<(String, String, Option<FieldTable>)>,
    manual_ack: bool,
}

/// The result of timing one scenario: per-run messages/s and deliveries/s.
struct Timing {
    msgs: Vec<f64>,
    deliveries: Vec<f64>,
    per_msg: f64,
}

fn open() -> (Broker<Body>, ChannelId) {
    let mut b = Broker::new(BrokerConfig::default());
    let conn = b.open_connection();
    let ch = b.open_channel(conn).expect("open connection");
    (b, ch)
}

/// Declares queues `q0..q{n}` with one consumer each.
fn queues(b: &mut Broker<Body>, ch: ChannelId, n: usize, no_ack: bool) {
    for i in 0..n {
        let q = format!("q{i}");
        b.queue_declare(ch, &q, QueueOptions { durable: false, ..QueueOptions::default() }, false, 0).unwrap();
        b.basic_consume(ch, &q, ConsumeOptions { no_ack, ..ConsumeOptions::default() }, 0).unwrap();
    }
}

fn direct(no_ack: bool, queue_count: usize) -> Scenario {
    let (mut b, ch) = open();
    if !no_ack {
        b.basic_qos(ch, 100, false, 0).unwrap();
    }
    queues(&mut b, ch, queue_count, no_ack);
    for i in 0..queue_count {
        b.queue_bind(ch, &format!("q{i}"), "amq.direct", &format!("key.{i}"), FieldTable::new(), 0).unwrap();
    }
    let messages = (0..queue_count).map(|i| ("amq.direct".into(), format!("key.{i}"), None)).collect();
    let name = match (queue_count, no_ack) {
        (1, true) => "direct, 1 queue, no-ack consumer".to_string(),
        (1, false) => "direct, 1 queue, manual acks (prefetch 100)".to_string(),
        (n, _) => format!("direct, {n} queues"),
    };
    Scenario { name, bindings: queue_count, broker: b, ch, messages, manual_ack: !no_ack }
}

fn fanout(queue_count: usize) -> Scenario {
    let (mut b, ch) = open();
    queues(&mut b, ch, queue_count, true);
    for i in 0..queue_count {
        b.queue_bind(ch, &format!("q{i}"), "amq.fanout", "", FieldTable::new(), 0).unwrap();
    }
    let messages = vec![("amq.fanout".into(), String::new(), None)];
    Scenario {
        name: format!("fanout to {queue_count} queues"),
        bindings: queue_count,
        broker: b,
        ch,
        messages,
        manual_ack: false,
    }
}

/// Topic binding `i` of `n`: `region.<r>.orders.*` for even `i`, `region.<r>.#` for odd `i`
/// (`r = i / 2`), so every region has an exact-shape and a wildcard binding.
fn topic_binding(i: usize) -> String {
    if i % 2 == 0 {
        format!("region.{}.orders.*", i / 2)
    } else {
        format!("region.{}.#", i / 2)
    }
}

/// A routing key for region `r` with `words` words (3 or 8).
fn topic_key(r: usize, words: usize) -> String {
    let tail = ["orders", "eu", "web", "v2", "created", "priority"];
    let mut k = format!("region.{r}");
    for w in tail.iter().take(words - 2) {
        k.push('.');
        k.push_str(w);
    }
    k
}

/// Regions spread over the whole binding range, in an order that defeats caches.
fn regions(bindings: usize, count: usize) -> impl Iterator<Item = usize> {
    let regions = bindings.div_ceil(2);
    (0..count).map(move |i| (i.wrapping_mul(2_654_435_761) >> 3) % regions)
}

/// A topic exchange with `bindings` bindings spread over 10 queues; `keys` sets the messages.
fn topic(bindings: usize) -> Scenario {
    let (mut b, ch) = open();
    queues(&mut b, ch, 10, true);
    for i in 0..bindings {
        b.queue_bind(ch, &format!("q{}", i % 10), "amq.topic", &topic_binding(i), FieldTable::new(), 0).unwrap();
    }
    Scenario { name: String::new(), bindings, broker: b, ch, messages: vec![], manual_ack: false }
}

impl Scenario {
    /// Publishes `words`-word topic keys over every region.
    fn keys(&mut self, words: usize) -> &mut Self {
        self.messages = regions(self.bindings, 4096).map(|r| ("amq.topic".into(), topic_key(r, words), None)).collect();
        self.name = format!("topic, {} bindings, {words}-word keys", self.bindings);
        self
    }
}

fn headers(bindings: usize) -> Scenario {
    let (mut b, ch) = open();
    queues(&mut b, ch, bindings, true);
    for i in 0..bindings {
        let args = table([("x-match", "all".into()), ("region", format!("r{i}").into()), ("kind", "order".into())]);
        b.queue_bind(ch, &format!("q{i}"), "amq.headers", "", args, 0).unwrap();
    }
    let messages = (0..bindings)
        .map(|i| {
            (
                "amq.headers".into(),
                String::new(),
                Some(table([("region", format!("r{i}").into()), ("kind", "order".into())])),
            )
        })
        .collect();
    Scenario { name: format!("headers, {bindings} bindings"), bindings, broker: b, ch, messages, manual_ack: false }
}

/// Publishes `n` messages, taking (and acknowledging) deliveries after each; returns deliveries.
fn pump(s: &mut Scenario, n: usize, body: &Body) -> u64 {
    let mut delivered = 0u64;
    let mut acks = Vec::new();
    for i in 0..n {
        let (x, key, headers) = &s.messages[i % s.messages.len()];
        let mut p = Publish::new(x, key, body.clone());
        p.properties.headers = headers.clone();
        s.broker.basic_publish(s.ch, p, 0).expect("publish");
        for e in s.broker.drain_events() {
            if let Event::Deliver(d) = e {
                delivered += 1;
                acks.push(d.delivery_tag);
                black_box(&d.message.body);
            }
        }
        if s.manual_ack {
            for tag in acks.drain(..) {
                s.broker.basic_ack(s.ch, tag, false, 0).expect("ack");
            }
        }
        acks.clear();
    }
    delivered
}

fn time(s: &mut Scenario, n: usize) -> Timing {
    let body: Body = Rc::from(vec![7u8; 64]);
    pump(s, n / 10 + 1, &body); // warm-up
    let (mut msgs, mut deliveries) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        let start = Instant::now();
        let d = pump(s, n, &body);
        let secs = start.elapsed().as_secs_f64().max(1e-9);
        msgs.push(n as f64 / secs);
        deliveries.push(d as f64 / secs);
    }
    let per_msg = 1e9 / median(&msgs);
    Timing { msgs, deliveries, per_msg }
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// `1.23M`, `456k`, `789`.
fn si(x: f64) -> String {
    match x {
        x if x >= 1e6 => format!("{:.2}M", x / 1e6),
        x if x >= 1e3 => format!("{:.0}k", x / 1e3),
        x => format!("{x:.0}"),
    }
}

fn cell(v: &[f64]) -> String {
    let (lo, hi) = v.iter().fold((f64::MAX, 0f64), |(lo, hi), x| (lo.min(*x), hi.max(*x)));
    format!("{} ({}–{})", si(median(v)), si(lo), si(hi))
}

/// Nanoseconds per match of the core's topic trie alone, for keys of `words` words: `hot`
/// repeats one key (the path stays in cache), otherwise keys spread over every region.
fn trie_ns(trie: &TopicTrie<u32>, bindings: usize, words: usize, hot: bool, n: usize) -> f64 {
    let count = if hot { 1 } else { 4096 };
    let keys: Vec<String> = regions(bindings, count).map(|r| topic_key(r, words)).collect();
    let mut samples = Vec::new();
    for _ in 0..RUNS {
        let mut found = 0u64;
        let start = Instant::now();
        for i in 0..n {
            trie.matches(&keys[i % keys.len()], &mut |d| found += u64::from(*d) + 1);
        }
        samples.push(start.elapsed().as_secs_f64() * 1e9 / n as f64);
        black_box(found);
    }
    median(&samples)
}

fn row(s: &Scenario, t: &Timing) {
    let per = median(&t.deliveries) / median(&t.msgs);
    println!(
        "| {} | {} | {per:.1} | {} | {} | {:.0} |",
        s.name,
        s.bindings,
        cell(&t.msgs),
        cell(&t.deliveries),
        t.per_msg
    );
}

fn main() {
    let smoke = std::env::args().any(|a| a == "--smoke");
    // Messages per timed run; smoke mode keeps the whole program around a second.
    let n = if smoke { 2_000 } else { 200_000 };
    let started = Instant::now();
    let profile = if cfg!(debug_assertions) { "debug (numbers are not meaningful)" } else { "optimized" };
    println!("# switchyard core: publish → route → deliver\n");
    println!("{profile} build, {n} messages per run (fanout: {}), median of {RUNS} runs (min–max), 64-byte `Rc<[u8]>` bodies.", n / 4);
    println!("(`--release` is the wasm-size profile, opt-level \"z\"; `--profile bench-native` is opt-level 3.)\n");
    println!("| scenario | bindings | deliveries/msg | messages/s | deliveries/s | ns/message |");
    println!("|---|---:|---:|---:|---:|---:|");
    let mut publish_ns = BTreeMap::new();
    for (mut s, count) in [(direct(true, 10), n), (fanout(10), n / 4)] {
        let t = time(&mut s, count);
        row(&s, &t);
    }
    let sizes: &[usize] = if smoke { &[10, 1_000, 100_000] } else { &[10, 100, 1_000, 10_000, 100_000] };
    for &b in sizes {
        let mut s = topic(b);
        for words in [3, 8] {
            let t = time(s.keys(words), n);
            publish_ns.insert((b, words), t.per_msg);
            if [10, 1_000, 100_000].contains(&b) {
                row(&s, &t);
            }
        }
    }
    for mut s in [headers(10), direct(true, 1), direct(false, 1)] {
        let t = time(&mut s, n);
        row(&s, &t);
    }
    println!("\n## Topic routing cost as bindings grow\n");
    println!("Per message: the core's topic trie alone (`TopicTrie::matches`) with one hot key and with keys");
    println!("spread over all regions, and the whole publish → deliver path with spread keys. Half the");
    println!("bindings are `region.<r>.orders.*`, half `region.<r>.#`; each key matches exactly one.\n");
    println!("| bindings | trie 3 words, hot | trie 3 words, spread | trie 8 words, hot | trie 8 words, spread | publish 3 words | publish 8 words |");
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    let trie_n = if smoke { 20_000 } else { 200_000 };
    for &b in sizes {
        let mut trie: TopicTrie<u32> = TopicTrie::new();
        for i in 0..b {
            trie.insert(&topic_binding(i), (i % 10) as u32);
        }
        let mut line = format!("| {b} |");
        for words in [3, 8] {
            for hot in [true, false] {
                line += &format!(" {:.0} ns |", trie_ns(&trie, b, words, hot, trie_n));
            }
        }
        for words in [3, 8] {
            line += &format!(" {:.0} ns |", publish_ns[&(b, words)]);
        }
        println!("{line}");
    }
    println!("\nTotal time: {:.1} s", started.elapsed().as_secs_f64());
}
