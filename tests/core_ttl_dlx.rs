#![cfg(not(target_arch = "wasm32"))]
//! Time and death: per-queue and per-message TTL with a fake clock, TTL 0, expiry of requeued
//! messages, dead-lettering and its `x-death` record, dead-letter routing (routing-key
//! override, CC/BCC), cycles, and per-message delay (`x-delay`). Each case follows RabbitMQ's
//! documentation (ttl, dlx, sender-selected); `x-delay` is a switchyard addition.

mod common;

use common::*;
use switchyard::core::*;

/// A plausible wall-clock start, so `x-death` times are meaningful.
const T0: u64 = 1_700_000_000_000;

fn setup() -> (Harness, ChannelId) {
    let mut h = Harness::new();
    h.now = T0;
    let ch = h.ch();
    h.exchange(ch, "dlx", ExchangeKind::Fanout);
    h.queue(ch, "dead", FieldTable::new());
    h.bind(ch, "dead", "dlx", "");
    (h, ch)
}

fn int(v: i64) -> FieldValue {
    FieldValue::Int(v)
}

#[test]
fn queue_ttl_expires_at_the_deadline_and_dead_letters_with_x_death() {
    let (mut h, ch) = setup();
    h.exchange(ch, "work", ExchangeKind::Direct);
    h.queue(ch, "ttl", headers([("x-message-ttl", 1000.into()), ("x-dead-letter-exchange", "dlx".into())]));
    h.bind(ch, "ttl", "work", "job");
    h.publish(ch, "work", "job", "m");
    assert_eq!(h.broker.poll_timeout(), Some(T0 + 1000));
    h.advance(999);
    assert_eq!((h.ready("ttl"), h.ready("dead")), (1, 0));
    h.advance(1);
    assert_eq!((h.ready("ttl"), h.ready("dead")), (0, 1));

    let dead = h.drain_got(ch, "dead");
    let g = &dead[0];
    assert_eq!((g.body.as_str(), g.exchange.as_str(), g.routing_key.as_str()), ("m", "dlx", "job"));
    let xd = g.x_death();
    assert_eq!(xd.len(), 1);
    let d = &xd[0];
    assert_eq!(d.get("count"), Some(&int(1)));
    assert_eq!(d.get("reason"), Some(&"expired".into()));
    assert_eq!(d.get("queue"), Some(&"ttl".into()));
    assert_eq!(d.get("exchange"), Some(&"work".into()));
    assert_eq!(d.get("routing-keys"), Some(&strs(&["job"])));
    // dlx: "time: the date and time the message was dead lettered as a 64-bit AMQP 0-9-1
    // timestamp" (seconds since the epoch).
    assert_eq!(d.get("time"), Some(&FieldValue::Timestamp((T0 + 1000) / 1000)));
    assert!(!d.contains_key("original-expiration"), "no per-message TTL was set");
    assert_eq!(g.header_str("x-first-death-reason"), Some("expired"));
    assert_eq!(g.header_str("x-first-death-queue"), Some("ttl"));
    assert_eq!(g.header_str("x-first-death-exchange"), Some("work"));
    let s = h.stats("ttl");
    assert_eq!((s.dead_lettered, s.delivered), (1, 0));
}

#[test]
fn expired_messages_are_never_handed_out() {
    // ttl: "The server guarantees that expired messages will not be delivered using
    // basic.deliver (to a consumer) or sent in response to a polling consumer."
    let (mut h, ch) = setup();
    h.queue(ch, "ttl", headers([("x-message-ttl", 1000.into())]));
    h.publish(ch, "", "ttl", "stale");
    h.now += 1001; // no timer has run yet
    assert!(h.get(ch, "ttl").is_none());
    h.publish(ch, "", "ttl", "stale2");
    h.now += 1001;
    h.consume(ch, "ttl", "late");
    assert!(h.deliveries().is_empty());
    assert_eq!(h.ready("ttl"), 0);
}

