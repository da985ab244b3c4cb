#![cfg(not(target_arch = "wasm32"))]
//! Property tests of the broker core: random command sequences against `Broker<Vec<u8>>` with a
//! fake clock that only moves forward by generated steps (timers run whenever `poll_timeout`
//! says something is due). The harnesses live in `tests/core_props/`.
//!
//! - `no_panic_on_any_sequence`: fuzz-style; wild names, arguments, tags and times. Bad input
//!   is an `Err`, never a panic, and the broker keeps working (also after a restore).
//! - `conservation_fifo_and_redelivery`: a model (`model.rs`, driven by `world.rs`) tracks
//!   every copy of every message; the broker's per-queue counts must match it after every
//!   step, and every delivery must be the head of its queue, within prefetch, flagged
//!   `redelivered` exactly when delivered before.
//! - `fifo_per_priority_level`: the plain ordering rule, on its own.
//! - `confirms_exactly_once`: one confirm per publish on an open confirm channel, with the
//!   store committing (or failing) batches at random points.
//! - `restore_round_trip`: a broker restored from what its store batches wrote holds the
//!   persistent messages of its durable queues, in order, flagged `redelivered` if delivered;
//!   `restore_equals_closing_the_connection`: with TTLs in play, a restore equals a crash.
//! - `late_timer_matches_timely_timers`: one late `handle_timeout` equals timely ones.
//! - `regression_*`: minimal reproductions of core bugs the properties found (fixed since);
//!   `core_props.proptest-regressions` keeps the properties' shrunk failing cases, replayed
//!   first on every run.
//!
//! A failing case prints the command sequence; `PROPTEST_CASES` overrides the case counts.

/// `return Err(format!(..))` unless the condition holds.
macro_rules! ensure {
    ($cond:expr, $($fmt:tt)*) => {
        if !$cond {
            return Err(format!($($fmt)*));
        }
    };
}

#[path = "core_props/confirms.rs"]
mod confirms;
#[path = "core_props/fuzz.rs"]
mod fuzz;
#[path = "core_props/late.rs"]
mod late;
#[path = "core_props/model.rs"]
mod model;
#[path = "core_props/restore.rs"]
mod restore;
#[path = "core_props/spec.rs"]
mod spec;
#[path = "core_props/store.rs"]
mod store;
#[path = "core_props/world.rs"]
mod world;

use confirms::{cop, Confirms};
use fuzz::{still_works, wild, Fuzz};
use model::Msg;
use proptest::collection::vec;
use proptest::option::weighted as maybe;
use proptest::prelude::*;
use spec::QSpec;
use std::result::Result;
use switchyard::core::*;
use world::{Cmd, SettleHow, Target, World, SLOTS};

fn cases(n: u32) -> ProptestConfig {
    let n = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(n);
    // Deterministic by default (the same cases on every run, as CI needs); PROPTEST_SEED=N picks
    // another fixed seed, PROPTEST_SEED=random explores.
    let rng_seed = match std::env::var("PROPTEST_SEED").ok().as_deref() {
        Some("random") => proptest::test_runner::RngSeed::Random,
        Some(s) => s.parse().map_or(proptest::test_runner::RngSeed::Fixed(0x5917_c4ad), proptest::test_runner::RngSeed::Fixed),
        None => proptest::test_runner::RngSeed::Fixed(0x5917_c4ad),
    };
    ProptestConfig { cases: n, max_shrink_iters: 4096, rng_seed, ..ProptestConfig::default() }
}

// ----- model-based commands -------------------------------------------------------------------

/// Which features a run uses: `ttl` allows TTLs and `x-expires`; `all_persistent` makes every
/// message persistent and every queue durable, and leaves out `x-delivery-limit` (see
/// `restore_equals_closing_the_connection`).
#[derive(Debug, Clone, Copy)]
struct Profile {
    ttl: bool,
    all_persistent: bool,
}

const MODEL: Profile = Profile { ttl: true, all_persistent: false };

