#![cfg(not(target_arch = "wasm32"))]
//! Publisher confirms and persistence: sequence numbers, when acks and nacks are sent, which
//! store operations are emitted, and restoring a broker from what a store built by applying
//! those operations holds. Follows RabbitMQ's documentation (confirms, queues#durability,
//! publishers) and the `StoreOp` contract of the core.

mod common;

use std::collections::BTreeMap;

use common::*;
use switchyard::core::*;

/// A store that applies operations exactly as `StoreOp`'s documentation describes them.
#[derive(Default)]
struct MemStore {
    exchanges: BTreeMap<String, ExchangeRecord>,
    queues: BTreeMap<String, QueueRecord>,
    bindings: Vec<Binding>,
    messages: BTreeMap<(String, u64), MessageRecord<Vec<u8>>>,
    delayed: BTreeMap<u64, DelayedRecord<Vec<u8>>>,
}

impl MemStore {
    fn apply(&mut self, op: StoreOp<Vec<u8>>) {
        match op {
            StoreOp::PutExchange(x) => {
                self.exchanges.insert(x.name.clone(), x);
            }
            StoreOp::DeleteExchange(n) => {
                self.exchanges.remove(&n);
            }
            StoreOp::PutQueue(q) => {
                self.queues.insert(q.name.clone(), q);
            }
            StoreOp::DeleteQueue(n) => {
                self.queues.remove(&n);
                self.messages.retain(|(q, _), _| *q != n);
            }
            StoreOp::PutBinding(b) => {
                if !self.bindings.contains(&b) {
                    self.bindings.push(b);
                }
            }
            StoreOp::DeleteBinding(b) => self.bindings.retain(|x| *x != b),
            StoreOp::PutMessage(m) => {
                self.messages.insert((m.queue.clone(), m.id), m);
            }
            StoreOp::UpdateMessage { queue, id, delivery_count, not_before } => {
                let m = self.messages.get_mut(&(queue, id)).expect("update of a stored message");
                m.delivery_count = delivery_count;
                m.not_before = not_before;
            }
            StoreOp::DeleteMessage { queue, id } => {
                self.messages.remove(&(queue, id));
            }
            StoreOp::PutDelayed(d) => {
                self.delayed.insert(d.id, d);
            }
            StoreOp::DeleteDelayed(id) => {
                self.delayed.remove(&id);
            }
        }
    }

    fn snapshot(&self) -> Snapshot<Vec<u8>> {
        Snapshot {
            exchanges: self.exchanges.values().cloned().collect(),
            queues: self.queues.values().cloned().collect(),
            bindings: self.bindings.clone(),
            messages: self.messages.values().cloned().collect(),
            delayed: self.delayed.values().cloned().collect(),
        }
    }

    /// Takes, applies and commits every pending batch.
    fn sync(&mut self, h: &mut Harness) {
        while let Some(batch) = h.broker.take_store_batch() {
            for op in batch.ops {
                self.apply(op);
            }
            h.broker.handle_store_committed(batch.id);
        }
    }
}

/// One line per operation, for comparing what was emitted.
fn describe(op: &StoreOp<Vec<u8>>) -> String {
    match op {
        StoreOp::PutExchange(x) => format!("PutExchange {}", x.name),
        StoreOp::DeleteExchange(n) => format!("DeleteExchange {n}"),
        StoreOp::PutQueue(q) => format!("PutQueue {}", q.name),
        StoreOp::DeleteQueue(n) => format!("DeleteQueue {n}"),
        StoreOp::PutBinding(b) => format!("PutBinding {}->{}:{}", b.source, b.destination.name(), b.key),
        StoreOp::DeleteBinding(b) => format!("DeleteBinding {}->{}:{}", b.source, b.destination.name(), b.key),
        StoreOp::PutMessage(m) => format!("PutMessage {} {}", m.queue, String::from_utf8_lossy(&m.message.body)),
        StoreOp::UpdateMessage { queue, delivery_count, not_before, .. } => {
            format!("UpdateMessage {queue} count={delivery_count} not_before={not_before:?}")
        }
        StoreOp::DeleteMessage { queue, .. } => format!("DeleteMessage {queue}"),
        StoreOp::PutDelayed(d) => format!("PutDelayed {}", d.id),
        StoreOp::DeleteDelayed(id) => format!("DeleteDelayed {id}"),
    }
}