#[test]
fn message_ttl_smaller_of_queue_and_message_wins() {
    let (mut h, ch) = setup();
    h.queue(ch, "mt", headers([("x-message-ttl", 5000.into()), ("x-dead-letter-exchange", "dlx".into())]));
    h.publish_with(ch, "", "mt", "short", with_expiration("1000")).unwrap();
    h.advance(999);
    assert_eq!(h.ready("mt"), 1);
    h.advance(1);
    assert_eq!(h.ready("mt"), 0);
    let g = h.drain_got(ch, "dead").remove(0);
    assert_eq!(g.body, "short");
    assert_eq!(g.properties.expiration, None, "expiration is removed on dead-lettering");
    let d = &g.x_death()[0];
    assert_eq!(d.get("original-expiration"), Some(&"1000".into()));
    assert_eq!(d.get("reason"), Some(&"expired".into()));

    h.publish_with(ch, "", "mt", "long", with_expiration("9000")).unwrap();
    h.advance(4999);
    assert_eq!(h.ready("mt"), 1);
    h.advance(1);
    assert_eq!(h.ready("mt"), 0, "the queue's 5000 ms is smaller than 9000");
    assert_eq!(h.drain(ch, "dead"), vec!["long"]);

    h.queue(ch, "nottl", headers([("x-dead-letter-exchange", "dlx".into())]));
    h.publish_with(ch, "", "nottl", "own", with_expiration("500")).unwrap();
    h.advance(500);
    assert_eq!((h.ready("nottl"), h.drain(ch, "dead")), (0, vec!["own".to_string()]));
}

#[test]
fn per_message_ttl_expires_only_at_the_head() {
    // ttl: "Only when expired messages reach the head of a queue will they actually be
    // discarded ... expired messages can queue up behind non-expired ones".
    let (mut h, ch) = setup();
    h.queue(ch, "heads", FieldTable::new());
    h.publish_with(ch, "", "heads", "long", with_expiration("10000")).unwrap();
    h.publish_with(ch, "", "heads", "short", with_expiration("100")).unwrap();
    h.advance(200);
    assert_eq!(h.ready("heads"), 2, "short is stuck behind long");
    assert_eq!(h.get(ch, "heads").map(|g| g.body), Some("long".to_string()));
    assert!(h.get(ch, "heads").is_none(), "but it is never delivered");
}

#[test]
fn ttl_zero_delivers_only_to_a_waiting_consumer() {
    // ttl: "Setting the TTL to 0 causes messages to be expired upon reaching a queue unless
    // they can be delivered to a consumer immediately ... if a dead letter exchange is set then
    // messages will be dead-lettered."
    let (mut h, ch) = setup();
    h.queue(ch, "zero", headers([("x-message-ttl", 0.into()), ("x-dead-letter-exchange", "dlx".into())]));
    h.publish(ch, "", "zero", "nobody-home");
    assert_eq!((h.ready("zero"), h.drain(ch, "dead")), (0, vec!["nobody-home".to_string()]));
    assert!(h.returns().is_empty(), "no basic.return for TTL 0");

    let c = h.ch();
    h.broker.basic_qos(c, 1, false, h.now).unwrap();
    h.consume(c, "zero", "c");
    h.publish(ch, "", "zero", "caught");
    assert_eq!(h.delivered(), [("c".to_string(), "caught".to_string())]);
    // The consumer is now at its prefetch limit: the next message cannot go out at once.
    h.publish(ch, "", "zero", "too-late");
    assert!(h.deliveries().is_empty());
    assert_eq!((h.ready("zero"), h.drain(ch, "dead")), (0, vec!["too-late".to_string()]));

    // expiration "0" on a queue without TTL behaves the same.
    h.queue(ch, "plain", headers([("x-dead-letter-exchange", "dlx".into())]));
    h.publish_with(ch, "", "plain", "p0", with_expiration("0")).unwrap();
    assert_eq!((h.ready("plain"), h.drain(ch, "dead")), (0, vec!["p0".to_string()]));
}