fn qspec(p: Profile) -> impl Strategy<Value = QSpec> {
    let dlx = prop_oneof![1 => Just(0u8), 2 => Just(1u8), 1 => Just(2u8)];
    let lims = (maybe(0.35, 0u64..4), 0u8..4, maybe(0.3, 1u8..4), maybe(0.25, 0u64..3), maybe(0.15, 5u64..60));
    (any::<bool>(), maybe(0.3, 0u64..40), lims, dlx, prop::bool::weighted(0.2)).prop_map(
        move |(durable, ttl, (max_len, overflow, max_prio, limit, expires), dlx, sac)| QSpec {
            durable: durable || p.all_persistent,
            ttl: ttl.filter(|_| p.ttl),
            max_len,
            overflow,
            dlx,
            max_prio,
            limit: limit.filter(|_| !p.all_persistent),
            sac,
            expires: expires.filter(|_| p.ttl),
        },
    )
}

fn publish(p: Profile) -> impl Strategy<Value = Cmd> {
    let ex = prop_oneof![4 => Just(0usize), 8 => 1usize..5, 1 => Just(5usize)];
    let props = (0u8..6, maybe(0.3, 0u64..30), any::<bool>(), prop::bool::weighted(0.3));
    let delay = maybe(0.1, 1u64..30);
    (0..SLOTS, ex, prop_oneof![0usize..12, 8usize..12], 0usize..5, props, delay, prop::bool::weighted(0.02)).prop_map(
        move |(slot, ex, key, hdr, (prio, ttl, persistent, mandatory), delay, bad_expiration)| Cmd::Publish {
            slot,
            msg: Msg {
                n: 0,
                ex,
                key,
                hdr,
                prio,
                ttl: ttl.filter(|_| p.ttl),
                persistent: persistent || p.all_persistent,
                mandatory,
            },
            delay,
            bad_expiration,
        },
    )
}

fn settle() -> impl Strategy<Value = Cmd> {
    let target = prop_oneof![
        5 => any::<usize>().prop_map(Target::One),
        2 => any::<usize>().prop_map(Target::UpTo),
        1 => Just(Target::All),
        1 => Just(Target::Unknown),
    ];
    let how = prop_oneof![
        5 => Just(SettleHow::Ack),
        2 => any::<bool>().prop_map(SettleHow::Nack),
        2 => any::<bool>().prop_map(SettleHow::Reject),
        1 => (0u64..20).prop_map(SettleHow::Delay),
    ];
    (0..SLOTS, target, how).prop_map(|(slot, target, how)| Cmd::Settle { slot, target, how })
}

fn cmd(p: Profile) -> impl Strategy<Value = Cmd> {
    let q = || prop_oneof![9 => 0usize..8, 1 => 8usize..13];
    let bind_ex = prop_oneof![20 => 1usize..5, 1 => Just(5usize)];
    let consume = (0..SLOTS, q(), 0usize..5, prop::bool::weighted(0.3), prop::bool::weighted(0.05), 0i64..3);
    prop_oneof![
        3 => (0usize..4, qspec(p), prop::bool::weighted(0.6)).prop_map(|(q, spec, keep)| Cmd::Declare { q, spec, keep }),
        1 => (0usize..4, 0usize..7).prop_map(|(q, bad)| Cmd::DeclareBad { q, bad }),
        1 => q().prop_map(|q| Cmd::Check { q }),
        5 => (bind_ex, q(), 0usize..8, 0usize..6, prop::bool::weighted(0.15))
            .prop_map(|(ex, q, key, args, unbind)| Cmd::Bind { ex, q, key, args, unbind }),
        14 => publish(p),
        4 => consume.prop_map(|(slot, q, tag, no_ack, exclusive, prio)| Cmd::Consume { slot, q, tag, no_ack, exclusive, prio }),
        2 => (0..SLOTS, 0u32..4, prop::bool::weighted(0.3)).prop_map(|(slot, n, global)| Cmd::Qos { slot, n, global }),
        3 => (0..SLOTS, q(), any::<bool>()).prop_map(|(slot, q, no_ack)| Cmd::Get { slot, q, no_ack }),
        8 => settle(),
        1 => (0..SLOTS).prop_map(|slot| Cmd::Recover { slot }),
        2 => (0..SLOTS, prop_oneof![4 => 0usize..8, 1 => 8usize..14]).prop_map(|(slot, tag)| Cmd::Cancel { slot, tag }),
        1 => (0..SLOTS).prop_map(|slot| Cmd::CloseChannel { slot }),
        1 => (0usize..2).prop_map(|conn| Cmd::CloseConnection { conn }),
        2 => (0..SLOTS).prop_map(|slot| Cmd::Reopen { slot }),
        1 => (0..SLOTS, q()).prop_map(|(slot, q)| Cmd::Purge { slot, q }),
        1 => (0..SLOTS, q(), any::<bool>(), any::<bool>())
            .prop_map(|(slot, q, if_unused, if_empty)| Cmd::Delete { slot, q, if_unused, if_empty }),
        5 => prop_oneof![1 => Just(0u64), 4 => 1u64..20].prop_map(|ms| Cmd::Advance { ms }),
        2 => Just(Cmd::Commit),
    ]
}

