#![cfg(not(target_arch = "wasm32"))]
//! Consuming and acknowledging: round-robin, consumer priorities, prefetch, no-ack, exclusive
//! consumers, basic.get, ack/nack/reject/recover, requeue to the original position, channel
//! errors on bad tags, cancel, server-sent cancel, delivery limits, nack-with-delay and direct
//! reply-to. Each case follows RabbitMQ's documentation (consumers, consumer-prefetch,
//! consumer-priority, confirms, quorum-queues, direct-reply-to).

mod common;

use common::*;
use switchyard::core::*;

fn bodies(got: &[Got]) -> Vec<&str> {
    got.iter().map(|g| g.body.as_str()).collect()
}

fn publish_all(h: &mut Harness, ch: ChannelId, q: &str, items: &[&str]) {
    for b in items {
        h.publish(ch, "", q, b);
    }
}

#[test]
fn competing_consumers_get_messages_round_robin() {
    let mut h = Harness::new();
    let ch = h.ch();
    h.queue(ch, "work", FieldTable::new());
    let (c1, c2) = (h.ch(), h.ch());
    h.consume(c1, "work", "w1");
    h.consume(c2, "work", "w2");
    publish_all(&mut h, ch, "work", &["1", "2", "3", "4", "5", "6"]);
    let got = h.delivered();
    let tags: Vec<&str> = got.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(tags, ["w1", "w2", "w1", "w2", "w1", "w2"]);
    assert_eq!(got.iter().map(|(_, b)| b.as_str()).collect::<Vec<_>>(), ["1", "2", "3", "4", "5", "6"]);
}

#[test]
fn consumer_priorities_prefer_the_highest_unblocked_consumer() {
    let mut h = Harness::new();
    let ch = h.ch();
    h.queue(ch, "cp", FieldTable::new());
    let (hi, lo) = (h.ch(), h.ch());
    h.broker.basic_qos(hi, 2, false, 0).unwrap();
    let lo_opts = ConsumeOptions {
        consumer_tag: Some("low".into()),
        arguments: headers([("x-priority", 1.into())]),
        ..Default::default()
    };
    h.consume_with(lo, "cp", lo_opts).unwrap();
    h.consume_with(
        hi,
        "cp",
        ConsumeOptions { consumer_tag: Some("high".into()), priority: Some(10), ..Default::default() },
    )
    .unwrap();
    publish_all(&mut h, ch, "cp", &["1", "2", "3", "4", "5"]);
    let got = h.deliveries();
    let by = |t: &str| got.iter().filter(|g| g.tag == t).map(|g| g.body.clone()).collect::<Vec<_>>();
    assert_eq!(by("high"), ["1", "2"], "high priority first, up to its prefetch");
    assert_eq!(by("low"), ["3", "4", "5"], "low priority only while high is blocked");
    let first_high = got.iter().find(|g| g.tag == "high").unwrap().delivery_tag;
    h.ack(hi, first_high);
    h.publish(ch, "", "cp", "6");
    assert_eq!(h.delivered(), [("high".to_string(), "6".to_string())]);
}

#[test]
fn per_consumer_prefetch_applies_to_consumers_created_after_qos() {
    let mut h = Harness::new();
    let ch = h.ch();
    for q in ["q1", "q2", "q3"] {
        h.queue(ch, q, FieldTable::new());
    }
    let c = h.ch();
    h.consume(c, "q1", "before");
    h.broker.basic_qos(c, 1, false, 0).unwrap();
    h.consume(c, "q2", "after");
    h.consume(c, "q3", "after2");
    for q in ["q1", "q2", "q3"] {
        publish_all(&mut h, ch, q, &["a", "b", "c"]);
    }
    let got = h.deliveries();
    let count = |t: &str| got.iter().filter(|g| g.tag == t).count();
    assert_eq!((count("before"), count("after"), count("after2")), (3, 1, 1), "the limit is per consumer, not shared");
    let tag = got.iter().find(|g| g.tag == "after").unwrap().delivery_tag;
    h.ack(c, tag);
    assert_eq!(h.delivered(), [("after".to_string(), "b".to_string())]);
}

