//! A store in memory: applies batches to maps and hands them back as a snapshot.

use crate::core::{
    Binding, DelayedRecord, ExchangeRecord, MessageRecord, QueueRecord, Snapshot, StoreBatch, StoreOp,
};
use std::collections::BTreeMap;

/// Durable state as a store would hold it.
#[derive(Debug, Clone)]
pub struct MemoryStore<B> {
    exchanges: BTreeMap<String, ExchangeRecord>,
    queues: BTreeMap<String, QueueRecord>,
    bindings: Vec<Binding>,
    messages: BTreeMap<(String, u64), MessageRecord<B>>,
    delayed: BTreeMap<u64, DelayedRecord<B>>,
    /// Batches applied so far.
    pub batches: u64,
}

impl<B> Default for MemoryStore<B> {
    fn default() -> Self {
        MemoryStore {
            exchanges: BTreeMap::new(),
            queues: BTreeMap::new(),
            bindings: Vec::new(),
            messages: BTreeMap::new(),
            delayed: BTreeMap::new(),
            batches: 0,
        }
    }
}

impl<B: Clone> MemoryStore<B> {
    /// Applies every operation of a batch, in order.
    pub fn apply(&mut self, batch: &StoreBatch<B>) {
        for op in &batch.ops {
            self.apply_op(op.clone());
        }
        self.batches += 1;
    }

    fn apply_op(&mut self, op: StoreOp<B>) {
        match op {
            StoreOp::PutExchange(x) => {
                self.exchanges.insert(x.name.clone(), x);
            }
            StoreOp::DeleteExchange(name) => {
                self.exchanges.remove(&name);
            }
            StoreOp::PutQueue(q) => {
                self.queues.insert(q.name.clone(), q);
            }
            StoreOp::DeleteQueue(name) => {
                self.queues.remove(&name);
                self.messages.retain(|(q, _), _| *q != name);
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
                if let Some(m) = self.messages.get_mut(&(queue, id)) {
                    m.delivery_count = delivery_count;
                    m.not_before = not_before;
                }
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

    /// What a restarting broker restores from.
    pub fn snapshot(&self) -> Snapshot<B> {
        Snapshot {
            exchanges: self.exchanges.values().cloned().collect(),
            queues: self.queues.values().cloned().collect(),
            bindings: self.bindings.clone(),
            messages: self.messages.values().cloned().collect(),
            delayed: self.delayed.values().cloned().collect(),
        }
    }

    /// The number of stored messages (what compaction keeps proportional to queue depth).
    pub fn message_count(&self) -> usize {
        self.messages.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::*;

    fn persistent(queue: &str, body: &str) -> Publish<Vec<u8>> {
        let mut p = Publish::new("", queue, body.as_bytes().to_vec());
        p.properties.delivery_mode = Some(2);
        p
    }

    /// A broker persisting into a memory store survives a restart: durable topology and the
    /// persistent messages come back, a delivered-unacked one flagged redelivered, acked ones
    /// gone (the store holds the queue depth, not the history).
    #[test]
    fn restart_round_trip_and_compaction() {
        let config = BrokerConfig { persistence: true, ..Default::default() };
        let mut store = MemoryStore::default();
        let mut b: Broker<Vec<u8>> = Broker::new(config.clone());
        let conn = b.open_connection();
        let ch = b.open_channel(conn).unwrap();
        b.queue_declare(ch, "jobs", QueueOptions::default(), false, 0).unwrap();
        b.queue_declare(ch, "scratch", QueueOptions { durable: false, ..Default::default() }, false, 0).unwrap();
        for i in 0..100 {
            b.basic_publish(ch, persistent("jobs", &format!("m{i}")), 0).unwrap();
        }
        b.basic_publish(ch, persistent("scratch", "transient queue"), 0).unwrap();
        b.basic_publish(ch, Publish::new("", "jobs", b"transient message".to_vec()), 0).unwrap();
        for _ in 0..98 {
            let d = b.basic_get(ch, "jobs", false, 0).unwrap().unwrap();
            b.basic_ack(ch, d.delivery_tag, false, 0).unwrap();
        }
        let held = b.basic_get(ch, "jobs", false, 0).unwrap().unwrap();
        assert_eq!(held.message.body, b"m98");
        while let Some(batch) = b.take_store_batch() {
            store.apply(&batch);
            b.handle_store_committed(batch.id);
        }
        assert_eq!(store.message_count(), 2, "acked messages are deleted from the store");

        let mut r: Broker<Vec<u8>> = Broker::restore(config, store.snapshot(), 10);
        assert!(r.queue_stats("scratch").is_none(), "non-durable queues are not restored");
        let conn = r.open_connection();
        let ch = r.open_channel(conn).unwrap();
        let first = r.basic_get(ch, "jobs", true, 10).unwrap().unwrap();
        let second = r.basic_get(ch, "jobs", true, 10).unwrap().unwrap();
        assert_eq!((first.message.body.as_slice(), first.redelivered), (&b"m98"[..], true));
        assert_eq!((second.message.body.as_slice(), second.redelivered), (&b"m99"[..], false));
        assert!(r.basic_get(ch, "jobs", true, 10).unwrap().is_none(), "the transient message is gone");
    }
}