/// A run: the four queues (most of them) declared and some bindings made, then random commands.
fn script(p: Profile) -> impl Strategy<Value = Vec<Cmd>> {
    let declares = (prop::sample::subsequence(vec![0usize, 1, 2, 3], 2..=4), [qspec(p), qspec(p), qspec(p), qspec(p)])
        .prop_map(|(qs, specs)| {
            qs.into_iter().map(|q| Cmd::Declare { q, spec: specs[q].clone(), keep: false }).collect::<Vec<_>>()
        });
    let binds = vec((1usize..5, 0usize..8, 0usize..8, 0usize..5), 2..10).prop_map(|v| {
        v.into_iter().map(|(ex, q, key, args)| Cmd::Bind { ex, q, key, args, unbind: false }).collect::<Vec<_>>()
    });
    (declares, binds, vec(cmd(p), 1..160)).prop_map(|(mut a, b, c)| {
        a.extend(b);
        a.extend(c);
        a
    })
}

fn run(w: &mut World, cmds: &[Cmd]) -> Result<(), TestCaseError> {
    for (i, c) in cmds.iter().enumerate() {
        w.step(c).map_err(|e| TestCaseError::fail(format!("step {i} {c:?}: {e}")))?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(cases(160))]

    /// Conservation, FIFO and redelivery, checked against the model after every step.
    ///
    /// Every copy of a published message (one per queue its publish reached) is at every point
    /// in exactly one place: ready in a queue, unacknowledged on a channel, parked by a
    /// nack-with-delay, dead-lettered into the dead-letter queue, dropped for a documented
    /// reason (expired without DLX, overflow, rejected without DLX, queue purged or deleted,
    /// dead-letter exchange missing), or acknowledged. Unroutable publishes make no copy. The
    /// broker's ready / unacked / parked / consumer counts per queue must equal the model's.
    /// Each delivery must be the head of its queue (highest priority level, oldest first, a
    /// requeued message back at its original position; expired heads skipped), go to a
    /// consumer with prefetch room (the active one with single active consumer, a
    /// highest-priority one otherwise), and carry `redelivered = true` exactly when that copy
    /// was delivered before. No queue may hold ready messages while a consumer has room.
    /// At the end everything is closed, all time passes, and every queue is emptied by
    /// `basic.get` in the model's order.
    #[test]
    fn conservation_fifo_and_redelivery(persistence in any::<bool>(), cmds in script(MODEL)) {
        let mut w = World::new(persistence);
        run(&mut w, &cmds)?;
        w.finish().map_err(TestCaseError::fail)?;
    }

    /// Restore round-trip. With persistence on, every store batch is applied to an in-test
    /// store (a `Snapshot` built from the `StoreOp`s) and committed as the broker emits it;
    /// `Broker::restore` from it must give back the durable queues, the bindings between
    /// durable ends, the persistent `x-delay` messages, and per durable queue exactly the
    /// persistent messages the original holds ready, unacknowledged or parked: ready and
    /// unacknowledged ones ready in delivery order, flagged `redelivered` if they had been
    /// delivered, parked ones parked. TTLs and `x-expires` are left out here: a restore may
    /// rightly expire what was unacknowledged, which would only blur the comparison.
    #[test]
    fn restore_round_trip(cmds in script(Profile { ttl: false, all_persistent: false })) {
        let mut w = World::new(true);
        run(&mut w, &cmds)?;
        w.check_restore().map_err(TestCaseError::fail)?;
        w.finish().map_err(TestCaseError::fail)?;
    }

    /// Restore with time in play. When every message is persistent and every queue durable
    /// (and no `x-delivery-limit` dead-letters on requeue), restoring from the store at `now`
    /// must leave the durable queues as closing the connection of the original does (a crash
    /// loses all channels at once, so these runs use one connection): unacknowledged messages
    /// back at their positions flagged `redelivered`, expiries kept (heads already due
    /// dead-lettered or dropped), parked messages still parked, `x-delay` messages waiting.
    #[test]
    fn restore_equals_closing_the_connection(cmds in script(Profile { ttl: true, all_persistent: true })) {
        let mut w = World::new(true);
        w.one_connection = true;
        run(&mut w, &cmds)?;
        w.check_restore_equals_closing().map_err(TestCaseError::fail)?;
        w.finish().map_err(TestCaseError::fail)?;
    }
}

