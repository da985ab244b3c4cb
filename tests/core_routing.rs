#![cfg(not(target_arch = "wasm32"))]
//! Routing: the default and predeclared exchanges, direct / fanout / topic / headers,
//! exchange-to-exchange bindings, alternate exchanges, mandatory returns, channel errors on
//! publish, redeclare equivalence, auto-delete exchanges and sender-selected distribution.
//! Each case follows RabbitMQ's documentation (exchanges, e2e, ae, sender-selected,
//! spec-differences, tutorials 3–5).

mod common;

use common::*;
use switchyard::core::*;

/// Publishes `body` to `x` with `key` and returns, for each queue in `queues`, the bodies it
/// received (drained with no-ack gets).
fn route(h: &mut Harness, ch: ChannelId, x: &str, key: &str, queues: &[&str]) -> Vec<Vec<String>> {
    h.publish(ch, x, key, "m");
    queues.iter().map(|q| h.drain(ch, q)).collect()
}

fn hit(v: &[Vec<String>]) -> Vec<usize> {
    v.iter().map(Vec::len).collect()
}

#[test]
fn default_exchange_routes_by_queue_name_and_refuses_bindings() {
    let mut h = Harness::new();
    let ch = h.ch();
    h.queue(ch, "orders", FieldTable::new());
    h.queue(ch, "other", FieldTable::new());
    h.publish(ch, "", "orders", "o1");
    assert_eq!(h.drain(ch, "orders"), vec!["o1"]);
    assert!(h.drain(ch, "other").is_empty());

    // A key naming no queue goes nowhere (and with mandatory, comes back).
    h.publish(ch, "", "nobody", "lost");
    assert!(h.returns().is_empty());

    // "operation not permitted on the default exchange": 403.
    let e = assert_code(h.broker.queue_bind(ch, "orders", "", "x", FieldTable::new(), 0), 403);
    assert!(e.text.contains("default exchange"), "{}", e.text);
    assert!(!h.broker.channel_is_open(ch));
}

