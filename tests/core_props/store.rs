//! The in-test store: a `Snapshot` kept up to date by applying the broker's `StoreOp`s, as
//! the IndexedDB or memory store would (deleting a queue deletes its messages).

use switchyard::core::{Snapshot, StoreOp};

/// Applies one store operation to a snapshot, as a store would.
pub fn apply(s: &mut Snapshot<Vec<u8>>, op: StoreOp<Vec<u8>>) {
    match op {
        StoreOp::PutExchange(x) => {
            s.exchanges.retain(|e| e.name != x.name);
            s.exchanges.push(x);
        }
        StoreOp::DeleteExchange(n) => s.exchanges.retain(|e| e.name != n),
        StoreOp::PutQueue(q) => {
            s.queues.retain(|e| e.name != q.name);
            s.queues.push(q);
        }
        StoreOp::DeleteQueue(n) => {
            s.queues.retain(|e| e.name != n);
            s.messages.retain(|m| m.queue != n);
        }
        StoreOp::PutBinding(b) if !s.bindings.contains(&b) => s.bindings.push(b),
        StoreOp::PutBinding(_) => {}
        StoreOp::DeleteBinding(b) => s.bindings.retain(|e| *e != b),
        StoreOp::PutMessage(m) => {
            s.messages.retain(|e| (e.queue.as_str(), e.id) != (m.queue.as_str(), m.id));
            s.messages.push(m);
        }
        StoreOp::UpdateMessage { queue, id, delivery_count, not_before } => {
            for m in s.messages.iter_mut().filter(|m| m.queue == queue && m.id == id) {
                m.delivery_count = delivery_count;
                m.not_before = not_before;
            }
        }
        StoreOp::DeleteMessage { queue, id } => s.messages.retain(|m| !(m.queue == queue && m.id == id)),
        StoreOp::PutDelayed(d) => s.delayed.push(d),
        StoreOp::DeleteDelayed(id) => s.delayed.retain(|d| d.id != id),
    }
}
