//! Publisher confirms with a store that commits (or fails) batches at random points: the
//! harness of `confirms_exactly_once`.

use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::result::Result;
use switchyard::core::*;

#[derive(Debug, Clone)]
pub enum COp {
    /// Target 0: durable queue, 1: transient queue, 2: durable queue with reject-publish at 2
    /// (when enabled), 3: `amq.fanout` to all three, 4: unroutable.
    Publish {
        slot: usize,
        target: usize,
        persistent: bool,
        delay: bool,
    },
    Take,
    Finish {
        pick: usize,
        ok: bool,
    },
    AckAll,
    Close {
        slot: usize,
    },
    Reopen {
        slot: usize,
    },
    Advance {
        ms: u64,
    },
}

pub fn cop() -> impl Strategy<Value = COp> {
    prop_oneof![
        8 => (0usize..2, 0usize..5, any::<bool>(), prop::bool::weighted(0.1))
            .prop_map(|(slot, target, persistent, delay)| COp::Publish { slot, target, persistent, delay }),
        2 => Just(COp::Take),
        2 => (any::<usize>(), prop::bool::weighted(0.85)).prop_map(|(pick, ok)| COp::Finish { pick, ok }),
        2 => Just(COp::AckAll),
        1 => (0usize..2).prop_map(|slot| COp::Close { slot }),
        2 => (0usize..2).prop_map(|slot| COp::Reopen { slot }),
        1 => (1u64..20).prop_map(|ms| COp::Advance { ms }),
    ]
}

/// A confirm channel as the test sees it.
#[derive(Default)]
struct ConfirmChan {
    id: Option<ChannelId>,
    published: u64,
    confirmed: BTreeMap<u64, bool>,
    needs_commit: BTreeSet<u64>,
}

pub struct Confirms {
    b: Broker<Vec<u8>>,
    conn: ConnectionId,
    chans: [ConfirmChan; 2],
    consumer: ChannelId,
    awaiting: Vec<(ChannelId, u64)>,
    batches: Vec<(u64, Vec<(ChannelId, u64)>)>,
    committed: BTreeSet<(ChannelId, u64)>,
    failed: BTreeSet<(ChannelId, u64)>,
    reject: bool,
    now: u64,
}

impl Confirms {
    pub fn new(reject: bool) -> Self {
        let mut b = Broker::new(BrokerConfig { persistence: true, ..BrokerConfig::default() });
        let conn = b.open_connection();
        let consumer = b.open_channel(conn).unwrap();
        let limit = table([("x-max-length", 2.into()), ("x-overflow", "reject-publish".into())]);
        for (q, durable, arguments) in
            [("d", true, FieldTable::new()), ("t", false, FieldTable::new()), ("r", true, limit)]
        {
            let arguments = if reject { arguments } else { FieldTable::new() };
            b.queue_declare(consumer, q, QueueOptions { durable, arguments, ..QueueOptions::default() }, false, 0)
                .unwrap();
            b.queue_bind(consumer, q, "amq.fanout", "", FieldTable::new(), 0).unwrap();
        }
        b.basic_qos(consumer, 1, false, 0).unwrap();
        b.basic_consume(consumer, "r", ConsumeOptions::default(), 0).unwrap();
        let mut c = Confirms {
            b,
            conn,
            chans: Default::default(),
            consumer,
            awaiting: vec![],
            batches: vec![],
            committed: BTreeSet::new(),
            failed: BTreeSet::new(),
            reject,
            now: 0,
        };
        (0..2).for_each(|s| c.apply(&COp::Reopen { slot: s }).unwrap());
        c
    }

    pub fn apply(&mut self, op: &COp) -> Result<(), String> {
        let now = self.now;
        match *op {
            COp::Publish { slot, target, persistent, delay } => {
                let Some(ch) = self.chans[slot].id else { return Ok(()) };
                let (x, key) = [("", "d"), ("", "t"), ("", "r"), ("amq.fanout", ""), ("", "nowhere")][target];
                let mut p = Publish::new(x, key, vec![target as u8]);
                p.properties.delivery_mode = Some(if persistent { 2 } else { 1 });
                if delay {
                    p.properties.set_header("x-delay", 5.into());
                }
                let seq = self.b.basic_publish(ch, p, now).map_err(|e| e.to_string())?;
                let c = &mut self.chans[slot];
                c.published += 1;
                ensure!(seq == Some(c.published), "publish seq {seq:?}, expected {}", c.published);
                if persistent && (delay || matches!(target, 0 | 2 | 3)) {
                    c.needs_commit.insert(c.published);
                    self.awaiting.push((ch, c.published));
                }
            }
            COp::Take => {
                if let Some(batch) = self.b.take_store_batch() {
                    self.batches.push((batch.id, std::mem::take(&mut self.awaiting)));
                }
            }
            COp::Finish { pick, ok } if !self.batches.is_empty() => {
                let (id, seqs) = self.batches.remove(pick % self.batches.len());
                if ok {
                    self.committed.extend(seqs);
                    self.b.handle_store_committed(id);
                } else {
                    self.failed.extend(seqs);
                    self.b.handle_store_failed(id);
                }
            }
            COp::Finish { .. } => {}
            COp::AckAll => {
                let _ = self.b.basic_ack(self.consumer, 0, true, now);
            }
            COp::Close { slot } => {
                if let Some(ch) = self.chans[slot].id.take() {
                    self.b.close_channel(ch, now).map_err(|e| e.to_string())?;
                    self.chans[slot] = ConfirmChan::default();
                }
            }
            COp::Reopen { slot } if self.chans[slot].id.is_none() => {
                let ch = self.b.open_channel(self.conn).map_err(|e| e.to_string())?;
                self.b.confirm_select(ch, now).map_err(|e| e.to_string())?;
                self.chans[slot].id = Some(ch);
            }
            COp::Reopen { .. } => {}
            COp::Advance { ms } => {
                self.now += ms;
                while self.b.poll_timeout().is_some_and(|t| t <= self.now) {
                    self.b.handle_timeout(self.now);
                }
            }
        }
        self.events()
    }

    fn events(&mut self) -> Result<(), String> {
        for e in self.b.drain_events().collect::<Vec<_>>() {
            let Event::Confirm { channel, seq, ack } = e else { continue };
            let c = self.chans.iter_mut().find(|c| c.id == Some(channel)).ok_or("confirm on a closed channel")?;
            ensure!(seq >= 1 && seq <= c.published, "confirm of unknown seq {seq}");
            ensure!(c.confirmed.insert(seq, ack).is_none(), "second confirm for seq {seq}");
            if ack && c.needs_commit.contains(&seq) {
                ensure!(self.committed.contains(&(channel, seq)), "seq {seq} acked before its batch committed");
            }
            ensure!(ack || self.reject || self.failed.contains(&(channel, seq)), "seq {seq} nacked with no cause");
        }
        Ok(())
    }

    /// Commits everything and lets delays pass; then every publish must have been confirmed.
    pub fn finish(&mut self) -> Result<(), String> {
        self.apply(&COp::Advance { ms: 1000 })?;
        while self.b.has_store_work() || !self.batches.is_empty() {
            self.apply(&COp::Take)?;
            self.apply(&COp::Finish { pick: 0, ok: true })?;
        }
        for c in &self.chans {
            let want: Vec<u64> = (1..=c.published).collect();
            let got: Vec<u64> = c.confirmed.keys().copied().collect();
            ensure!(got == want, "confirmed {got:?} of {} publishes", c.published);
        }
        Ok(())
    }
}