#[test]
fn predeclared_exchanges_exist_with_their_types() {
    let mut h = Harness::new();
    let ch = h.ch();
    let xs = h.broker.exchanges();
    let kind = |n: &str| xs.iter().find(|x| x.name == n).map(|x| x.kind);
    assert_eq!(kind(""), Some(ExchangeKind::Direct));
    assert_eq!(kind("amq.direct"), Some(ExchangeKind::Direct));
    assert_eq!(kind("amq.fanout"), Some(ExchangeKind::Fanout));
    assert_eq!(kind("amq.topic"), Some(ExchangeKind::Topic));
    assert_eq!(kind("amq.headers"), Some(ExchangeKind::Headers));
    assert_eq!(kind("amq.match"), Some(ExchangeKind::Headers));
    for name in ["amq.direct", "amq.fanout", "amq.topic", "amq.headers", "amq.match"] {
        h.passive_exchange(ch, name).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    // They route like any exchange of their type.
    h.queue(ch, "q", FieldTable::new());
    h.bind(ch, "q", "amq.topic", "a.*");
    h.publish(ch, "amq.topic", "a.b", "t");
    assert_eq!(h.drain(ch, "q"), vec!["t"]);
}

#[test]
fn amq_prefixed_exchanges_cannot_be_declared_or_deleted() {
    // spec-differences: "it must not be possible to declare an exchange with the amq. prefix.
    // RabbitMQ also prohibits deletion of such exchanges."
    let mut h = Harness::new();
    let ch = h.ch();
    assert_code(h.declare_exchange(ch, "amq.custom", ExchangeKind::Direct, ExchangeOptions::default()), 403);
    assert!(!h.broker.channel_is_open(ch));
    assert!(!h.exchange_exists("amq.custom"));
    for name in ["amq.direct", "amq.fanout", "amq.topic", "amq.headers", "amq.match", ""] {
        let ch = h.ch();
        assert_code(h.broker.exchange_delete(ch, name, false, 0), 403);
        assert!(!h.broker.channel_is_open(ch));
        assert!(h.exchange_exists(name), "{name:?} survived");
    }
    // An equivalent redeclaration of an existing amq.* exchange is accepted (what RabbitMQ does:
    // it looks the exchange up before checking the name; the docs are silent), a different
    // type is not.
    let ch = h.ch();
    h.declare_exchange(ch, "amq.topic", ExchangeKind::Topic, ExchangeOptions::default()).unwrap();
    assert_code(h.declare_exchange(ch, "amq.topic", ExchangeKind::Direct, ExchangeOptions::default()), 406);
}

#[test]
fn direct_exchange_routes_on_exact_key() {
    // Tutorial 4: multiple bindings, and one key bound to two queues.
    let mut h = Harness::new();
    let ch = h.ch();
    h.exchange(ch, "direct_logs", ExchangeKind::Direct);
    for q in ["q1", "q2"] {
        h.queue(ch, q, FieldTable::new());
    }
    h.bind(ch, "q1", "direct_logs", "orange");
    h.bind(ch, "q2", "direct_logs", "black");
    h.bind(ch, "q2", "direct_logs", "green");
    h.bind(ch, "q1", "direct_logs", "black");
    let qs = ["q1", "q2"];
    assert_eq!(hit(&route(&mut h, ch, "direct_logs", "orange", &qs)), [1, 0]);
    assert_eq!(hit(&route(&mut h, ch, "direct_logs", "black", &qs)), [1, 1]);
    assert_eq!(hit(&route(&mut h, ch, "direct_logs", "green", &qs)), [0, 1]);
    assert_eq!(hit(&route(&mut h, ch, "direct_logs", "Orange", &qs)), [0, 0]);
    assert_eq!(hit(&route(&mut h, ch, "direct_logs", "", &qs)), [0, 0]);
}

#[test]
fn fanout_exchange_ignores_the_key() {
    let mut h = Harness::new();
    let ch = h.ch();
    h.exchange(ch, "logs", ExchangeKind::Fanout);
    for q in ["a", "b", "c"] {
        h.queue(ch, q, FieldTable::new());
    }
    h.bind(ch, "a", "logs", "");
    h.bind(ch, "b", "logs", "whatever");
    // Two bindings of one queue still give one copy.
    h.bind(ch, "b", "logs", "other");
    assert_eq!(hit(&route(&mut h, ch, "logs", "any.key", &["a", "b", "c"])), [1, 1, 0]);
}

#[test]
fn topic_exchange_tutorial_five() {
    let mut h = Harness::new();
    let ch = h.ch();
    h.exchange(ch, "topic_logs", ExchangeKind::Topic);
    h.queue(ch, "Q1", FieldTable::new());
    h.queue(ch, "Q2", FieldTable::new());
    h.bind(ch, "Q1", "topic_logs", "*.orange.*");
    h.bind(ch, "Q2", "topic_logs", "*.*.rabbit");
    h.bind(ch, "Q2", "topic_logs", "lazy.#");
    let cases: [(&str, [usize; 2]); 10] = [
        ("quick.orange.rabbit", [1, 1]),
        ("lazy.orange.elephant", [1, 1]),
        ("quick.orange.fox", [1, 0]),
        ("lazy.brown.fox", [0, 1]),
        ("lazy.pink.rabbit", [0, 1]), // matches both Q2 bindings, delivered once
        ("quick.brown.fox", [0, 0]),
        ("orange", [0, 0]),
        ("quick.orange.new.rabbit", [0, 0]),
        ("lazy.orange.new.rabbit", [0, 1]),
        ("lazy", [0, 1]), // `#` matches zero words
    ];
    for (key, want) in cases {
        assert_eq!(hit(&route(&mut h, ch, "topic_logs", key, &["Q1", "Q2"])), want, "key {key:?}");
    }
}

#[test]
fn topic_hash_matches_zero_words_and_the_empty_key() {
    let mut h = Harness::new();
    let ch = h.ch();
    h.exchange(ch, "t", ExchangeKind::Topic);
    for (q, pattern) in [("all", "#"), ("star", "*"), ("tail", "#.b"), ("mid", "a.#.c"), ("empty", "")] {
        h.queue(ch, q, FieldTable::new());
        h.bind(ch, q, "t", pattern);
    }
    let qs = ["all", "star", "tail", "mid", "empty"];
    assert_eq!(hit(&route(&mut h, ch, "t", "", &qs)), [1, 0, 0, 0, 1]);
    assert_eq!(hit(&route(&mut h, ch, "t", "b", &qs)), [1, 1, 1, 0, 0]);
    assert_eq!(hit(&route(&mut h, ch, "t", "a.c", &qs)), [1, 0, 0, 1, 0]);
    assert_eq!(hit(&route(&mut h, ch, "t", "a.x.y.c", &qs)), [1, 0, 0, 1, 0]);
    assert_eq!(hit(&route(&mut h, ch, "t", "x.y.b", &qs)), [1, 0, 1, 0, 0]);
}

#[test]
fn headers_exchange_all_any_and_with_x() {
    let mut h = Harness::new();
    let ch = h.ch();
    h.exchange(ch, "hx", ExchangeKind::Headers);
    let bindings = [
        ("all", headers([("x-match", "all".into()), ("format", "pdf".into()), ("type", "report".into())])),
        ("any", headers([("x-match", "any".into()), ("format", "pdf".into()), ("type", "log".into())])),
        ("allx", headers([("x-match", "all-with-x".into()), ("x-tenant", "t1".into())])),
        ("anyx", headers([("x-match", "any-with-x".into()), ("x-tenant", "t1".into()), ("kind", "k".into())])),
        // `x-` arguments take no part in plain `all`: only `a` is matched.
        ("ign", headers([("a", 1.into()), ("x-tenant", "t9".into())])),
    ];
    for (q, args) in bindings {
        h.queue(ch, q, FieldTable::new());
        h.bind_args(ch, q, "hx", "", args);
    }
    let qs = ["all", "any", "allx", "anyx", "ign"];
    let send = |h: &mut Harness, hdrs: FieldTable| {
        h.publish_with(ch, "hx", "ignored-key", "m", with_headers(hdrs)).unwrap();
        qs.iter().map(|q| h.drain(ch, q).len()).collect::<Vec<_>>()
    };
    assert_eq!(send(&mut h, headers([("format", "pdf".into()), ("type", "report".into())])), [1, 1, 0, 0, 0]);
    assert_eq!(send(&mut h, headers([("format", "pdf".into()), ("type", "summary".into())])), [0, 1, 0, 0, 0]);
    assert_eq!(send(&mut h, headers([("type", "log".into())])), [0, 1, 0, 0, 0]);
    assert_eq!(send(&mut h, headers([("x-tenant", "t1".into())])), [0, 0, 1, 1, 0]);
    assert_eq!(send(&mut h, headers([("x-tenant", "t2".into()), ("kind", "k".into())])), [0, 0, 0, 1, 0]);
    assert_eq!(send(&mut h, headers([("a", 1.into())])), [0, 0, 0, 0, 1]);
    assert_eq!(send(&mut h, FieldTable::new()), [0, 0, 0, 0, 0]);
}

#[test]
fn headers_binding_with_invalid_x_match_is_refused() {
    let mut h = Harness::new();
    let ch = h.ch();
    h.exchange(ch, "hx", ExchangeKind::Headers);
    h.queue(ch, "q", FieldTable::new());
    let r = h.broker.queue_bind(ch, "q", "hx", "", headers([("x-match", "some".into())]), 0);
    assert_code(r, 406);
    assert!(!h.broker.channel_is_open(ch));
}

#[test]
fn exchange_to_exchange_bindings_route_transitively() {
    let mut h = Harness::new();
    let ch = h.ch();
    h.exchange(ch, "src", ExchangeKind::Direct);
    h.exchange(ch, "dst", ExchangeKind::Fanout);
    h.queue(ch, "qdst", FieldTable::new());
    h.queue(ch, "qsrc", FieldTable::new());
    h.bind(ch, "qdst", "dst", "");
    h.bind(ch, "qsrc", "src", "k");
    h.broker.exchange_bind(ch, "dst", "src", "k", FieldTable::new(), 0).unwrap();
    assert_eq!(hit(&route(&mut h, ch, "src", "k", &["qsrc", "qdst"])), [1, 1]);
    assert_eq!(hit(&route(&mut h, ch, "src", "other", &["qsrc", "qdst"])), [0, 0]);
    // Publishing to the destination directly still works.
    assert_eq!(hit(&route(&mut h, ch, "dst", "any", &["qsrc", "qdst"])), [0, 1]);

    h.broker.exchange_unbind(ch, "dst", "src", "k", FieldTable::new(), 0).unwrap();
    assert_eq!(hit(&route(&mut h, ch, "src", "k", &["qsrc", "qdst"])), [1, 0]);
    // Binding to a missing destination exchange: 404.
    assert_code(h.broker.exchange_bind(ch, "missing", "src", "k", FieldTable::new(), 0), 404);
}

#[test]
fn exchange_binding_cycle_delivers_once_per_queue() {
    // e2e: "We detect and eliminate cycles during message delivery, and ensure that ... each
    // queue will receive exactly one copy of that message."
    let mut h = Harness::new();
    let ch = h.ch();
    h.exchange(ch, "x1", ExchangeKind::Fanout);
    h.exchange(ch, "x2", ExchangeKind::Fanout);
    h.exchange(ch, "x3", ExchangeKind::Topic);
    h.broker.exchange_bind(ch, "x2", "x1", "", FieldTable::new(), 0).unwrap();
    h.broker.exchange_bind(ch, "x1", "x2", "", FieldTable::new(), 0).unwrap();
    h.broker.exchange_bind(ch, "x3", "x2", "", FieldTable::new(), 0).unwrap();
    h.broker.exchange_bind(ch, "x1", "x3", "#", FieldTable::new(), 0).unwrap();
    for q in ["q1", "q2", "q3"] {
        h.queue(ch, q, FieldTable::new());
    }
    h.bind(ch, "q1", "x1", "");
    h.bind(ch, "q2", "x2", "");
    h.bind(ch, "q1", "x2", ""); // q1 reachable two ways
    h.bind(ch, "q3", "x3", "a.#");
    assert_eq!(hit(&route(&mut h, ch, "x1", "a.b", &["q1", "q2", "q3"])), [1, 1, 1]);
    assert_eq!(hit(&route(&mut h, ch, "x3", "a", &["q1", "q2", "q3"])), [1, 1, 1]);
}

#[test]
fn alternate_exchange_takes_only_unroutable_messages() {
    let mut h = Harness::new();
    let ch = h.ch();
    let opts = ExchangeOptions { arguments: headers([("alternate-exchange", "my-ae".into())]), ..Default::default() };
    h.declare_exchange(ch, "my-direct", ExchangeKind::Direct, opts).unwrap();
    h.exchange(ch, "my-ae", ExchangeKind::Fanout);
    h.queue(ch, "routed", FieldTable::new());
    h.queue(ch, "unrouted", FieldTable::new());
    h.bind(ch, "routed", "my-direct", "key1");
    h.bind(ch, "unrouted", "my-ae", "");
    let qs = ["routed", "unrouted"];
    assert_eq!(hit(&route(&mut h, ch, "my-direct", "key1", &qs)), [1, 0]);
    assert_eq!(hit(&route(&mut h, ch, "my-direct", "key2", &qs)), [0, 1]);
    // "If a message is routed via an AE it still counts as routed for the purpose of the
    // 'mandatory' flag, and the message is otherwise unchanged."
    h.publish_mandatory(ch, "my-direct", "key3", "via-ae", Properties::default()).unwrap();
    assert!(h.returns().is_empty());
    let got = h.drain_got(ch, "unrouted");
    assert_eq!(got.len(), 1);
    assert_eq!(
        (got[0].body.as_str(), got[0].exchange.as_str(), got[0].routing_key.as_str()),
        ("via-ae", "my-direct", "key3")
    );
}

#[test]
fn alternate_exchange_chain_stops_where_it_routes_or_loops() {
    let mut h = Harness::new();
    let ch = h.ch();
    let ae = |name: &str| ExchangeOptions {
        arguments: headers([("alternate-exchange", name.into())]),
        ..Default::default()
    };
    h.declare_exchange(ch, "a", ExchangeKind::Direct, ae("b")).unwrap();
    h.declare_exchange(ch, "b", ExchangeKind::Direct, ae("a")).unwrap();
    h.queue(ch, "qb", FieldTable::new());
    h.bind(ch, "qb", "b", "yes");
    assert_eq!(hit(&route(&mut h, ch, "a", "yes", &["qb"])), [1]);
    // Unroutable in both: the a -> b -> a loop ends, and a mandatory publish is returned.
    h.publish_mandatory(ch, "a", "no", "lost", Properties::default()).unwrap();
    assert_eq!(h.returns(), vec![(ch, 312, "no".to_string(), "lost".to_string())]);
}

#[test]
fn mandatory_unroutable_is_returned_with_312_and_its_body() {
    let mut h = Harness::new();
    let ch = h.ch();
    h.exchange(ch, "x", ExchangeKind::Direct);
    let props = Properties { correlation_id: Some("c-7".into()), ..Default::default() };
    h.publish_mandatory(ch, "x", "nowhere", "bounce", props).unwrap();
    let events = h.events();
    assert_eq!(events.len(), 1, "{events:?}");
    match &events[0] {
        Event::Return { channel, reply, message } => {
            assert_eq!(*channel, ch);
            assert_eq!(reply.code, ReplyCode::NoRoute);
            assert_eq!(reply.code.code(), 312);
            assert_eq!(message.body, b"bounce");
            assert_eq!(message.exchange, "x");
            assert_eq!(message.routing_key, "nowhere");
            assert_eq!(message.properties.correlation_id.as_deref(), Some("c-7"));
        }
        other => panic!("expected a return, got {other:?}"),
    }
    // Not mandatory: silently dropped. Routed mandatory: not returned.
    h.publish(ch, "x", "nowhere", "dropped");
    h.queue(ch, "q", FieldTable::new());
    h.bind(ch, "q", "x", "k");
    h.publish_mandatory(ch, "x", "k", "fine", Properties::default()).unwrap();
    assert!(h.returns().is_empty());
    assert_eq!(h.drain(ch, "q"), vec!["fine"]);
    assert!(h.broker.channel_is_open(ch));
}

#[test]
fn publishing_to_an_internal_exchange_is_refused() {
    let mut h = Harness::new();
    let ch = h.ch();
    let internal = ExchangeOptions { internal: true, ..Default::default() };
    h.declare_exchange(ch, "inner", ExchangeKind::Fanout, internal).unwrap();
    h.exchange(ch, "front", ExchangeKind::Fanout);
    h.broker.exchange_bind(ch, "inner", "front", "", FieldTable::new(), 0).unwrap();
    h.queue(ch, "q", FieldTable::new());
    h.bind(ch, "q", "inner", "");
    // Reachable through an exchange-to-exchange binding...
    h.publish(ch, "front", "", "via-front");
    assert_eq!(h.drain(ch, "q"), vec!["via-front"]);
    // ...but not directly: 403, channel closed.
    assert_code(h.publish_with(ch, "inner", "", "direct", Properties::default()), 403);
    assert!(!h.broker.channel_is_open(ch));
    assert_eq!(h.channel_closes(), vec![(ch, 403)]);
    let ch2 = h.ch();
    assert!(h.drain(ch2, "q").is_empty());
}

#[test]
fn publishing_to_a_missing_exchange_closes_the_channel_with_404() {
    let mut h = Harness::new();
    let (conn, ch) = h.open();
    let other = h.channel(conn);
    let e = assert_code(h.publish_with(ch, "nope", "k", "m", Properties::default()), 404);
    assert!(e.text.contains("nope"), "{}", e.text);
    assert!(!h.broker.channel_is_open(ch));
    assert!(h.broker.channel_is_open(other), "only the channel closes");
    assert!(h.broker.connection_is_open(conn));
    let closes: Vec<_> = h
        .events()
        .into_iter()
        .filter_map(|e| match e {
            Event::ChannelClosed { channel, error } => Some((channel, error.code)),
            _ => None,
        })
        .collect();
    assert_eq!(closes, vec![(ch, ReplyCode::NotFound)]);
    // The closed channel refuses further work.
    assert!(h.publish_with(ch, "", "q", "m", Properties::default()).is_err());
}

#[test]
fn exchange_redeclare_must_be_equivalent() {
    let mut h = Harness::new();
    let ch = h.ch();
    let base = ExchangeOptions { durable: true, ..Default::default() };
    h.declare_exchange(ch, "eq", ExchangeKind::Direct, base.clone()).unwrap();
    h.declare_exchange(ch, "eq", ExchangeKind::Direct, base.clone()).expect("identical redeclare is a no-op");
    let variants: Vec<(&str, ExchangeKind, ExchangeOptions)> = vec![
        ("type", ExchangeKind::Fanout, base.clone()),
        ("durable", ExchangeKind::Direct, ExchangeOptions { durable: false, ..base.clone() }),
        ("auto_delete", ExchangeKind::Direct, ExchangeOptions { auto_delete: true, ..base.clone() }),
        ("internal", ExchangeKind::Direct, ExchangeOptions { internal: true, ..base.clone() }),
        (
            "alternate-exchange",
            ExchangeKind::Direct,
            ExchangeOptions { arguments: headers([("alternate-exchange", "ae".into())]), ..base.clone() },
        ),
    ];
    for (what, kind, opts) in variants {
        let ch = h.ch();
        let e = assert_code(h.declare_exchange(ch, "eq", kind, opts), 406);
        assert!(e.text.contains(what), "{what}: {}", e.text);
        assert!(!h.broker.channel_is_open(ch), "{what}");
    }
    let rec = h.broker.exchanges().into_iter().find(|x| x.name == "eq").unwrap();
    assert_eq!((rec.kind, rec.options), (ExchangeKind::Direct, base));
}

#[test]
fn passive_declares_report_404_for_missing_things() {
    let mut h = Harness::new();
    let ch = h.ch();
    assert_code(h.passive_exchange(ch, "ghost-x"), 404);
    assert!(!h.broker.channel_is_open(ch));
    assert!(!h.exchange_exists("ghost-x"), "passive never creates");
    let ch = h.ch();
    assert_code(h.passive_queue(ch, "ghost-q"), 404);
    assert!(!h.queue_exists("ghost-q"));
    let ch = h.ch();
    h.exchange(ch, "real", ExchangeKind::Topic);
    h.passive_exchange(ch, "real").unwrap();
}

#[test]
fn auto_delete_exchange_goes_with_its_last_binding() {
    let mut h = Harness::new();
    let ch = h.ch();
    let ad = ExchangeOptions { auto_delete: true, ..Default::default() };
    h.declare_exchange(ch, "ad", ExchangeKind::Fanout, ad.clone()).unwrap();
    assert!(h.exchange_exists("ad"), "never bound: not deleted");
    h.queue(ch, "q1", FieldTable::new());
    h.queue(ch, "q2", FieldTable::new());
    h.bind(ch, "q1", "ad", "");
    h.bind(ch, "q2", "ad", "");
    h.broker.queue_unbind(ch, "q1", "ad", "", FieldTable::new(), 0).unwrap();
    assert!(h.exchange_exists("ad"));
    h.broker.queue_unbind(ch, "q2", "ad", "", FieldTable::new(), 0).unwrap();
    assert!(!h.exchange_exists("ad"));

    // Deleting the last bound queue removes the binding, and so the exchange.
    h.declare_exchange(ch, "ad", ExchangeKind::Fanout, ad.clone()).unwrap();
    h.bind(ch, "q1", "ad", "");
    h.broker.queue_delete(ch, "q1", false, false, 0).unwrap();
    assert!(!h.exchange_exists("ad"));

    // e2e: only bindings where it is the *source* count.
    h.declare_exchange(ch, "ad", ExchangeKind::Fanout, ad).unwrap();
    h.exchange(ch, "up", ExchangeKind::Fanout);
    h.broker.exchange_bind(ch, "ad", "up", "", FieldTable::new(), 0).unwrap();
    h.broker.exchange_unbind(ch, "ad", "up", "", FieldTable::new(), 0).unwrap();
    assert!(h.exchange_exists("ad"));
}

#[test]
fn unbind_stops_routing_and_unknown_unbind_is_ok() {
    let mut h = Harness::new();
    let ch = h.ch();
    h.exchange(ch, "x", ExchangeKind::Topic);
    h.queue(ch, "q", FieldTable::new());
    h.bind(ch, "q", "x", "a.*");
    h.bind(ch, "q", "x", "b.*");
    assert_eq!(h.broker.bindings().iter().filter(|b| b.source == "x").count(), 2);
    h.broker.queue_unbind(ch, "q", "x", "a.*", FieldTable::new(), 0).unwrap();
    assert_eq!(hit(&route(&mut h, ch, "x", "a.1", &["q"])), [0]);
    assert_eq!(hit(&route(&mut h, ch, "x", "b.1", &["q"])), [1]);
    h.broker.queue_unbind(ch, "q", "x", "never.bound", FieldTable::new(), 0).unwrap();
    assert!(h.broker.channel_is_open(ch));
    let keys: Vec<String> = h.broker.bindings().into_iter().filter(|b| b.source == "x").map(|b| b.key).collect();
    assert_eq!(keys, vec!["b.*"]);
}

#[test]
fn cc_and_bcc_add_routes_and_bcc_is_stripped() {
    let mut h = Harness::new();
    let ch = h.ch();
    h.exchange(ch, "x", ExchangeKind::Direct);
    for (q, k) in [("q1", "k1"), ("q2", "k2"), ("q3", "k3"), ("q4", "k4")] {
        h.queue(ch, q, FieldTable::new());
        h.bind(ch, q, "x", k);
    }
    let hdrs = headers([("CC", strs(&["k2"])), ("BCC", strs(&["k3"])), ("app", "v".into())]);
    h.publish_with(ch, "x", "k1", "sel", with_headers(hdrs)).unwrap();
    for q in ["q1", "q2", "q3"] {
        let got = h.drain_got(ch, q);
        assert_eq!(got.len(), 1, "{q}");
        assert_eq!(got[0].body, "sel");
        assert!(!got[0].headers.contains_key("BCC"), "{q}: BCC must be removed before delivery");
        assert_eq!(got[0].headers.get("CC"), Some(&strs(&["k2"])), "{q}: CC is kept");
        assert_eq!(got[0].header_str("app"), Some("v"));
    }
    assert!(h.drain(ch, "q4").is_empty());
    // Through the default exchange the CC keys name queues.
    h.publish_with(ch, "", "q1", "dflt", with_headers(headers([("CC", strs(&["q4"]))]))).unwrap();
    assert_eq!((h.drain(ch, "q1"), h.drain(ch, "q4")), (vec!["dflt".to_string()], vec!["dflt".to_string()]));
}