#[test]
fn requeued_messages_keep_their_original_expiry() {
    // ttl: "The original expiry time of a message is preserved if it is requeued (for example
    // due to the use of an AMQP method that features a requeue parameter, or due to a channel
    // closure)."
    let (mut h, ch) = setup();
    h.queue(ch, "rk", headers([("x-message-ttl", 1000.into()), ("x-dead-letter-exchange", "dlx".into())]));
    h.publish(ch, "", "rk", "a");
    h.advance(100);
    let g = h.get(ch, "rk").unwrap();
    h.advance(500);
    h.nack(ch, g.delivery_tag, true);
    h.advance(399);
    assert_eq!(h.ready("rk"), 1, "not yet: expires at publish + 1000");
    h.advance(1);
    assert_eq!((h.ready("rk"), h.drain(ch, "dead")), (0, vec!["a".to_string()]));

    // Held unacknowledged past its expiry, it does not expire in the consumer's hands, but is
    // expired as soon as it is requeued (here by closing the channel).
    h.publish(ch, "", "rk", "b");
    let c = h.ch();
    let g = h.get(c, "rk").unwrap();
    h.advance(5000);
    assert_eq!(h.ready("dead"), 0);
    assert_eq!(g.body, "b");
    h.broker.close_channel(c, h.now).unwrap();
    assert_eq!((h.ready("rk"), h.drain(ch, "dead")), (0, vec!["b".to_string()]));
}

#[test]
fn invalid_expiration_is_refused_with_406() {
    let mut h = Harness::new();
    for bad in ["abc", "-1", "1.5", " 10"] {
        let ch = h.ch();
        h.queue(ch, "q", FieldTable::new());
        let e = assert_code(h.publish_with(ch, "", "q", "m", with_expiration(bad)), 406);
        assert!(e.text.contains("expiration"), "{bad:?}: {}", e.text);
        assert!(!h.broker.channel_is_open(ch), "{bad:?}");
        assert_eq!(h.ready("q"), 0, "{bad:?}");
    }
}

/// `work` (direct) feeds `src` with key `job`; `dlxd` (direct) has `dead` on `dead-key`,
/// `orig` on `job`, `ccq` on `cc-key` and `bccq` on `bcc-key`.
fn dlrk_topology(h: &mut Harness, ch: ChannelId, src_args: FieldTable) {
    h.exchange(ch, "work", ExchangeKind::Direct);
    h.exchange(ch, "dlxd", ExchangeKind::Direct);
    h.queue(ch, "src", src_args);
    h.bind(ch, "src", "work", "job");
    for (q, k) in [("dead", "dead-key"), ("orig", "job"), ("ccq", "cc-key"), ("bccq", "bcc-key")] {
        h.queue(ch, q, FieldTable::new());
        h.bind(ch, q, "dlxd", k);
    }
}

fn reject_head(h: &mut Harness, ch: ChannelId, q: &str) {
    let g = h.get(ch, q).expect("a message to reject");
    h.nack(ch, g.delivery_tag, false);
}

#[test]
fn dead_letter_routing_key_replaces_the_key() {
    let mut h = Harness::new();
    let ch = h.ch();
    let args = headers([("x-dead-letter-exchange", "dlxd".into()), ("x-dead-letter-routing-key", "dead-key".into())]);
    dlrk_topology(&mut h, ch, args);
    h.publish(ch, "work", "job", "r");
    reject_head(&mut h, ch, "src");
    assert!(h.drain(ch, "orig").is_empty());
    let g = h.drain_got(ch, "dead").remove(0);
    assert_eq!((g.exchange.as_str(), g.routing_key.as_str()), ("dlxd", "dead-key"));
    let d = &g.x_death()[0];
    assert_eq!(d.get("reason"), Some(&"rejected".into()));
    assert_eq!(d.get("routing-keys"), Some(&strs(&["job"])), "x-death keeps the original keys");
    assert_eq!(d.get("exchange"), Some(&"work".into()));
}

#[test]
fn without_a_dead_letter_routing_key_the_original_keys_and_cc_are_used() {
    let mut h = Harness::new();
    let ch = h.ch();
    dlrk_topology(&mut h, ch, headers([("x-dead-letter-exchange", "dlxd".into())]));
    h.publish_with(ch, "work", "job", "r", with_headers(headers([("CC", strs(&["cc-key"]))]))).unwrap();
    reject_head(&mut h, ch, "src");
    assert_eq!(h.drain(ch, "orig"), vec!["r"]);
    let g = h.drain_got(ch, "ccq").remove(0);
    assert_eq!(g.x_death()[0].get("routing-keys"), Some(&strs(&["job", "cc-key"])));
    assert!(h.drain(ch, "dead").is_empty());
}