// ----- FIFO per priority level ------------------------------------------------------------------

proptest! {
    #![proptest_config(cases(256))]

    /// FIFO per priority level, for one consumer that never requeues: within each level
    /// (`priority` clamped to `x-max-priority`, 0 when absent or without it) bodies arrive in
    /// publish order; a consumer attached after everything was published gets higher levels
    /// first. Acks come in batches so that messages pile up behind the prefetch limit.
    #[test]
    fn fifo_per_priority_level(
        prios in vec(maybe(0.7, 0u8..8), 1..80),
        max_prio in maybe(0.6, 1u8..6),
        prefetch in 0u32..4,
        attach_first: bool,
        ack_every in 1usize..6,
    ) {
        let mut b: Broker<Vec<u8>> = Broker::new(BrokerConfig::default());
        let ch = { let c = b.open_connection(); b.open_channel(c).unwrap() };
        let arguments = max_prio.map(|p| table([("x-max-priority", FieldValue::Int(p.into()))])).unwrap_or_default();
        b.queue_declare(ch, "q", QueueOptions { arguments, ..QueueOptions::default() }, false, 0).unwrap();
        b.basic_qos(ch, prefetch, false, 0).unwrap();
        let mut got: Vec<u64> = vec![];
        let pump = |b: &mut Broker<Vec<u8>>, got: &mut Vec<u64>, ack: bool| {
            if ack {
                b.basic_ack(ch, 0, true, 0).unwrap();
            }
            for e in b.drain_events().collect::<Vec<_>>() {
                let Event::Deliver(d) = e else { panic!("unexpected {e:?}") };
                assert!(!d.redelivered);
                got.push(model::ident(&d).0);
            }
        };
        if attach_first {
            b.basic_consume(ch, "q", ConsumeOptions::default(), 0).unwrap();
        }
        for (i, p) in prios.iter().enumerate() {
            let mut publish = Publish::new("", "q", model::body(i as u64));
            publish.properties.priority = *p;
            b.basic_publish(ch, publish, 0).unwrap();
            pump(&mut b, &mut got, i % ack_every == 0);
        }
        if !attach_first {
            b.basic_consume(ch, "q", ConsumeOptions::default(), 0).unwrap();
        }
        for _ in 0..=prios.len() {
            pump(&mut b, &mut got, true);
        }
        let level = |n: u64| prios[n as usize].unwrap_or(0).min(max_prio.unwrap_or(0));
        prop_assert_eq!(got.len(), prios.len());
        for l in 0..8 {
            let at: Vec<u64> = got.iter().copied().filter(|n| level(*n) == l).collect();
            prop_assert!(at.windows(2).all(|w| w[0] < w[1]), "level {} out of order: {:?}", l, at);
        }
        if !attach_first {
            let mut want: Vec<u64> = (0..prios.len() as u64).collect();
            want.sort_by_key(|n| std::cmp::Reverse(level(*n)));
            prop_assert_eq!(got, want);
        }
    }
}

// ----- publisher confirms -----------------------------------------------------------------------

proptest! {
    #![proptest_config(cases(256))]

    /// Confirms: on a confirm channel every publish sequence number gets exactly one
    /// `Confirm` (ack or nack) while the channel stays open, none after it closed; an ack of a
    /// persistent message bound for a durable queue (or `x-delay`) only after a batch holding
    /// it committed; a nack only from a reject-publish queue or a failed batch. The test takes
    /// store batches and commits (or fails) them at random points and in random order.
    #[test]
    fn confirms_exactly_once(reject: bool, ops in vec(cop(), 1..120)) {
        let mut c = Confirms::new(reject);
        for (i, op) in ops.iter().enumerate() {
            c.apply(op).map_err(|e| TestCaseError::fail(format!("op {i} {op:?}: {e}")))?;
        }
        c.finish().map_err(TestCaseError::fail)?;
    }
}

