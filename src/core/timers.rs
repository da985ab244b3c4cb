//! Time: the broker never reads a clock. The driver asks [`Broker::poll_timeout`] when the
//! next thing is due and calls [`Broker::handle_timeout`] then (or later: everything due by
//! `now` is handled, in order).
//!
//! What is timed: message expiry at the head of a queue (`x-message-ttl`, `expiration`),
//! messages nacked with a delay becoming ready again, queue expiry (`x-expires`), and messages
//! published with `x-delay` being routed.

use super::broker::Broker;
use super::message::Body;
use std::cmp::Reverse;
use std::rc::Rc;

impl<B: Body> Broker<B> {
    /// When [`Self::handle_timeout`] should next be called (ms), if anything is pending.
    pub fn poll_timeout(&self) -> Option<u64> {
        let queue = self.timers.peek().map(|Reverse((t, _))| *t);
        let delayed = self.delayed.next_due();
        [queue, delayed].into_iter().flatten().min()
    }

    /// Handles everything due at or before `now`, in deadline order (a timer that fires late
    /// still expires a message before it routes a delayed message that was due after it).
    pub fn handle_timeout(&mut self, now: u64) {
        loop {
            let delayed = self.delayed.next_due().filter(|t| *t <= now);
            let queue = self.timers.peek().map(|Reverse((t, _))| *t).filter(|t| *t <= now);
            match (delayed, queue) {
                (None, None) => break,
                (Some(d), q) if q.is_none_or(|q| d < q) => {
                    self.release_delayed(d);
                    self.run_pending(d);
                }
                _ => {
                    // Handled as of its deadline, so that what fell due later (a delayed message,
                    // another expiry) sees the queue as it was then.
                    let Reverse((due, qname)) = self.timers.pop().expect("peeked");
                    self.queue_due(&qname, due);
                    self.run_pending(due);
                }
            }
        }
        self.run_pending(now);
    }

    fn queue_due(&mut self, qname: &Rc<str>, now: u64) {
        let Some(q) = self.queues.get_mut(qname) else { return };
        q.scheduled = None;
        if q.consumers.is_empty() && q.args.expires.is_some_and(|ttl| q.last_used.saturating_add(ttl) <= now) {
            self.remove_queue(qname);
            return;
        }
        let mut due = Vec::new();
        while let Some((_, _, e)) = q.parked.pop_due(now) {
            due.push(e);
        }
        // Back through the same door as any requeue: past x-delivery-limit they are dead-lettered.
        for e in due {
            self.requeue(qname, e, now);
        }
        self.dirty.push(qname.clone());
    }

    /// Makes sure a timer is set for the queue's next deadline.
    pub(crate) fn schedule(&mut self, qname: &Rc<str>) {
        let Some(q) = self.queues.get_mut(qname) else { return };
        let Some(deadline) = q.next_deadline() else { return };
        if q.scheduled.is_none_or(|s| deadline < s) {
            q.scheduled = Some(deadline);
            self.timers.push(Reverse((deadline, q.name.clone())));
        }
    }
}
