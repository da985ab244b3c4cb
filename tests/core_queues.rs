#![cfg(not(target_arch = "wasm32"))]
//! Queues: names, exclusivity, auto-delete, x-expires, purge and delete, argument validation,
//! length limits with each overflow mode, priorities, single active consumer and counters.
//! Each case follows RabbitMQ's documentation (queues, ttl, maxlength, priority, consumers).

mod common;

use common::*;
use switchyard::core::*;

fn opts(args: FieldTable) -> QueueOptions {
    QueueOptions { arguments: args, ..Default::default() }
}

/// A fanout exchange `dlx` with a queue `dead` bound to it.
fn dead_letter_sink(h: &mut Harness, ch: ChannelId) {
    h.exchange(ch, "dlx", ExchangeKind::Fanout);
    h.queue(ch, "dead", FieldTable::new());
    h.bind(ch, "dead", "dlx", "");
}

#[test]
fn server_named_queues_are_unique_amq_gen_names() {
    let mut h = Harness::new();
    let ch = h.ch();
    let a = h.declare_queue(ch, "", QueueOptions { exclusive: true, ..Default::default() }).unwrap();
    let b = h.declare_queue(ch, "", QueueOptions::default()).unwrap();
    for ok in [&a, &b] {
        assert!(ok.queue.starts_with("amq.gen-"), "{}", ok.queue);
        assert_eq!(ok.queue.len(), "amq.gen-".len() + 22, "{}", ok.queue);
        assert_eq!((ok.message_count, ok.consumer_count), (0, 0));
    }
    assert_ne!(a.queue, b.queue);
    // The generated name is a real queue: reachable through the default exchange.
    h.publish(ch, "", &a.queue, "to-a");
    assert_eq!(h.drain(ch, &a.queue), vec!["to-a"]);
    assert_eq!(h.passive_queue(ch, &b.queue).unwrap().queue, b.queue);
}

#[test]
fn amq_prefixed_queue_names_are_reserved() {
    // queues: "Queue names starting with "amq." are reserved for internal use by the broker.
    // Attempts to declare a queue with a name that violates this rule will result in a
    // channel-level exception with reply code 403 (ACCESS_REFUSED)."
    let mut h = Harness::new();
    let ch = h.ch();
    assert_code(h.declare_queue(ch, "amq.mine", QueueOptions::default()), 403);
    assert!(!h.broker.channel_is_open(ch));
    assert!(!h.queue_exists("amq.mine"));
}

#[test]
fn client_chosen_amq_gen_name_is_reserved_too() {
    // Same rule; only the broker may choose an `amq.gen-` name (via an empty name).
    let mut h = Harness::new();
    let ch = h.ch();
    assert_code(h.declare_queue(ch, "amq.gen-chosen-by-client", QueueOptions::default()), 403);
    assert!(!h.queue_exists("amq.gen-chosen-by-client"));
}

#[test]
fn a_recovering_client_redeclares_its_server_named_queue_under_the_same_name() {
    // After a leader failover a client declares its server-named queues again; they keep the
    // names it already handed out (as reply-to addresses, in bindings). Only `amq.gen-` names.
    let mut h = Harness::new();
    let (_, ch) = h.open();
    let exclusive = QueueOptions { exclusive: true, ..Default::default() };
    let ok = h.broker.queue_redeclare(ch, "amq.gen-abc", exclusive.clone(), 0).unwrap();
    assert_eq!(ok.queue, "amq.gen-abc");
    assert!(h.queue_exists("amq.gen-abc"));
    let other = h.connection();
    let och = h.broker.open_channel(other).unwrap();
    assert_code(h.declare_queue(och, "amq.gen-abc", QueueOptions::default()), 405);
    assert_code(h.broker.queue_redeclare(ch, "amq.other", QueueOptions::default(), 0), 403);
    assert!(!h.queue_exists("amq.other"));
}