#[test]
fn dead_letter_routing_key_drops_the_cc_header() {
    // dlx: "the routing key may be replaced with that specified in a queue performing dead
    // lettering, if the above happens, the CC header will also be removed".
    let mut h = Harness::new();
    let ch = h.ch();
    let args = headers([("x-dead-letter-exchange", "dlxd".into()), ("x-dead-letter-routing-key", "dead-key".into())]);
    dlrk_topology(&mut h, ch, args);
    h.publish_with(ch, "work", "job", "r", with_headers(headers([("CC", strs(&["cc-key"]))]))).unwrap();
    reject_head(&mut h, ch, "src");
    let dead = h.drain_got(ch, "dead");
    assert_eq!(dead.len(), 1);
    assert!(!dead[0].headers.contains_key("CC"), "CC must be removed: {:?}", dead[0].headers);
    assert!(h.drain(ch, "ccq").is_empty(), "only the dead-letter routing key routes");
}

#[test]
fn without_a_dead_letter_routing_key_bcc_keys_route_too() {
    // dlx: "if a specific routing key was not set for the queue, messages on it are
    // dead-lettered with all their original routing keys. This includes routing keys added by
    // the CC and BCC headers"; x-death routing-keys exclude BCC ones.
    let mut h = Harness::new();
    let ch = h.ch();
    dlrk_topology(&mut h, ch, headers([("x-dead-letter-exchange", "dlxd".into())]));
    h.publish_with(ch, "work", "job", "r", with_headers(headers([("BCC", strs(&["bcc-key"]))]))).unwrap();
    reject_head(&mut h, ch, "src");
    assert_eq!(h.drain(ch, "orig"), vec!["r"]);
    let bcc = h.drain_got(ch, "bccq");
    assert_eq!(bcc.len(), 1, "the BCC route is used when dead-lettering");
    assert!(!bcc[0].headers.contains_key("BCC"));
    assert_eq!(bcc[0].x_death()[0].get("routing-keys"), Some(&strs(&["job"])));
}

#[test]
fn x_death_count_grows_on_repeated_deaths_in_the_same_queue() {
    // A retry loop: rejected from `w` to `retry`, expired from `retry` back to `w`.
    let mut h = Harness::new();
    h.now = T0;
    let ch = h.ch();
    h.queue(ch, "w", headers([("x-dead-letter-exchange", "".into()), ("x-dead-letter-routing-key", "retry".into())]));
    h.queue(
        ch,
        "retry",
        headers([
            ("x-message-ttl", 100.into()),
            ("x-dead-letter-exchange", "".into()),
            ("x-dead-letter-routing-key", "w".into()),
        ]),
    );
    let c = h.ch();
    h.consume(c, "w", "c");
    h.publish(ch, "", "w", "job");
    let summary = |g: &Got| {
        g.x_death()
            .iter()
            .map(|d| {
                let s = |k: &str| d.get(k).and_then(FieldValue::as_str).unwrap_or("?").to_string();
                (s("queue"), s("reason"), d.get("count").and_then(FieldValue::as_int).unwrap_or(-1))
            })
            .collect::<Vec<_>>()
    };
    let mut rounds = Vec::new();
    for _ in 0..3 {
        let g = h.deliveries().remove(0);
        assert!(!g.redelivered, "a dead-lettered message arrives as a new message");
        rounds.push(summary(&g));
        if rounds.len() == 3 {
            assert_eq!(g.header_str("x-first-death-reason"), Some("rejected"));
            assert_eq!(g.header_str("x-first-death-queue"), Some("w"));
            assert_eq!(g.header_str("x-last-death-reason"), Some("expired"));
            assert_eq!(g.header_str("x-last-death-queue"), Some("retry"));
            break;
        }
        h.nack(c, g.delivery_tag, false);
        assert_eq!(h.ready("retry"), 1);
        h.advance(100);
    }
    let s = |q: &str, r: &str, n: i64| (q.to_string(), r.to_string(), n);
    assert_eq!(rounds[0], vec![]);
    assert_eq!(rounds[1], vec![s("retry", "expired", 1), s("w", "rejected", 1)]);
    assert_eq!(rounds[2], vec![s("retry", "expired", 2), s("w", "rejected", 2)]);
}