// ----- no panic on wild input ------------------------------------------------------------------

proptest! {
    #![proptest_config(cases(400))]

    /// No panic on any sequence: wild names (reserved `amq.*`, empty, the reply-to pseudo
    /// queue), invalid and extreme arguments (negative, `i64::MAX`, NaN, wrong types), unknown
    /// delivery tags and batch ids, huge delays and time jumps, exchange-to-exchange cycles,
    /// alternate exchanges, CC/BCC, direct reply-to, exclusive and auto-delete queues. Errors
    /// must be `Err`s; timers must settle; afterwards the broker, and a broker restored from
    /// the batches it wrote, still route a message.
    #[test]
    fn no_panic_on_any_sequence(persistence: bool, small_max: bool, ops in vec(wild(), 1..120)) {
        let max_message_bytes = small_max.then_some(8);
        let config = BrokerConfig { persistence, name_salt: 7, max_message_bytes };
        let mut b = Broker::new(config.clone());
        let conns = [b.open_connection(), b.open_connection()];
        let chans = [b.open_channel(conns[0]).unwrap(), b.open_channel(conns[1]).unwrap(), b.open_channel(conns[0]).unwrap()];
        let mut f = Fuzz { b, conns, chans, tags: vec![], store: Snapshot::default(), now: 0 };
        for op in &ops {
            f.step(op);
        }
        still_works(&mut f.b, f.now)?;
        if let Some(batch) = f.b.take_store_batch() {
            batch.ops.into_iter().for_each(|op| store::apply(&mut f.store, op));
        }
        let mut restored = Broker::restore(config, f.store.clone(), f.now + 1);
        still_works(&mut restored, f.now + 1)?;
    }
}

// ----- late timers ---------------------------------------------------------------------------------

proptest! {
    #![proptest_config(cases(256))]

    /// Late timers: `handle_timeout(now)` called once, late, must leave the broker as calls at
    /// each deadline would ("handles everything due at or before `now`, in deadline order").
    /// Queues with length limits (each `x-overflow`), priorities and dead-lettering get
    /// messages with TTLs, `x-delay`s and nack-with-delay; no consumers, so nothing can
    /// legitimately differ. After every time step the two brokers must hold the same messages.
    #[test]
    fn late_timer_matches_timely_timers(queues in vec(late::qargs(), 3), ops in late::ops()) {
        late::compare(&queues, &ops).map_err(TestCaseError::fail)?;
    }
}

// ----- regressions: core bugs these properties found (fixed in 8131e62), minimal reproductions -----

fn bodies(b: &mut Broker<Vec<u8>>) -> Vec<(u64, Vec<u8>)> {
    b.drain_events()
        .filter_map(|e| if let Event::Deliver(d) = e { Some((d.delivery_tag, d.message.body.clone())) } else { None })
        .collect()
}

/// Prefetch is per consumer ("applied separately to each new consumer", RabbitMQ's consumer
/// prefetch guide). Acknowledging a delivery made to a cancelled consumer must not give credit
/// to a new consumer that reuses its tag. Found by `conservation_fifo_and_redelivery`.
/// The old core gave b2 to the new consumer while it still held b1.
#[test]
fn regression_ack_of_old_delivery_does_not_credit_consumer_reusing_the_tag() {
    let mut b: Broker<Vec<u8>> = Broker::new(BrokerConfig::default());
    let ch = {
        let c = b.open_connection();
        b.open_channel(c).unwrap()
    };
    for q in ["a", "b"] {
        b.queue_declare(ch, q, QueueOptions::default(), false, 0).unwrap();
    }
    for (q, m) in [("a", "a1"), ("b", "b1"), ("b", "b2")] {
        b.basic_publish(ch, Publish::new("", q, m.as_bytes().to_vec()), 0).unwrap();
    }
    b.basic_qos(ch, 1, false, 0).unwrap();
    let tag = ConsumeOptions { consumer_tag: Some("c".into()), ..ConsumeOptions::default() };
    b.basic_consume(ch, "a", tag.clone(), 0).unwrap(); // a1, tag 1
    b.basic_cancel(ch, "c", 0).unwrap();
    b.basic_consume(ch, "b", tag, 0).unwrap(); // b1, tag 2: the new consumer is at its limit
    b.basic_ack(ch, 1, false, 0).unwrap(); // a1 belonged to the old consumer
    let got = bodies(&mut b);
    assert_eq!(
        got,
        vec![(1, b"a1".to_vec()), (2, b"b1".to_vec())],
        "b2 went to a consumer already holding b1 with prefetch 1"
    );
}