#[test]
fn exclusive_queue_is_locked_to_its_connection_and_dies_with_it() {
    let mut h = Harness::new();
    let (owner, och) = h.open();
    h.declare_queue(och, "ex", QueueOptions { exclusive: true, ..Default::default() }).unwrap();
    let other = h.connection();
    type Op = fn(&mut Harness, ChannelId) -> Result<()>;
    let ops: [(&str, Op); 7] = [
        ("declare", |h, ch| {
            h.declare_queue(ch, "ex", QueueOptions { exclusive: true, ..Default::default() }).map(drop)
        }),
        ("passive", |h, ch| h.passive_queue(ch, "ex").map(drop)),
        ("consume", |h, ch| h.consume_with(ch, "ex", ConsumeOptions::default()).map(drop)),
        ("get", |h, ch| h.broker.basic_get(ch, "ex", true, 0).map(drop)),
        ("purge", |h, ch| h.broker.queue_purge(ch, "ex", 0).map(drop)),
        ("delete", |h, ch| h.broker.queue_delete(ch, "ex", false, false, 0).map(drop)),
        ("bind", |h, ch| h.broker.queue_bind(ch, "ex", "amq.fanout", "", FieldTable::new(), 0)),
    ];
    for (what, op) in ops {
        let ch = h.channel(other);
        let e = assert_code(op(&mut h, ch), 405);
        assert!(e.text.contains("exclusive"), "{what}: {}", e.text);
        assert!(!h.broker.channel_is_open(ch), "{what}");
    }
    assert!(h.queue_exists("ex"));
    // Publishing to it from elsewhere is allowed.
    let pch = h.channel(other);
    h.publish(pch, "", "ex", "hello");
    assert_eq!(h.drain(och, "ex"), vec!["hello"]);

    h.broker.close_connection(owner, 0);
    assert!(!h.queue_exists("ex"));
    assert_code(h.passive_queue(pch, "ex"), 404);
}

#[test]
fn auto_delete_queue_goes_after_its_last_consumer_not_before_it_had_one() {
    // queues: "An auto-delete queue will be deleted when its last consumer is cancelled ... or
    // gone (closed channel or connection ...). If a queue never had any consumers ... it won't
    // be automatically deleted."
    let mut h = Harness::new();
    let ch = h.ch();
    h.declare_queue(ch, "ad", QueueOptions { auto_delete: true, ..Default::default() }).unwrap();
    h.publish(ch, "", "ad", "m");
    assert_eq!(h.drain(ch, "ad"), vec!["m"]);
    assert!(h.queue_exists("ad"), "get is not consuming");
    let ch2 = h.ch();
    h.consume(ch, "ad", "c1");
    h.consume(ch2, "ad", "c2");
    h.broker.basic_cancel(ch, "c1", 0).unwrap();
    assert!(h.queue_exists("ad"), "one consumer left");
    h.broker.close_channel(ch2, 0).unwrap();
    assert!(!h.queue_exists("ad"), "last consumer gone with its channel");
}

#[test]
fn x_expires_deletes_an_unused_queue_only() {
    let mut h = Harness::new();
    let ch = h.ch();
    let args = || headers([("x-expires", 1000.into())]);
    h.queue(ch, "idle", args());
    h.publish(ch, "", "idle", "m"); // publishing is not use
    h.advance(999);
    assert!(h.queue_exists("idle"));
    h.advance(1);
    assert!(!h.queue_exists("idle"), "unused for x-expires ms");

    // Redeclaring and basic.get renew the lease.
    h.queue(ch, "lease", args());
    h.advance(600);
    h.queue(ch, "lease", args());
    h.advance(600);
    assert!(h.queue_exists("lease"));
    h.get(ch, "lease");
    h.advance(999);
    assert!(h.queue_exists("lease"));
    h.advance(1);
    assert!(!h.queue_exists("lease"));

    // A consumed queue never expires; the clock starts when the last consumer goes.
    h.queue(ch, "busy", args());
    h.consume(ch, "busy", "c");
    h.advance(5000);
    assert!(h.queue_exists("busy"));
    h.broker.basic_cancel(ch, "c", h.now).unwrap();
    h.advance(999);
    assert!(h.queue_exists("busy"));
    h.advance(1);
    assert!(!h.queue_exists("busy"));
}