#[test]
fn global_prefetch_is_shared_by_the_channel_consumers() {
    let mut h = Harness::new();
    let ch = h.ch();
    h.queue(ch, "qa", FieldTable::new());
    h.queue(ch, "qb", FieldTable::new());
    let c = h.ch();
    h.broker.basic_qos(c, 3, true, 0).unwrap();
    h.consume(c, "qa", "ga");
    h.consume(c, "qb", "gb");
    publish_all(&mut h, ch, "qa", &["a1", "a2", "a3"]);
    publish_all(&mut h, ch, "qb", &["b1", "b2", "b3"]);
    let got = h.deliveries();
    assert_eq!(bodies(&got), ["a1", "a2", "a3"]);
    h.ack(c, got[0].delivery_tag);
    assert_eq!(h.delivered(), [("gb".to_string(), "b1".to_string())]);
    assert_eq!(h.stats("qb").messages_ready, 2);
}

#[test]
fn no_ack_deliveries_need_no_acknowledgement() {
    let mut h = Harness::new();
    let ch = h.ch();
    h.queue(ch, "na", FieldTable::new());
    let c = h.ch();
    h.broker.basic_qos(c, 1, false, 0).unwrap();
    h.consume_no_ack(c, "na", "auto");
    publish_all(&mut h, ch, "na", &["1", "2", "3"]);
    let got = h.deliveries();
    assert_eq!(bodies(&got), ["1", "2", "3"], "prefetch does not limit no-ack consumers");
    let s = h.stats("na");
    assert_eq!((s.messages_unacked, s.acked, s.delivered), (0, 3, 3));
    // Acking a no-ack delivery is an unknown tag; closing the channel requeues nothing.
    assert_code(h.broker.basic_ack(c, got[0].delivery_tag, false, 0), 406);
    assert_eq!(h.ready("na"), 0);
}

#[test]
fn exclusive_consumer_locks_out_others() {
    let mut h = Harness::new();
    let ch = h.ch();
    h.queue(ch, "ex", FieldTable::new());
    h.queue(ch, "shared", FieldTable::new());
    let owner = h.ch();
    h.consume_with(
        owner,
        "ex",
        ConsumeOptions { consumer_tag: Some("only".into()), exclusive: true, ..Default::default() },
    )
    .unwrap();
    let other = h.ch();
    let e = assert_code(h.consume_with(other, "ex", ConsumeOptions::default()), 403);
    assert!(e.text.contains("exclusive use"), "{}", e.text);
    assert!(!h.broker.channel_is_open(other));
    // Exclusive is refused while other consumers exist.
    h.consume(ch, "shared", "plain");
    let late = h.ch();
    assert_code(h.consume_with(late, "shared", ConsumeOptions { exclusive: true, ..Default::default() }), 403);
    // Once the exclusive consumer is cancelled, anyone may consume.
    h.broker.basic_cancel(owner, "only", 0).unwrap();
    let next = h.ch();
    h.consume(next, "ex", "next");
    h.publish(ch, "", "ex", "m");
    assert_eq!(h.delivered(), [("next".to_string(), "m".to_string())]);
}

#[test]
fn basic_get_reports_remaining_count_and_get_empty() {
    let mut h = Harness::new();
    let ch = h.ch();
    h.queue(ch, "g", FieldTable::new());
    publish_all(&mut h, ch, "g", &["a", "b", "c"]);
    h.broker.basic_qos(ch, 1, true, 0).unwrap();
    let mut seen = Vec::new();
    while let Some(g) = h.get(ch, "g") {
        assert_eq!(g.tag, "", "basic.get has no consumer tag");
        seen.push((g.body, g.message_count, g.redelivered));
    }
    assert_eq!(seen, [("a".into(), Some(2), false), ("b".into(), Some(1), false), ("c".into(), Some(0), false)]);
    assert_eq!(h.stats("g").messages_unacked, 3, "basic.get is not limited by prefetch");
    assert!(h.broker.basic_get(ch, "g", false, 0).unwrap().is_none());
    assert_code(h.broker.basic_get(ch, "missing", false, 0), 404);
}

#[test]
fn ack_single_multiple_and_all() {
    let mut h = Harness::new();
    let ch = h.ch();
    h.queue(ch, "acks", FieldTable::new());
    publish_all(&mut h, ch, "acks", &["1", "2", "3", "4", "5"]);
    let tags: Vec<u64> = (0..5).map(|_| h.get(ch, "acks").unwrap().delivery_tag).collect();
    assert_eq!(tags, [1, 2, 3, 4, 5], "delivery tags count from 1 per channel");
    h.ack(ch, 4);
    h.broker.basic_ack(ch, 2, true, 0).unwrap(); // 1 and 2
    assert_eq!(h.stats("acks").messages_unacked, 2);
    h.broker.basic_ack(ch, 0, true, 0).unwrap(); // amqplib's ackAll
    let s = h.stats("acks");
    assert_eq!((s.messages_unacked, s.acked, s.messages_ready), (0, 5, 0));
    assert!(h.broker.channel_is_open(ch));
}

