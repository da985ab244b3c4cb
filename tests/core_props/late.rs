//! Late timers: the harness of `late_timer_matches_timely_timers`. Two brokers get the same
//! commands; one has `handle_timeout` called at every deadline `poll_timeout` gives, the other
//! only once at the end of each time step (a throttled background tab, a busy worker). The
//! core promises to handle "everything due by `now`, in deadline order", so with no consumers
//! (which would legitimately see a message at one time and not the other) both must hold the
//! same messages after every step.

use proptest::collection::vec;
use proptest::option::weighted as maybe;
use proptest::prelude::*;
use std::result::Result;
use switchyard::core::*;

#[derive(Debug, Clone)]
pub enum LOp {
    Publish {
        q: usize,
        prio: u8,
        ttl: Option<u64>,
        delay: Option<u64>,
    },
    /// `basic.get` the head and nack it with a delay (it is parked until then).
    Park {
        q: usize,
        ms: u64,
    },
    Advance {
        ms: u64,
    },
}

pub fn lop() -> impl Strategy<Value = LOp> {
    prop_oneof![
        6 => (0usize..3, 0u8..3, maybe(0.5, 0u64..30), maybe(0.3, 1u64..30))
            .prop_map(|(q, prio, ttl, delay)| LOp::Publish { q, prio, ttl, delay }),
        1 => (0usize..3, 0u64..20).prop_map(|(q, ms)| LOp::Park { q, ms }),
        3 => (1u64..40).prop_map(|ms| LOp::Advance { ms }),
    ]
}

/// Queue arguments: (max length, overflow, max priority, dead-letter to `dlq`).
pub type QArgs = (Option<i64>, usize, bool, bool);

/// (ready, parked, published, dead-lettered, dropped).
pub type Counts = (u64, u64, u64, u64, u64);

pub fn qargs() -> impl Strategy<Value = QArgs> {
    (maybe(0.7, 1i64..4), 0usize..3, any::<bool>(), any::<bool>())
}

pub struct Late {
    b: Broker<Vec<u8>>,
    ch: ChannelId,
    timely: bool,
    now: u64,
    n: u8,
}

impl Late {
    pub fn new(queues: &[QArgs], timely: bool) -> Self {
        let mut b = Broker::new(BrokerConfig::default());
        let conn = b.open_connection();
        let ch = b.open_channel(conn).unwrap();
        b.queue_declare(ch, "dlq", QueueOptions::default(), false, 0).unwrap();
        for (i, (max_len, overflow, prio, dlx)) in queues.iter().enumerate() {
            let mut a = FieldTable::new();
            if let Some(m) = max_len {
                a.insert("x-max-length".into(), (*m).into());
            }
            a.insert("x-overflow".into(), ["drop-head", "reject-publish", "reject-publish-dlx"][*overflow].into());
            if *prio {
                a.insert("x-max-priority".into(), 2.into());
            }
            if *dlx {
                a.insert("x-dead-letter-exchange".into(), "".into());
                a.insert("x-dead-letter-routing-key".into(), "dlq".into());
            }
            b.queue_declare(ch, &format!("q{i}"), QueueOptions { arguments: a, ..QueueOptions::default() }, false, 0)
                .unwrap();
        }
        Late { b, ch, timely, now: 0, n: 0 }
    }

    pub fn apply(&mut self, op: &LOp) {
        let (b, ch, now) = (&mut self.b, self.ch, self.now);
        match *op {
            LOp::Publish { q, prio, ttl, delay } => {
                self.n += 1;
                let mut p = Publish::new("", &format!("q{q}"), vec![self.n]);
                p.properties.priority = Some(prio);
                p.properties.expiration = ttl.map(|t| t.to_string());
                if let Some(d) = delay {
                    p.properties.set_header("x-delay", (d as i64).into());
                }
                b.basic_publish(ch, p, now).unwrap();
            }
            LOp::Park { q, ms } => {
                if let Some(d) = b.basic_get(ch, &format!("q{q}"), false, now).unwrap() {
                    b.basic_nack_delayed(ch, d.delivery_tag, false, ms, now).unwrap();
                }
            }
            LOp::Advance { ms } => {
                self.now += ms;
                if self.timely {
                    while let Some(t) = b.poll_timeout().filter(|t| *t <= self.now) {
                        b.handle_timeout(t);
                    }
                } else if b.poll_timeout().is_some_and(|t| t <= self.now) {
                    b.handle_timeout(self.now);
                }
            }
        }
        b.drain_events().for_each(drop);
    }

    /// Per queue: (ready, parked, published, dead-lettered, dropped) and the ready bodies.
    pub fn state(&mut self) -> Vec<(Counts, Vec<u8>)> {
        let names: Vec<String> = self.b.all_queue_stats().into_iter().map(|s| s.name).collect();
        let mut out = vec![];
        for q in names {
            let s = self.b.queue_stats(&q).unwrap();
            let counts = (s.messages_ready, s.messages_delayed, s.published, s.dead_lettered, s.dropped);
            let mut bodies = vec![];
            // Peek without changing the broker: a snapshot of the ready bodies via get + recover.
            while let Some(d) = self.b.basic_get(self.ch, &q, false, self.now).unwrap() {
                bodies.push(d.message.body[0]);
            }
            self.b.basic_recover(self.ch, self.now).unwrap();
            self.b.drain_events().for_each(drop);
            out.push((counts, bodies));
        }
        out
    }
}

/// Runs `ops` on a timely and a late broker; the first step after which they differ, if any.
pub fn compare(queues: &[QArgs], ops: &[LOp]) -> Result<(), String> {
    let (mut timely, mut late) = (Late::new(queues, true), Late::new(queues, false));
    for (i, op) in ops.iter().enumerate() {
        timely.apply(op);
        late.apply(op);
        if matches!(op, LOp::Advance { .. }) {
            let (a, b) = (timely.state(), late.state());
            if a != b {
                return Err(format!("after step {i} ({op:?}), per queue ((ready, parked, published, dead-lettered, dropped), bodies):\n timely {a:?}\n late   {b:?}"));
            }
        }
    }
    Ok(())
}

pub fn ops() -> impl Strategy<Value = Vec<LOp>> {
    vec(lop(), 1..40)
}