#[test]
fn purge_removes_ready_messages_and_returns_the_count() {
    let mut h = Harness::new();
    let ch = h.ch();
    h.queue(ch, "p", FieldTable::new());
    for b in ["a", "b", "c"] {
        h.publish(ch, "", "p", b);
    }
    let held = h.get(ch, "p").unwrap();
    assert_eq!(h.broker.queue_purge(ch, "p", 0).unwrap(), 2);
    let s = h.stats("p");
    assert_eq!((s.messages_ready, s.messages_unacked), (0, 1), "unacked messages are not purged");
    assert_eq!(h.broker.queue_purge(ch, "p", 0).unwrap(), 0);
    h.nack(ch, held.delivery_tag, true);
    assert_eq!(h.drain(ch, "p"), vec!["a"]);
}

#[test]
fn delete_if_unused_and_if_empty_refuse_with_406() {
    let mut h = Harness::new();
    let ch = h.ch();
    h.queue(ch, "d", FieldTable::new());
    h.publish(ch, "", "d", "x");
    h.publish(ch, "", "d", "y");
    let cch = h.ch();
    h.consume_with(cch, "d", ConsumeOptions { consumer_tag: Some("c".into()), ..Default::default() }).unwrap();
    h.deliveries();

    h.queue(ch, "full", FieldTable::new());
    h.publish(ch, "", "full", "z");
    let ch1 = h.ch();
    assert_code(h.broker.queue_delete(ch1, "d", true, false, 0), 406);
    assert!(!h.broker.channel_is_open(ch1));
    let ch2 = h.ch();
    assert_code(h.broker.queue_delete(ch2, "full", false, true, 0), 406);
    assert!(!h.broker.channel_is_open(ch2));
    assert!(h.queue_exists("d") && h.queue_exists("full"));

    let ch3 = h.ch();
    assert_eq!(h.broker.queue_delete(ch3, "full", true, false, 0).unwrap(), 1);
    assert!(!h.queue_exists("full"));
    assert_eq!(h.broker.queue_delete(ch3, "never-existed", false, false, 0).unwrap(), 0);
}

#[test]
fn invalid_queue_arguments_are_refused_with_406() {
    let mut h = Harness::new();
    let cases: Vec<(&str, FieldTable)> = vec![
        ("x-message-ttl", headers([("x-message-ttl", (-1).into())])),
        ("x-max-priority", headers([("x-max-priority", 256.into())])),
        ("x-overflow", headers([("x-overflow", "drop-tail".into())])),
        ("x-dead-letter-routing-key", headers([("x-dead-letter-routing-key", "k".into())])),
        ("x-expires", headers([("x-expires", 0.into())])),
        ("x-max-length", headers([("x-max-length", (-5).into())])),
    ];
    for (arg, args) in cases {
        let ch = h.ch();
        let e = assert_code(h.declare_queue(ch, "bad", opts(args)), 406);
        assert!(e.text.contains(arg), "{arg}: {}", e.text);
        assert!(!h.broker.channel_is_open(ch), "{arg}");
        assert_eq!(h.channel_closes(), vec![(ch, 406)], "{arg}");
        assert!(!h.queue_exists("bad"), "{arg}");
    }
}

#[test]
fn queue_redeclare_must_be_equivalent() {
    let mut h = Harness::new();
    let ch = h.ch();
    let base = opts(headers([("x-message-ttl", 1000.into())]));
    h.declare_queue(ch, "eq", base.clone()).unwrap();
    h.publish(ch, "", "eq", "m");
    let ok = h.declare_queue(ch, "eq", base.clone()).unwrap();
    assert_eq!((ok.message_count, ok.consumer_count), (1, 0));
    let variants = vec![
        ("durable", QueueOptions { durable: false, ..base.clone() }),
        ("auto_delete", QueueOptions { auto_delete: true, ..base.clone() }),
        ("x-message-ttl", opts(headers([("x-message-ttl", 2000.into())]))),
        ("x-message-ttl", opts(FieldTable::new())),
        ("x-max-length", opts(headers([("x-message-ttl", 1000.into()), ("x-max-length", 5.into())]))),
    ];
    for (what, o) in variants {
        let ch = h.ch();
        let e = assert_code(h.declare_queue(ch, "eq", o), 406);
        assert!(e.text.contains(what), "{what}: {}", e.text);
    }
    assert_eq!(h.ready("eq"), 1, "the queue is untouched");
}