#[test]
fn automatic_dead_letter_cycle_is_dropped() {
    // dlx: "Messages in such cycles (that is, messages that reach the same queue twice) are
    // dropped if there was no rejection in the entire cycle."
    let mut h = Harness::new();
    let ch = h.ch();
    let args = |to: &str| {
        headers([
            ("x-message-ttl", 100.into()),
            ("x-dead-letter-exchange", "".into()),
            ("x-dead-letter-routing-key", to.into()),
        ])
    };
    h.queue(ch, "q1", args("q2"));
    h.queue(ch, "q2", args("q1"));
    h.publish(ch, "", "q1", "loop");
    h.advance(100);
    assert_eq!((h.ready("q1"), h.ready("q2")), (0, 1));
    h.advance(100);
    assert_eq!((h.ready("q1"), h.ready("q2")), (0, 0));
    h.advance(10_000);
    assert_eq!((h.ready("q1"), h.ready("q2")), (0, 0));
    assert_eq!(h.stats("q1").published, 1, "it never re-entered q1");
    assert_eq!(h.broker.poll_timeout(), None);
}

#[test]
fn an_expiring_queue_does_not_dead_letter_its_messages() {
    // dlx: "If an entire queue expires, the messages in the queue are not dead-lettered."
    let (mut h, ch) = setup();
    h.queue(ch, "temp", headers([("x-expires", 1000.into()), ("x-dead-letter-exchange", "dlx".into())]));
    h.publish(ch, "", "temp", "left-behind");
    h.advance(1000);
    assert!(!h.queue_exists("temp"));
    assert_eq!(h.ready("dead"), 0);
}

#[test]
fn a_missing_dead_letter_exchange_drops_silently() {
    // dlx: "the exchange does not have to be declared when the queue is declared but it should
    // exist by the time messages need to be dead-lettered. If it is missing then, the messages
    // are silently dropped."
    let (mut h, ch) = setup();
    h.queue(ch, "orphan", headers([("x-dead-letter-exchange", "not-declared".into())]));
    h.publish(ch, "", "orphan", "m");
    reject_head(&mut h, ch, "orphan");
    assert!(h.broker.channel_is_open(ch));
    assert_eq!((h.ready("orphan"), h.ready("dead")), (0, 0));
    assert!(h.other_events().is_empty());
}

#[test]
fn x_delay_routes_only_after_the_delay() {
    let mut h = Harness::new();
    let ch = h.ch();
    h.exchange(ch, "later", ExchangeKind::Fanout);
    let delayed = |ms: i64| with_headers(headers([("x-delay", ms.into())]));
    h.publish_with(ch, "later", "", "d", delayed(1000)).unwrap();
    assert_eq!(h.broker.delayed_count(), 1);
    // Routing happens at the due time: a queue bound meanwhile receives it.
    h.advance(500);
    h.queue(ch, "dq", FieldTable::new());
    h.bind(ch, "dq", "later", "");
    h.advance(499);
    assert_eq!(h.ready("dq"), 0);
    h.advance(1);
    assert_eq!(h.ready("dq"), 1);
    assert_eq!(h.broker.delayed_count(), 0);
    assert_eq!(h.drain(ch, "dq"), vec!["d"]);
}

#[test]
fn x_delay_mandatory_unroutable_is_returned_when_due() {
    let mut h = Harness::new();
    let ch = h.ch();
    let props = with_headers(headers([("x-delay", 300.into())]));
    h.publish_mandatory(ch, "", "nobody", "late-bounce", props).unwrap();
    assert!(h.returns().is_empty(), "not returned at publish time");
    h.advance(299);
    assert!(h.returns().is_empty());
    h.advance(1);
    assert_eq!(h.returns(), vec![(ch, 312, "nobody".to_string(), "late-bounce".to_string())]);
}