#[test]
fn nack_requeue_restores_the_original_position_flagged_redelivered() {
    let mut h = Harness::new();
    let ch = h.ch();
    h.queue(ch, "rq", FieldTable::new());
    publish_all(&mut h, ch, "rq", &["a", "b", "c", "d"]);
    let a = h.get(ch, "rq").unwrap();
    let b = h.get(ch, "rq").unwrap();
    h.nack(ch, b.delivery_tag, true);
    h.nack(ch, a.delivery_tag, true);
    let got = h.drain_got(ch, "rq");
    let seen: Vec<(&str, bool)> = got.iter().map(|g| (g.body.as_str(), g.redelivered)).collect();
    assert_eq!(seen, [("a", true), ("b", true), ("c", false), ("d", false)]);

    // nack multiple with requeue, to a consumer.
    publish_all(&mut h, ch, "rq", &["e", "f", "g"]);
    let c = h.ch();
    h.consume(c, "rq", "c");
    let got = h.deliveries();
    assert_eq!(bodies(&got), ["e", "f", "g"]);
    h.broker.basic_nack(c, got[1].delivery_tag, true, true, 0).unwrap();
    let again = h.deliveries();
    assert_eq!(again.iter().map(|g| (g.body.as_str(), g.redelivered)).collect::<Vec<_>>(), [("e", true), ("f", true)]);
}

#[test]
fn reject_requeues_or_discards() {
    let mut h = Harness::new();
    let ch = h.ch();
    h.queue(ch, "rj", FieldTable::new());
    publish_all(&mut h, ch, "rj", &["keep", "drop", "next"]);
    let keep = h.get(ch, "rj").unwrap();
    let drop = h.get(ch, "rj").unwrap();
    h.broker.basic_reject(ch, keep.delivery_tag, true, 0).unwrap();
    h.broker.basic_reject(ch, drop.delivery_tag, false, 0).unwrap();
    let got = h.drain_got(ch, "rj");
    assert_eq!(
        got.iter().map(|g| (g.body.as_str(), g.redelivered)).collect::<Vec<_>>(),
        [("keep", true), ("next", false)]
    );
    assert_eq!(h.stats("rj").messages_unacked, 0);
}

#[test]
fn unknown_delivery_tag_closes_the_channel_and_requeues_its_unacked() {
    let mut h = Harness::new();
    let ch = h.ch();
    h.queue(ch, "u", FieldTable::new());
    publish_all(&mut h, ch, "u", &["a", "b"]);
    h.get(ch, "u").unwrap();
    h.get(ch, "u").unwrap();
    let e = assert_code(h.broker.basic_ack(ch, 99, false, 0), 406);
    assert!(e.text.contains("unknown delivery tag"), "{}", e.text);
    assert!(!h.broker.channel_is_open(ch));
    assert_eq!(h.channel_closes(), vec![(ch, 406)]);
    let ch2 = h.ch();
    let got = h.drain_got(ch2, "u");
    assert_eq!(got.iter().map(|g| (g.body.as_str(), g.redelivered)).collect::<Vec<_>>(), [("a", true), ("b", true)]);
}

#[test]
fn double_ack_is_an_unknown_tag() {
    let mut h = Harness::new();
    let ch = h.ch();
    h.queue(ch, "dbl", FieldTable::new());
    h.publish(ch, "", "dbl", "once");
    let g = h.get(ch, "dbl").unwrap();
    h.ack(ch, g.delivery_tag);
    assert_code(h.broker.basic_ack(ch, g.delivery_tag, false, 0), 406);
    assert!(!h.broker.channel_is_open(ch));
    assert_eq!(h.stats("dbl").acked, 1);
}