#[test]
fn max_length_drop_head_drops_or_dead_letters_the_oldest() {
    let mut h = Harness::new();
    let ch = h.ch();
    dead_letter_sink(&mut h, ch);
    h.queue(ch, "ml", headers([("x-max-length", 2.into()), ("x-dead-letter-exchange", "dlx".into())]));
    h.queue(ch, "plain", headers([("x-max-length", 2.into())]));
    for b in ["a", "b", "c", "d"] {
        h.publish(ch, "", "ml", b);
        h.publish(ch, "", "plain", b);
    }
    assert_eq!(h.drain(ch, "ml"), vec!["c", "d"]);
    assert_eq!(h.drain(ch, "plain"), vec!["c", "d"]);
    let dead = h.drain_got(ch, "dead");
    assert_eq!(dead.iter().map(|g| g.body.as_str()).collect::<Vec<_>>(), ["a", "b"]);
    for g in &dead {
        let d = &g.x_death()[0];
        assert_eq!(d.get("reason"), Some(&"maxlen".into()));
        assert_eq!(d.get("queue"), Some(&"ml".into()));
        assert_eq!(g.header_str("x-first-death-reason"), Some("maxlen"));
    }
    assert_eq!(h.stats("ml").dead_lettered, 2);
}

#[test]
fn max_length_counts_ready_messages_only() {
    // maxlength: "the number of messages in the ready state are used. Messages unacknowledged
    // by consumers do not count towards the limit."
    let mut h = Harness::new();
    let ch = h.ch();
    h.queue(ch, "one", headers([("x-max-length", 1.into())]));
    h.publish(ch, "", "one", "a");
    let a = h.get(ch, "one").unwrap();
    h.publish(ch, "", "one", "b");
    assert_eq!(h.ready("one"), 1);
    h.ack(ch, a.delivery_tag);
    assert_eq!(h.drain(ch, "one"), vec!["b"]);
}

#[test]
fn reject_publish_nacks_and_does_not_enqueue_or_dead_letter() {
    let mut h = Harness::new();
    let ch = h.ch();
    dead_letter_sink(&mut h, ch);
    h.queue(
        ch,
        "rp",
        headers([
            ("x-max-length", 2.into()),
            ("x-overflow", "reject-publish".into()),
            ("x-dead-letter-exchange", "dlx".into()),
        ]),
    );
    h.queue(ch, "side", FieldTable::new());
    h.exchange(ch, "both", ExchangeKind::Fanout);
    h.bind(ch, "rp", "both", "");
    h.bind(ch, "side", "both", "");
    h.broker.confirm_select(ch, 0).unwrap();
    let seqs: Vec<_> = ["a", "b", "c"].iter().map(|b| h.publish(ch, "both", "", b).unwrap()).collect();
    assert_eq!(seqs, [1, 2, 3]);
    assert_eq!(h.confirms(), vec![(ch, 1, true), (ch, 2, true), (ch, 3, false)]);
    assert_eq!(h.drain(ch, "rp"), vec!["a", "b"]);
    // "The message will still be published to all other queues which can enqueue it."
    assert_eq!(h.drain(ch, "side"), vec!["a", "b", "c"]);
    assert!(h.drain(ch, "dead").is_empty(), "reject-publish does not dead-letter");
}

#[test]
fn reject_publish_dlx_nacks_and_dead_letters() {
    let mut h = Harness::new();
    let ch = h.ch();
    dead_letter_sink(&mut h, ch);
    h.queue(
        ch,
        "rpd",
        headers([
            ("x-max-length", 1.into()),
            ("x-overflow", "reject-publish-dlx".into()),
            ("x-dead-letter-exchange", "dlx".into()),
        ]),
    );
    h.broker.confirm_select(ch, 0).unwrap();
    h.publish(ch, "", "rpd", "kept");
    h.publish(ch, "", "rpd", "refused");
    assert_eq!(h.confirms(), vec![(ch, 1, true), (ch, 2, false)]);
    assert_eq!(h.drain(ch, "rpd"), vec!["kept"]);
    let dead = h.drain_got(ch, "dead");
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].body, "refused");
    assert_eq!(dead[0].x_death()[0].get("reason"), Some(&"maxlen".into()));
    assert_eq!(dead[0].x_death()[0].get("queue"), Some(&"rpd".into()));
}