fn batch_lines(h: &mut Harness) -> Vec<String> {
    let mut out = Vec::new();
    while let Some(b) = h.broker.take_store_batch() {
        out.extend(b.ops.iter().map(describe));
        h.broker.handle_store_committed(b.id);
    }
    out
}

fn transient_queue() -> QueueOptions {
    QueueOptions { durable: false, ..Default::default() }
}

#[test]
fn confirm_sequence_numbers_start_at_one_per_channel() {
    let mut h = Harness::new();
    let (a, b, plain) = (h.ch(), h.ch(), h.ch());
    h.queue(a, "q", FieldTable::new());
    h.broker.confirm_select(a, 0).unwrap();
    h.broker.confirm_select(b, 0).unwrap();
    let seq_a: Vec<_> = (0..3).map(|_| h.publish(a, "", "q", "m")).collect();
    let seq_b = h.publish(b, "", "q", "m");
    assert_eq!(seq_a, [Some(1), Some(2), Some(3)]);
    assert_eq!(seq_b, Some(1));
    assert_eq!(h.publish(plain, "", "q", "m"), None, "no confirms without confirm.select");
    assert_eq!(h.confirms(), vec![(a, 1, true), (a, 2, true), (a, 3, true), (b, 1, true)]);
}

#[test]
fn unroutable_messages_are_acked_after_their_return() {
    // confirms: for unroutable messages the broker confirms once the exchange verifies the
    // message won't route; for mandatory ones basic.return is sent before basic.ack.
    let mut h = Harness::new();
    let ch = h.ch();
    h.broker.confirm_select(ch, 0).unwrap();
    h.publish(ch, "amq.direct", "nowhere", "lost");
    h.publish_mandatory(ch, "amq.direct", "nowhere", "bounce", Properties::default()).unwrap();
    let events = h.events();
    let shape: Vec<String> = events
        .iter()
        .map(|e| match e {
            Event::Confirm { seq, ack, .. } => format!("confirm {seq} {ack}"),
            Event::Return { reply, .. } => format!("return {}", reply.code.code()),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(shape, ["confirm 1 true", "return 312", "confirm 2 true"]);
}

#[test]
fn persistent_messages_to_durable_queues_are_acked_after_the_store_commits() {
    let mut h = Harness::persistent();
    let ch = h.ch();
    h.queue(ch, "dq", FieldTable::new());
    h.declare_queue(ch, "tq", transient_queue()).unwrap();
    batch_lines(&mut h);
    h.broker.confirm_select(ch, 0).unwrap();
    assert_eq!(h.publish_with(ch, "", "dq", "p", persistent()).unwrap(), Some(1));
    assert_eq!(h.publish(ch, "", "dq", "t"), Some(2));
    assert_eq!(h.publish_with(ch, "", "tq", "p-in-transient-q", persistent()).unwrap(), Some(3));
    let mut now = h.confirms();
    now.sort();
    assert_eq!(now, vec![(ch, 2, true), (ch, 3, true)], "transient cases are acked at once");
    assert!(h.broker.has_store_work());
    let batch = h.broker.take_store_batch().expect("a batch");
    assert_eq!(batch.ops.iter().map(describe).collect::<Vec<_>>(), ["PutMessage dq p"]);
    assert!(h.confirms().is_empty(), "not before the batch commits");
    h.broker.handle_store_committed(batch.id);
    assert_eq!(h.confirms(), vec![(ch, 1, true)]);
    assert!(h.broker.take_store_batch().is_none());
}

#[test]
fn a_failed_store_batch_nacks_its_publishes() {
    let mut h = Harness::persistent();
    let ch = h.ch();
    h.queue(ch, "dq", FieldTable::new());
    batch_lines(&mut h);
    h.broker.confirm_select(ch, 0).unwrap();
    h.publish_with(ch, "", "dq", "a", persistent()).unwrap();
    h.publish_with(ch, "", "dq", "b", persistent()).unwrap();
    let batch = h.broker.take_store_batch().unwrap();
    h.publish_with(ch, "", "dq", "c", persistent()).unwrap();
    h.broker.handle_store_failed(batch.id);
    assert_eq!(h.confirms(), vec![(ch, 1, false), (ch, 2, false)]);
    assert_eq!(h.ready("dq"), 1, "the nacked publishes are taken back; c (in the next batch) stays");
    assert_eq!(h.stats("dq").dropped, 2);
    let next = h.broker.take_store_batch().unwrap();
    h.broker.handle_store_committed(next.id);
    assert_eq!(h.confirms(), vec![(ch, 3, true)]);
}

#[test]
fn store_operations_cover_only_durable_things() {
    let mut h = Harness::persistent();
    let ch = h.ch();
    h.exchange(ch, "dx", ExchangeKind::Direct);
    h.declare_exchange(ch, "tx", ExchangeKind::Direct, ExchangeOptions { durable: false, ..Default::default() })
        .unwrap();
    h.queue(ch, "dq", FieldTable::new());
    h.declare_queue(ch, "tq", transient_queue()).unwrap();
    h.declare_queue(ch, "xq", QueueOptions { exclusive: true, ..Default::default() }).unwrap();
    for (q, x) in [("dq", "dx"), ("tq", "dx"), ("dq", "tx"), ("xq", "dx"), ("dq", "amq.direct")] {
        h.bind(ch, q, x, "k");
    }
    h.publish_with(ch, "dx", "k", "durable-msg", persistent()).unwrap();
    h.publish(ch, "dx", "k", "transient-msg");
    assert_eq!(
        batch_lines(&mut h),
        [
            "PutExchange dx",
            "PutQueue dq",
            "PutBinding dx->dq:k",
            "PutBinding amq.direct->dq:k",
            "PutMessage dq durable-msg",
        ]
    );
    // Deleting transient things emits nothing; durable ones are deleted.
    h.broker.queue_delete(ch, "tq", false, false, 0).unwrap();
    h.broker.exchange_delete(ch, "tx", false, 0).unwrap();
    assert!(batch_lines(&mut h).is_empty());

    // With persistence off, nothing at all.
    let mut mem = Harness::new();
    let ch = mem.ch();
    mem.exchange(ch, "dx", ExchangeKind::Direct);
    mem.queue(ch, "dq", FieldTable::new());
    mem.bind(ch, "dq", "dx", "k");
    mem.publish_with(ch, "dx", "k", "m", persistent()).unwrap();
    assert!(mem.broker.take_store_batch().is_none());
}

#[test]
fn deliveries_update_and_settlements_delete_stored_messages() {
    let mut h = Harness::persistent();
    let ch = h.ch();
    h.queue(ch, "dq", FieldTable::new());
    for b in ["a", "b", "c", "d"] {
        h.publish_with(ch, "", "dq", b, persistent()).unwrap();
    }
    batch_lines(&mut h);
    let a = h.get(ch, "dq").unwrap();
    assert_eq!(batch_lines(&mut h), ["UpdateMessage dq count=1 not_before=None"]);
    h.ack(ch, a.delivery_tag);
    assert_eq!(batch_lines(&mut h), ["DeleteMessage dq"]);
    h.broker.basic_get(ch, "dq", true, 0).unwrap().unwrap(); // no-ack: gone at once
    assert_eq!(batch_lines(&mut h), ["DeleteMessage dq"]);
    let c = h.get(ch, "dq").unwrap();
    h.broker.basic_nack_delayed(ch, c.delivery_tag, false, 500, 0).unwrap();
    assert_eq!(
        batch_lines(&mut h),
        ["UpdateMessage dq count=1 not_before=None", "UpdateMessage dq count=1 not_before=Some(500)"]
    );
    let d = h.get(ch, "dq").unwrap();
    h.nack(ch, d.delivery_tag, false); // no DLX: dropped
    assert_eq!(batch_lines(&mut h), ["UpdateMessage dq count=1 not_before=None", "DeleteMessage dq"]);
    assert_eq!(h.broker.queue_purge(ch, "dq", 0).unwrap(), 0);
}

/// Builds durable state, syncs it into a store, and restores a new broker from it after a
/// "crash" that left one message unacknowledged and let another expire.
#[test]
fn restore_brings_back_topology_and_messages() {
    let mut h = Harness::persistent();
    h.now = 1_000;
    let ch = h.ch();
    h.exchange(ch, "orders", ExchangeKind::Direct);
    h.exchange(ch, "dlx", ExchangeKind::Fanout);
    h.queue(ch, "jobs", FieldTable::new());
    h.queue(ch, "dead", FieldTable::new());
    h.queue(ch, "ttlq", headers([("x-message-ttl", 5000.into()), ("x-dead-letter-exchange", "dlx".into())]));
    h.declare_queue(ch, "tmp", transient_queue()).unwrap();
    h.bind(ch, "jobs", "orders", "new");
    h.bind(ch, "tmp", "orders", "new");
    h.bind(ch, "dead", "dlx", "");
    for b in ["m1", "m2", "m3"] {
        h.publish_with(ch, "orders", "new", b, persistent()).unwrap();
    }
    h.publish(ch, "orders", "new", "transient");
    h.publish_with(ch, "", "ttlq", "exp", persistent()).unwrap();
    let m1 = h.get(ch, "jobs").unwrap();
    assert_eq!(m1.body, "m1");
    let m2 = h.get(ch, "jobs").unwrap();
    h.ack(ch, m2.delivery_tag);
    let mut store = MemStore::default();
    store.sync(&mut h);
    let snapshot = store.snapshot();
    let max_id = snapshot.messages.iter().map(|m| m.id).max().unwrap();
    assert_eq!(snapshot.messages.len(), 3, "m1 (unacked), m3, exp");

    // The broker "crashes" (m1 is still unacked) and comes back after exp's TTL.
    let config = BrokerConfig { persistence: true, ..Default::default() };
    let restored = Broker::restore(config, snapshot, 10_000);
    let mut r = Harness::from_broker(restored, 10_000);

    let xs = r.broker.exchanges();
    let orders = xs.iter().find(|x| x.name == "orders").expect("orders restored");
    assert_eq!((orders.kind, orders.options.durable), (ExchangeKind::Direct, true));
    assert!(r.exchange_exists("dlx") && r.exchange_exists("amq.topic"));
    assert!(r.queue_exists("jobs") && r.queue_exists("dead") && r.queue_exists("ttlq"));
    assert!(!r.queue_exists("tmp"), "transient queues do not survive");
    let bindings: Vec<String> =
        r.broker.bindings().iter().map(|b| format!("{}->{}:{}", b.source, b.destination.name(), b.key)).collect();
    assert_eq!(bindings, ["dlx->dead:", "orders->jobs:new"]);

    // Expired while down: dead-lettered at restore time.
    let rch = r.ch();
    assert_eq!(r.ready("ttlq"), 0);
    let dead = r.drain_got(rch, "dead");
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].body, "exp");
    assert_eq!(dead[0].x_death()[0].get("reason"), Some(&"expired".into()));
    assert_eq!(dead[0].x_death()[0].get("queue"), Some(&"ttlq".into()));

    // Messages in order; the delivered-but-unacked one comes back redelivered.
    r.publish_with(rch, "orders", "new", "m4", persistent()).unwrap();
    let new_ops: Vec<StoreOp<Vec<u8>>> =
        std::iter::from_fn(|| r.broker.take_store_batch()).flat_map(|b| b.ops).collect();
    let m4_id = new_ops
        .iter()
        .find_map(|op| match op {
            StoreOp::PutMessage(m) if m.message.body == b"m4" => Some(m.id),
            _ => None,
        })
        .expect("m4 stored");
    assert!(m4_id > max_id, "ids continue after the restored ones ({m4_id} <= {max_id})");
    for op in new_ops {
        store.apply(op);
    }
    let got = r.drain_got(rch, "jobs");
    let seen: Vec<(&str, bool)> = got.iter().map(|g| (g.body.as_str(), g.redelivered)).collect();
    assert_eq!(seen, [("m1", true), ("m3", false), ("m4", false)]);
    assert_eq!(store.messages.keys().filter(|(q, _)| q == "jobs").count(), 3, "no id collided in the store");
}