#[test]
fn recover_redelivers_every_unacked_message_with_new_tags() {
    let mut h = Harness::new();
    let ch = h.ch();
    h.queue(ch, "rec", FieldTable::new());
    h.consume(ch, "rec", "c");
    publish_all(&mut h, ch, "rec", &["a", "b"]);
    let first = h.deliveries();
    assert_eq!(first.iter().map(|g| g.delivery_tag).collect::<Vec<_>>(), [1, 2]);
    h.broker.basic_recover(ch, 0).unwrap();
    let again = h.deliveries();
    assert_eq!(
        again.iter().map(|g| (g.body.as_str(), g.redelivered, g.delivery_tag)).collect::<Vec<_>>(),
        [("a", true, 3), ("b", true, 4)]
    );
    h.broker.basic_ack(ch, 4, true, 0).unwrap();
    assert_eq!(h.stats("rec").messages_unacked, 0);
}

#[test]
fn closing_a_channel_requeues_its_unacked_to_other_consumers() {
    let mut h = Harness::new();
    let ch = h.ch();
    h.queue(ch, "cc", FieldTable::new());
    let c1 = h.ch();
    h.consume(c1, "cc", "first");
    h.publish(ch, "", "cc", "a");
    assert_eq!(h.delivered(), [("first".to_string(), "a".to_string())]);
    let c2 = h.ch();
    h.consume(c2, "cc", "second");
    assert!(h.deliveries().is_empty());
    h.broker.close_channel(c1, 0).unwrap();
    let got = h.deliveries();
    assert_eq!(
        got.iter().map(|g| (g.tag.as_str(), g.body.as_str(), g.redelivered)).collect::<Vec<_>>(),
        [("second", "a", true)]
    );
}

#[test]
fn cancel_leaves_in_flight_deliveries_unacked() {
    // consumers: "Cancelling a consumer will neither discard nor requeue them."
    let mut h = Harness::new();
    let ch = h.ch();
    h.queue(ch, "cn", FieldTable::new());
    let c = h.ch();
    h.consume(c, "cn", "c");
    publish_all(&mut h, ch, "cn", &["a", "b"]);
    let got = h.deliveries();
    h.broker.basic_cancel(c, "c", 0).unwrap();
    let s = h.stats("cn");
    assert_eq!((s.messages_unacked, s.consumers), (2, 0));
    h.publish(ch, "", "cn", "x");
    assert!(h.deliveries().is_empty(), "no deliveries after cancel");
    h.ack(c, got[0].delivery_tag);
    h.broker.close_channel(c, 0).unwrap();
    let rest = h.drain_got(ch, "cn");
    assert_eq!(rest.iter().map(|g| (g.body.as_str(), g.redelivered)).collect::<Vec<_>>(), [("b", true), ("x", false)]);
}

#[test]
fn deleting_a_consumed_queue_sends_consumer_cancelled() {
    let mut h = Harness::new();
    let ch = h.ch();
    h.queue(ch, "gone", FieldTable::new());
    let c = h.ch();
    h.consume(c, "gone", "watcher");
    h.broker.queue_delete(ch, "gone", false, false, 0).unwrap();
    let cancels: Vec<_> = h
        .events()
        .into_iter()
        .filter_map(|e| match e {
            Event::ConsumerCancelled { channel, consumer_tag } => Some((channel, consumer_tag.to_string())),
            _ => None,
        })
        .collect();
    assert_eq!(cancels, [(c, "watcher".to_string())]);
    assert!(h.broker.channel_is_open(c), "the channel stays open");
    // The tag is free again on that channel.
    h.queue(ch, "gone", FieldTable::new());
    h.consume(c, "gone", "watcher");
}

#[test]
fn reusing_a_consumer_tag_closes_the_connection_with_530() {
    let mut h = Harness::new();
    let (conn, ch) = h.open();
    let sibling = h.channel(conn);
    h.declare_queue(ch, "mine", QueueOptions { exclusive: true, ..Default::default() }).unwrap();
    h.queue(ch, "t", FieldTable::new());
    h.consume(ch, "t", "dup");
    let e = assert_code(
        h.consume_with(ch, "t", ConsumeOptions { consumer_tag: Some("dup".into()), ..Default::default() }),
        530,
    );
    assert!(e.text.contains("dup"), "{}", e.text);
    assert!(!h.broker.connection_is_open(conn));
    assert!(!h.broker.channel_is_open(ch) && !h.broker.channel_is_open(sibling));
    let closed: Vec<_> = h
        .events()
        .into_iter()
        .filter_map(|e| match e {
            Event::ConnectionClosed { connection, error } => Some((connection, error.code.code())),
            _ => None,
        })
        .collect();
    assert_eq!(closed, [(conn, 530)]);
    assert!(!h.queue_exists("mine"), "exclusive queues go with the connection");
    assert_eq!(h.stats("t").consumers, 0);
}