#[test]
fn max_length_bytes_counts_body_bytes() {
    let mut h = Harness::new();
    let ch = h.ch();
    h.queue(ch, "mb", headers([("x-max-length-bytes", 10.into())]));
    for b in ["aaaa", "bbbb", "cccc"] {
        h.publish(ch, "", "mb", b);
    }
    let s = h.stats("mb");
    assert_eq!((s.messages_ready, s.bytes_ready), (2, 8));
    assert_eq!(h.drain(ch, "mb"), vec!["bbbb", "cccc"]);

    h.queue(ch, "mbr", headers([("x-max-length-bytes", 5.into()), ("x-overflow", "reject-publish".into())]));
    h.broker.confirm_select(ch, 0).unwrap();
    h.publish(ch, "", "mbr", "abc");
    h.publish(ch, "", "mbr", "def");
    h.publish(ch, "", "mbr", "gh");
    assert_eq!(h.confirms(), vec![(ch, 1, true), (ch, 2, false), (ch, 3, true)]);
    assert_eq!(h.drain(ch, "mbr"), vec!["abc", "gh"]);
}

#[test]
fn priority_queue_delivers_higher_first_fifo_within_a_level() {
    let mut h = Harness::new();
    let ch = h.ch();
    h.queue(ch, "pq", headers([("x-max-priority", 10.into())]));
    let msgs: [(&str, Option<u8>); 7] = [
        ("a1", Some(1)),
        ("b5", Some(5)),
        ("none", None),
        ("a2", Some(1)),
        ("d10", Some(10)),
        ("c200", Some(200)),
        ("b6", Some(5)),
    ];
    for (body, p) in msgs {
        let props = Properties { priority: p, ..Default::default() };
        h.publish_with(ch, "", "pq", body, props).unwrap();
    }
    // 200 is clamped to 10 (so it stays behind d10); no priority counts as 0.
    assert_eq!(h.drain(ch, "pq"), vec!["d10", "c200", "b5", "b6", "a1", "a2", "none"]);

    // Doc example: A(1), B(3), C(2) -> B, C, A, to a consumer too.
    for (b, p) in [("A", 1), ("B", 3), ("C", 2)] {
        h.publish_with(ch, "", "pq", b, with_priority(p)).unwrap();
    }
    h.consume_no_ack(ch, "pq", "c");
    assert_eq!(h.delivered().into_iter().map(|(_, b)| b).collect::<Vec<_>>(), ["B", "C", "A"]);
}

#[test]
fn max_length_on_a_priority_queue_drops_from_the_head() {
    // priority: "Queues which have a max-length set drop messages as usual from the head of the
    // queue ... higher priority messages might be dropped to make way for lower priority ones".
    let mut h = Harness::new();
    let ch = h.ch();
    h.queue(ch, "pml", headers([("x-max-priority", 5.into()), ("x-max-length", 2.into())]));
    for (b, p) in [("hi", 5), ("lo1", 1), ("lo2", 1)] {
        h.publish_with(ch, "", "pml", b, with_priority(p)).unwrap();
    }
    assert_eq!(h.drain(ch, "pml"), vec!["lo1", "lo2"]);
}

#[test]
fn non_priority_queue_ignores_message_priority() {
    let mut h = Harness::new();
    let ch = h.ch();
    h.queue(ch, "fifo", FieldTable::new());
    for (b, p) in [("x", 1), ("y", 9), ("z", 5)] {
        h.publish_with(ch, "", "fifo", b, with_priority(p)).unwrap();
    }
    assert_eq!(h.drain(ch, "fifo"), vec!["x", "y", "z"]);
}