#[test]
fn restore_keeps_delayed_and_parked_messages() {
    let mut h = Harness::persistent();
    let ch = h.ch();
    h.queue(ch, "dq", FieldTable::new());
    let props =
        Properties { delivery_mode: Some(2), headers: Some(headers([("x-delay", 5000.into())])), ..Default::default() };
    h.publish_with(ch, "", "dq", "later", props).unwrap();
    h.publish_with(ch, "", "dq", "parked", persistent()).unwrap();
    let g = h.get(ch, "dq").unwrap();
    h.broker.basic_nack_delayed(ch, g.delivery_tag, false, 3000, 0).unwrap();
    let mut store = MemStore::default();
    store.sync(&mut h);

    let config = BrokerConfig { persistence: true, ..Default::default() };
    let mut r = Harness::from_broker(Broker::restore(config, store.snapshot(), 1000), 1000);
    let rch = r.ch();
    assert_eq!((r.ready("dq"), r.stats("dq").messages_delayed, r.broker.delayed_count()), (0, 1, 1));
    r.advance(2000); // t = 3000: the parked message is back
    let got = r.drain_got(rch, "dq");
    assert_eq!(got.iter().map(|g| (g.body.as_str(), g.redelivered)).collect::<Vec<_>>(), [("parked", true)]);
    r.advance(2000); // t = 5000: the delayed message is routed
    assert_eq!(r.drain(rch, "dq"), vec!["later"]);
}