#[test]
fn delivery_limit_dead_letters_after_too_many_returns() {
    // quorum-queues: "x-delivery-count" is included with any redelivered message; "When a
    // message has been redelivered more times than the limit the message will be dropped
    // (removed) or dead-lettered."
    let mut h = Harness::new();
    let ch = h.ch();
    h.exchange(ch, "dlx", ExchangeKind::Fanout);
    h.queue(ch, "dead", FieldTable::new());
    h.bind(ch, "dead", "dlx", "");
    h.queue(ch, "dl", headers([("x-delivery-limit", 2.into()), ("x-dead-letter-exchange", "dlx".into())]));
    let c = h.ch();
    h.consume(c, "dl", "c");
    h.publish(ch, "", "dl", "poison");
    let mut seen = Vec::new();
    for _ in 0..5 {
        let got = h.deliveries();
        let Some(g) = got.first() else { break };
        seen.push((g.redelivered, g.headers.get("x-delivery-count").and_then(FieldValue::as_int)));
        h.nack(c, g.delivery_tag, true);
    }
    assert_eq!(seen, [(false, None), (true, Some(1)), (true, Some(2))]);
    let dead = h.drain_got(ch, "dead");
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].body, "poison");
    assert_eq!(dead[0].x_death()[0].get("reason"), Some(&"delivery_limit".into()));
    assert_eq!(dead[0].header_str("x-first-death-reason"), Some("delivery_limit"));
    assert_eq!(h.stats("dl").messages_ready, 0);
}

#[test]
fn nack_with_delay_redelivers_only_after_the_delay() {
    let mut h = Harness::new();
    let ch = h.ch();
    h.queue(ch, "retry", FieldTable::new());
    let c = h.ch();
    h.consume(c, "retry", "c");
    publish_all(&mut h, ch, "retry", &["a", "b"]);
    let got = h.deliveries();
    h.broker.basic_nack_delayed(c, got[0].delivery_tag, false, 1000, h.now).unwrap();
    let s = h.stats("retry");
    assert_eq!((s.messages_delayed, s.messages_unacked, s.messages_ready), (1, 1, 0));
    h.advance(999);
    assert!(h.deliveries().is_empty());
    h.advance(1);
    let got2 = h.deliveries();
    assert_eq!(got2.iter().map(|g| (g.body.as_str(), g.redelivered)).collect::<Vec<_>>(), [("a", true)]);
    assert_eq!(h.stats("retry").messages_delayed, 0);
}

/// Sets up an RPC server consuming `rpc` and a client with a direct reply-to consumer.
fn rpc_setup(h: &mut Harness) -> (ChannelId, ChannelId) {
    let server = h.ch();
    h.queue(server, "rpc", FieldTable::new());
    h.consume_no_ack(server, "rpc", "server");
    let client = h.ch();
    h.consume_no_ack(client, REPLY_TO, "replies");
    (server, client)
}

#[test]
fn direct_reply_to_round_trip() {
    let mut h = Harness::new();
    let (server, client) = rpc_setup(&mut h);
    let req = Properties { reply_to: Some(REPLY_TO.into()), correlation_id: Some("c1".into()), ..Default::default() };
    h.publish_with(client, "", "rpc", "ping", req).unwrap();
    let got = h.deliveries();
    assert_eq!(got.len(), 1);
    let reply_to = got[0].properties.reply_to.clone().unwrap();
    assert!(reply_to.starts_with("amq.rabbitmq.reply-to.") && reply_to != REPLY_TO, "rewritten: {reply_to}");
    let resp = Properties { correlation_id: Some("c1".into()), ..Default::default() };
    h.publish_with(server, "", &reply_to, "pong", resp).unwrap();
    let got = h.deliveries();
    assert_eq!(got.len(), 1);
    assert_eq!((got[0].channel, got[0].tag.as_str(), got[0].body.as_str()), (client, "replies", "pong"));
    assert_eq!(got[0].properties.correlation_id.as_deref(), Some("c1"));
    assert!(h.other_events().is_empty());
}