#[test]
fn single_active_consumer_gets_everything_and_fails_over() {
    let mut h = Harness::new();
    let ch0 = h.ch();
    h.queue(ch0, "sac", headers([("x-single-active-consumer", true.into())]));
    let (ch1, ch2, ch3) = (h.ch(), h.ch(), h.ch());
    h.broker.basic_qos(ch1, 2, false, 0).unwrap();
    h.consume(ch1, "sac", "first");
    h.consume(ch2, "sac", "second");
    h.consume(ch3, "sac", "third");
    for b in ["1", "2", "3", "4"] {
        h.publish(ch0, "", "sac", b);
    }
    // The active consumer gets them even when busy (prefetch 2): the others wait.
    let got = h.deliveries();
    assert_eq!(
        got.iter().map(|g| (g.tag.as_str(), g.body.as_str())).collect::<Vec<_>>(),
        [("first", "1"), ("first", "2")]
    );
    assert_eq!(h.ready("sac"), 2);

    // Cancelling the active consumer hands over; its unacked deliveries stay with it.
    h.broker.basic_cancel(ch1, "first", 0).unwrap();
    let got = h.delivered();
    assert_eq!(got, [("second".to_string(), "3".to_string()), ("second".to_string(), "4".to_string())]);

    // Closing the active consumer's channel requeues its unacked messages to the next one.
    h.broker.close_channel(ch2, 0).unwrap();
    let got = h.deliveries();
    assert_eq!(
        got.iter().map(|g| (g.tag.as_str(), g.body.as_str(), g.redelivered)).collect::<Vec<_>>(),
        [("third", "3", true), ("third", "4", true)]
    );
    // The first channel still holds 1 and 2 unacked.
    assert_eq!(h.stats("sac").messages_unacked, 4);
}

#[test]
fn single_active_consumer_refuses_exclusive_consumers() {
    // consumers: "Trying to register a consumer with the exclusive consume flag set to true
    // will result in an error if single active consumer is enabled on the queue."
    let mut h = Harness::new();
    let ch = h.ch();
    h.queue(ch, "sacx", headers([("x-single-active-consumer", true.into())]));
    let r = h.consume_with(ch, "sacx", ConsumeOptions { exclusive: true, ..Default::default() });
    assert!(r.is_err(), "{r:?}");
    assert_eq!(h.stats("sacx").consumers, 0);
}

#[test]
fn queue_stats_count_what_happened() {
    let mut h = Harness::new();
    let ch = h.ch();
    dead_letter_sink(&mut h, ch);
    h.queue(ch, "st", headers([("x-dead-letter-exchange", "dlx".into())]));
    for b in ["a", "b", "c", "d", "e"] {
        h.publish(ch, "", "st", b);
    }
    let s = h.stats("st");
    assert_eq!((s.name.as_str(), s.messages_ready, s.published, s.delivered, s.consumers), ("st", 5, 5, 0, 0));
    assert_eq!(s.bytes_ready, 5);

    let a = h.get(ch, "st").unwrap();
    let b = h.get(ch, "st").unwrap();
    let s = h.stats("st");
    assert_eq!((s.messages_ready, s.messages_unacked, s.delivered), (3, 2, 2));
    h.ack(ch, a.delivery_tag);
    h.nack(ch, b.delivery_tag, false);
    let s = h.stats("st");
    assert_eq!((s.messages_unacked, s.acked, s.dead_lettered), (0, 1, 1));
    assert_eq!(h.stats("dead").messages_ready, 1);

    let cch = h.ch();
    h.consume(cch, "st", "c");
    let got = h.deliveries();
    assert_eq!(got.len(), 3);
    h.nack(cch, got[0].delivery_tag, true);
    let again = h.deliveries();
    assert_eq!((again.len(), again[0].body.as_str(), again[0].redelivered), (1, "c", true));
    let s = h.stats("st");
    assert_eq!(
        (
            s.messages_ready,
            s.messages_unacked,
            s.consumers,
            s.published,
            s.delivered,
            s.redelivered,
            s.acked,
            s.dead_lettered
        ),
        (0, 3, 1, 5, 6, 1, 1, 1)
    );
}