#[test]
fn deleted_durable_queues_do_not_bring_their_bindings_back() {
    // A deleted queue's bindings are gone for good (RabbitMQ removes a queue's bindings with
    // it); a later queue of the same name must not inherit them after a restart.
    let mut h = Harness::persistent();
    let ch = h.ch();
    h.exchange(ch, "x", ExchangeKind::Fanout);
    h.queue(ch, "q", FieldTable::new());
    h.bind(ch, "q", "x", "");
    h.broker.queue_delete(ch, "q", false, false, 0).unwrap();
    h.queue(ch, "q", FieldTable::new());
    h.exchange(ch, "y", ExchangeKind::Fanout);
    h.exchange(ch, "z", ExchangeKind::Fanout);
    h.broker.exchange_bind(ch, "z", "y", "", FieldTable::new(), 0).unwrap();
    h.broker.exchange_delete(ch, "z", false, 0).unwrap();
    h.exchange(ch, "z", ExchangeKind::Fanout);
    assert!(h.broker.bindings().is_empty());
    let mut store = MemStore::default();
    store.sync(&mut h);
    assert!(store.bindings.is_empty(), "stale bindings left in the store: {:?}", store.bindings);
    let config = BrokerConfig { persistence: true, ..Default::default() };
    let r = Broker::<Vec<u8>>::restore(config, store.snapshot(), 0);
    assert!(r.bindings().is_empty(), "resurrected bindings: {:?}", r.bindings());
}