/// `QueueStats::dropped` counts "messages dropped without dead-lettering". A publish refused
/// by `x-overflow: reject-publish-dlx` is one message: dead-lettered if the queue has a DLX
/// (not dropped), dropped once if not. Found by `conservation_fifo_and_redelivery`; the old
/// core counted ((0, 2), (1, 1)).
#[test]
fn regression_reject_publish_dlx_counts_a_refused_message_once() {
    let mut b: Broker<Vec<u8>> = Broker::new(BrokerConfig::default());
    let ch = {
        let c = b.open_connection();
        b.open_channel(c).unwrap()
    };
    let full = |dlx: bool| {
        let mut a = table([("x-max-length", 0.into()), ("x-overflow", "reject-publish-dlx".into())]);
        if dlx {
            a.insert("x-dead-letter-exchange".into(), "amq.fanout".into());
        }
        QueueOptions { arguments: a, ..QueueOptions::default() }
    };
    b.queue_declare(ch, "no-dlx", full(false), false, 0).unwrap();
    b.queue_declare(ch, "dlx", full(true), false, 0).unwrap();
    for q in ["no-dlx", "dlx"] {
        b.basic_publish(ch, Publish::new("", q, b"m".to_vec()), 0).unwrap();
    }
    let counts = |q: &str| b.queue_stats(q).map(|s| (s.dead_lettered, s.dropped)).unwrap();
    assert_eq!((counts("no-dlx"), counts("dlx")), ((0, 1), (1, 0)), "(dead_lettered, dropped) per queue");
}

/// A late `handle_timeout(now)` must handle what fell due "in deadline order" (its doc). Here
/// h0 expires at 5 and h1 at 15 in a queue limited to 2 with `reject-publish`; d1 (`x-delay`
/// 7) fits, d2 (`x-delay` 10) finds the queue full (h1, d1). Called late at 20, the old core
/// handled the queue's timer (due 5) with `now` = 20, expiring h1 before routing d1 and d2,
/// so d2 was accepted. Found by `late_timer_matches_timely_timers`.
#[test]
fn regression_late_handle_timeout_is_in_deadline_order() {
    let run = |late: bool| {
        let mut b: Broker<Vec<u8>> = Broker::new(BrokerConfig::default());
        let ch = {
            let c = b.open_connection();
            b.open_channel(c).unwrap()
        };
        let args =
            table([("x-max-length", 2.into()), ("x-overflow", "reject-publish".into()), ("x-max-priority", 1.into())]);
        b.queue_declare(ch, "q", QueueOptions { arguments: args, ..QueueOptions::default() }, false, 0).unwrap();
        for (body, prio, expiration, delay) in [
            ("h0", 0, Some("5"), None),
            ("h1", 1, Some("15"), None),
            ("d1", 0, None, Some(7)),
            ("d2", 0, None, Some(10)),
        ] {
            let mut p = Publish::new("", "q", body.as_bytes().to_vec());
            p.properties.priority = Some(prio);
            p.properties.expiration = expiration.map(String::from);
            if let Some(d) = delay {
                p.properties.set_header("x-delay", FieldValue::Int(d));
            }
            b.basic_publish(ch, p, 0).unwrap();
        }
        while let Some(t) = b.poll_timeout().filter(|t| !late && *t <= 20) {
            b.handle_timeout(t);
        }
        b.handle_timeout(20);
        let mut ready = vec![];
        while let Some(d) = b.basic_get(ch, "q", true, 20).unwrap() {
            ready.push(String::from_utf8(d.message.body.clone()).unwrap());
        }
        ready
    };
    assert_eq!(run(false), ["d1"]);
    assert_eq!(run(true), ["d1"], "a late timer let d2 into a queue that was full when d2 fell due");
}
