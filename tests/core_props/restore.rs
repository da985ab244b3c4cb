//! The restore checks: a broker restored from the in-test store compared with the model
//! (`restore_round_trip`) and with the original after a simulated crash
//! (`restore_equals_closing_the_connection`).

use super::model::*;
use super::spec::*;
use super::world::{Cmd, World};
use std::collections::BTreeMap;
use switchyard::core::*;

impl World {
    /// Restores a broker from the in-test store and checks that its durable queues hold exactly
    /// the stored copies the model has in durable queues, in order, flagged `redelivered` when
    /// they had been delivered; and that durable topology and `x-delay` messages came back.
    pub fn check_restore(&mut self) -> R {
        self.commit();
        let now = self.now();
        let mut r = Broker::restore(self.cfg.clone(), self.store.clone(), now);
        let durable = |n: &str| self.b.queues().iter().any(|q| q.name == n && q.options.durable);
        let want: Vec<QueueRecord> = self.b.queues().into_iter().filter(|q| q.options.durable).collect();
        ensure!(r.queues() == want, "restored queues {:?}\n want {want:?}", r.queues());
        let sorted = |mut v: Vec<Binding>| {
            v.sort_by_cached_key(|b| format!("{b:?}"));
            v
        };
        let want = sorted(self.b.bindings().into_iter().filter(|b| durable(b.destination.name())).collect());
        let got = sorted(r.bindings());
        ensure!(got == want, "restored bindings {got:#?}\n want {want:#?}");
        let delayed = self.m.delayed.iter().filter(|d| d.3.persistent).count();
        ensure!(r.delayed_count() == delayed, "restored {} x-delay messages, want {delayed}", r.delayed_count());
        let conn = r.open_connection();
        let ch = r.open_channel(conn).unwrap();
        let drain = |r: &mut Broker<Vec<u8>>, q: &str, t: u64| {
            let mut out = vec![];
            while let Some(d) = r.basic_get(ch, q, true, t).unwrap() {
                let (n, origin) = ident(&d);
                out.push((n, origin, d.redelivered));
            }
            out
        };
        let expected = durable_contents(&self.m);
        let parked_total = expected.values().map(|(_, p)| p.len()).sum::<usize>();
        for (q, (ready, parked)) in &expected {
            let mut want: Vec<_> = ready.iter().map(|it| (it.n, it.origin.clone(), it.deliveries > 0)).collect();
            let mut got = drain(&mut r, q, now);
            if q == DLQ {
                want.sort();
                got.sort();
            }
            ensure!(got == want, "restored {q} (ready and unacked) {got:?}\n want {want:?}");
            let delayed = r.queue_stats(q).map(|s| s.messages_delayed);
            ensure!(delayed == Some(parked.len() as u64), "restored {q} parked {delayed:?}, want {}", parked.len());
        }
        if r.delayed_count() == 0 && parked_total > 0 {
            let later = now + (1 << 30);
            r.handle_timeout(later);
            // Released parked messages go back like any requeue: one returned more often than its
            // queue's x-delivery-limit allows is dead-lettered instead (into DLQ, as a new copy).
            let over = |q: &str, it: &Item| self.m.queues[q].spec.limit.is_some_and(|l| it.deliveries as u64 > l);
            let mut to_dlq = vec![];
            for (q, (_, parked)) in &expected {
                let dlx = self.m.queues[q.as_str()].spec.dlx;
                if dlx != 0 && dlx != 2 {
                    to_dlq.extend(parked.iter().filter(|it| over(q, it)).map(|it| (it.n, Some(q.clone()), false)));
                }
            }
            for (q, (_, parked)) in &expected {
                let mut want: Vec<_> =
                    parked.iter().filter(|it| !over(q, it)).map(|it| (it.n, it.origin.clone(), true)).collect();
                if q == DLQ {
                    want.extend(to_dlq.iter().cloned());
                }
                let mut got = drain(&mut r, q, later);
                want.sort();
                got.sort();
                ensure!(got == want, "restored {q} (parked) {got:?}\n want {want:?}");
            }
        }
        Ok(())
    }

    /// Restores from the store at `now`, closes the original's connection, and compares
    /// the durable queues: the same ready messages in the same order (as a set for `DLQ`, whose
    /// order of simultaneous dead-letterings is not pinned), the same `redelivered` flags, the
    /// same parked and `x-delay` counts.
    pub fn check_restore_equals_closing(&mut self) -> R {
        self.commit();
        let now = self.now();
        let mut r = Broker::restore(self.cfg.clone(), self.store.clone(), now);
        // A crash loses every channel at once, as closing the one connection these runs use
        // does: no consumer is left to take what is requeued.
        ensure!(self.one_connection, "restore_equals_closing runs use one connection");
        self.step(&Cmd::CloseConnection { conn: 0 })?;
        ensure!(r.delayed_count() == self.m.delayed.len(), "restored {} x-delay messages", r.delayed_count());
        let conn = r.open_connection();
        let ch = r.open_channel(conn).unwrap();
        for (name, q) in self.m.queues.iter().filter(|(_, q)| q.spec.durable) {
            let parked = r.queue_stats(name).map(|s| s.messages_delayed);
            ensure!(
                parked == Some(q.parked.len() as u64),
                "{name}: restored parked {parked:?}, want {}",
                q.parked.len()
            );
            let mut want: Vec<_> =
                drain_order(q, now).into_iter().map(|it| (it.n, it.origin.clone(), it.deliveries > 0)).collect();
            let mut got = vec![];
            while let Some(d) = r.basic_get(ch, name, true, now).unwrap() {
                let (n, origin) = ident(&d);
                got.push((n, origin, d.redelivered));
            }
            if name == DLQ {
                want.sort();
                got.sort();
            }
            ensure!(got == want, "{name}: restored {got:?}\n closing gives {want:?}");
        }
        Ok(())
    }
}

/// What a restore must bring back per durable queue: the stored copies that are ready,
/// unacknowledged (on this incarnation) or parked, in delivery order (by id for `DLQ`).
fn durable_contents(m: &Model) -> BTreeMap<String, (Vec<&Item>, Vec<&Item>)> {
    let mut out = BTreeMap::new();
    for (name, q) in m.queues.iter().filter(|(_, q)| q.spec.durable) {
        let unacked = m.chans.iter().flat_map(|c| c.unacked.values()).filter(|u| u.queue == *name && u.quid == q.uid);
        let mut now: Vec<&Item> = q.levels.iter().flat_map(|l| l.values()).chain(unacked.map(|u| &u.item)).collect();
        now.retain(|it| it.stored);
        now.sort_by_key(|it| (std::cmp::Reverse(it.level), it.seq));
        let parked = q.parked.iter().map(|(_, it)| it).filter(|it| it.stored).collect();
        out.insert(name.clone(), (now, parked));
    }
    out
}

/// The order `basic.get` at `now` empties a queue in: each get exposes the next head, and a head
/// already due (`expires <= now`) then expires instead of being delivered.
fn drain_order(q: &MQueue, now: u64) -> Vec<&Item> {
    let mut levels: Vec<std::collections::VecDeque<&Item>> = q.levels.iter().map(|l| l.values().collect()).collect();
    let mut out = vec![];
    loop {
        for l in levels.iter_mut() {
            while l.front().is_some_and(|it| it.expires.is_some_and(|t| t <= now)) {
                l.pop_front();
            }
        }
        let Some(it) = levels.iter_mut().rev().find_map(|l| l.pop_front()) else { return out };
        out.push(it);
    }
}