#[test]
fn direct_reply_to_must_be_consumed_in_no_ack_mode() {
    let mut h = Harness::new();
    let ch = h.ch();
    let r = h.consume_with(ch, REPLY_TO, ConsumeOptions { no_ack: false, ..Default::default() });
    assert_code(r, 406);
    assert!(!h.broker.channel_is_open(ch));
}

#[test]
fn direct_reply_to_publish_without_the_consumer_is_refused() {
    // direct-reply-to: the client "must use the same connection and channel for both consuming
    // from amq.rabbitmq.reply-to and for publishing the request message".
    let mut h = Harness::new();
    let (_server, _client) = rpc_setup(&mut h);
    let stranger = h.ch();
    let req = Properties { reply_to: Some(REPLY_TO.into()), ..Default::default() };
    assert_code(h.publish_with(stranger, "", "rpc", "ping", req), 406);
    assert!(!h.broker.channel_is_open(stranger));
    assert!(h.deliveries().is_empty(), "the request was not routed");
}

#[test]
fn direct_reply_to_mandatory_reply_is_returned() {
    // direct-reply-to: "If the RPC server publishes with the mandatory flag set then
    // amq.rabbitmq.reply-to.* is treated as not a queue; i.e. if the server only publishes to
    // this name then the message will be considered "not routed"; a basic.return will be sent
    // if the mandatory flag was set."
    let mut h = Harness::new();
    let (server, client) = rpc_setup(&mut h);
    let req = Properties { reply_to: Some(REPLY_TO.into()), ..Default::default() };
    h.publish_with(client, "", "rpc", "ping", req).unwrap();
    let reply_to = h.deliveries()[0].properties.reply_to.clone().unwrap();
    h.publish_mandatory(server, "", &reply_to, "pong", Properties::default()).unwrap();
    let returns = h.returns();
    assert_eq!(returns, vec![(server, 312, reply_to, "pong".to_string())]);
}

#[test]
fn direct_reply_to_address_can_be_declared_to_check_the_client_is_alive() {
    // direct-reply-to: "the server can declare the generated reply name first on a disposable
    // channel in order to determine whether it still exists. Note that even if you declare the
    // "queue" with passive=false there is no way to create it; the declare will just succeed
    // (with 0 messages ready and 1 consumer) or fail."
    let mut h = Harness::new();
    let (_server, client) = rpc_setup(&mut h);
    let req = Properties { reply_to: Some(REPLY_TO.into()), ..Default::default() };
    h.publish_with(client, "", "rpc", "ping", req).unwrap();
    let reply_to = h.deliveries()[0].properties.reply_to.clone().unwrap();
    for passive in [true, false] {
        let probe = h.ch();
        let ok = h.broker.queue_declare(probe, &reply_to, QueueOptions::default(), passive, 0);
        let ok = ok.unwrap_or_else(|e| panic!("passive={passive}: {e}"));
        assert_eq!((ok.queue.as_str(), ok.message_count, ok.consumer_count), (reply_to.as_str(), 0, 1));
    }
    assert!(!h.queue_exists(&reply_to), "declaring it creates nothing");
    h.broker.close_channel(client, 0).unwrap();
    let probe = h.ch();
    assert!(h.broker.queue_declare(probe, &reply_to, QueueOptions::default(), true, 0).is_err());
}

/// A poison message retried with backoff (nack with delay) still meets `x-delivery-limit`:
/// once it has been delivered more often than the limit allows, its return dead-letters it.
#[test]
fn nack_with_delay_respects_the_delivery_limit() {
    let mut h = Harness::new();
    let ch = h.ch();
    h.exchange(ch, "dlx", ExchangeKind::Fanout);
    h.queue(ch, "dead", FieldTable::new());
    h.bind(ch, "dead", "dlx", "");
    h.queue(ch, "work", headers([("x-delivery-limit", 1.into()), ("x-dead-letter-exchange", "dlx".into())]));
    h.publish(ch, "", "work", "poison");
    for round in 0..2 {
        let d = h.broker.basic_get(ch, "work", false, h.now).unwrap().expect("the message is back");
        assert_eq!(d.redelivered, round > 0);
        h.broker.basic_nack_delayed(ch, d.delivery_tag, false, 100, h.now).unwrap();
        assert_eq!(h.ready("work"), 0, "parked during the delay");
        h.advance(100);
    }
    assert_eq!((h.ready("work"), h.ready("dead")), (0, 1), "the second return exceeds the limit of 1");
}
