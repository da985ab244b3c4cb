//! The harness of the model-based properties: a broker, the model, a fake clock, and an
//! in-test store the broker's batches are applied to. Each [`Cmd`] is one broker call; the
//! world predicts whether it succeeds, applies it to the model, feeds the model every event,
//! runs due timers, and compares the broker's per-queue counts with the model's.

use super::model::*;
use super::spec::*;
use super::store::apply;
use switchyard::core::*;

pub const SLOTS: usize = 4; // channel slots; slot s is on connection s / 2

#[derive(Debug, Clone)]
pub enum Target {
    One(usize),
    UpTo(usize),
    All,
    Unknown,
}

#[derive(Debug, Clone, Copy)]
pub enum SettleHow {
    Ack,
    Nack(bool),
    Reject(bool),
    Delay(u64),
}

/// One broker call. A queue index below 8 picks one of the queues that exist (so most commands
/// find their queue); 8 + i names `QUEUES[i]` whether it exists or not (`DLQ` is only used by
/// get, purge and check). `Declare` always names its queue; with `keep` it redeclares an
/// existing queue with its own arguments.
#[derive(Debug, Clone)]
pub enum Cmd {
    Declare { q: usize, spec: QSpec, keep: bool },
    DeclareBad { q: usize, bad: usize },
    Check { q: usize },
    Bind { ex: usize, q: usize, key: usize, args: usize, unbind: bool },
    Publish { slot: usize, msg: Msg, delay: Option<u64>, bad_expiration: bool },
    Consume { slot: usize, q: usize, tag: usize, no_ack: bool, exclusive: bool, prio: i64 },
    Qos { slot: usize, n: u32, global: bool },
    Get { slot: usize, q: usize, no_ack: bool },
    Settle { slot: usize, target: Target, how: SettleHow },
    Recover { slot: usize },
    Cancel { slot: usize, tag: usize },
    CloseChannel { slot: usize },
    CloseConnection { conn: usize },
    Reopen { slot: usize },
    Purge { slot: usize, q: usize },
    Delete { slot: usize, q: usize, if_unused: bool, if_empty: bool },
    Advance { ms: u64 },
    Commit,
}

/// Arguments RabbitMQ refuses with 406.
fn bad_options(i: usize) -> QueueOptions {
    let arg: (&str, FieldValue) = match i % 7 {
        0 => ("x-message-ttl", (-1).into()),
        1 => ("x-overflow", "drop-tail".into()),
        2 => ("x-max-priority", 256.into()),
        3 => ("x-dead-letter-routing-key", "k".into()),
        4 => ("x-max-length", "ten".into()),
        5 => ("x-single-active-consumer", 1.into()),
        _ => ("x-queue-type", "stream".into()),
    };
    QueueOptions { arguments: table([arg]), ..QueueOptions::default() }
}

pub struct World {
    pub b: Broker<Vec<u8>>,
    pub m: Model,
    pub cfg: BrokerConfig,
    pub store: Snapshot<Vec<u8>>,
    conns: [Option<ConnectionId>; 2],
    ids: [ChannelId; SLOTS],
    closing: Vec<ChannelId>,
    closing_conn: Option<ConnectionId>,
    next_n: u64,
    steps: u64,
    /// Commands use only the first connection's channels (slot % 2).
    pub one_connection: bool,
}

impl World {
    /// Two connections with two channels each, the four exchanges, and `DLX` → `DLQ`.
    pub fn new(persistence: bool) -> Self {
        let cfg = BrokerConfig { persistence, ..BrokerConfig::default() };
        let mut b = Broker::new(cfg.clone());
        let conns = [Some(b.open_connection()), Some(b.open_connection())];
        let ids: [ChannelId; SLOTS] = std::array::from_fn(|s| b.open_channel(conns[s / 2].unwrap()).unwrap());
        let ch = ids[0];
        for (name, kind) in EXCHANGES[1..5].iter().zip(KINDS) {
            b.exchange_declare(ch, name, kind, ExchangeOptions::default(), false, 0).unwrap();
        }
        b.exchange_declare(ch, DLX, ExchangeKind::Fanout, ExchangeOptions::default(), false, 0).unwrap();
        b.queue_declare(ch, DLQ, QueueOptions::default(), false, 0).unwrap();
        b.queue_bind(ch, DLQ, DLX, "", FieldTable::new(), 0).unwrap();
        let mut m = Model::new(persistence, SLOTS);
        for (s, id) in ids.iter().enumerate() {
            m.chans[s].id = Some(*id);
        }
        let mut w = World {
            b,
            m,
            cfg,
            store: Snapshot::default(),
            conns,
            ids,
            closing: vec![],
            closing_conn: None,
            next_n: 0,
            steps: 0,
            one_connection: false,
        };
        w.commit();
        w
    }

    pub fn now(&self) -> u64 {
        self.m.now
    }

    /// With persistence on, the store commits every batch at once (as a fast store would), so
    /// that deliveries a broker may hold until their record is written reach the model in the
    /// step that made them; `Cmd::Commit` stays for brokers that do not hold deliveries.
    fn sync_store(&mut self) {
        if self.cfg.persistence {
            self.commit();
        }
    }

    /// Takes the pending store batch, applies it to the in-test store and commits it.
    pub fn commit(&mut self) {
        if let Some(batch) = self.b.take_store_batch() {
            batch.ops.into_iter().for_each(|op| apply(&mut self.store, op));
            self.b.handle_store_committed(batch.id);
        }
    }

    fn expect(&mut self, slot: usize, ok: bool, r_ok: bool, what: &str, conn_level: bool) -> R {
        ensure!(r_ok == ok, "{what} on slot {slot}: expected ok={ok}, got ok={r_ok}");
        if !ok && self.m.chans[slot].id.is_some() {
            if conn_level {
                self.closing_conn = self.conns[slot / 2];
            } else {
                self.closing.push(self.ids[slot]);
            }
        }
        Ok(())
    }

    /// Resolves queue indices (see [`Cmd`]) to indices into `QUEUES`, and slots when
    /// `one_connection` is set.
    fn resolve(&self, cmd: &Cmd) -> Cmd {
        let pick = |q: usize, dlq: bool| {
            let live: Vec<usize> =
                (0..5).filter(|i| (dlq || *i < 4) && self.m.queues.contains_key(QUEUES[*i])).collect();
            match q {
                8.. => (q - 8) % if dlq { 5 } else { 4 },
                _ if live.is_empty() => q % 4,
                _ => live[q % live.len()],
            }
        };
        let mut cmd = cmd.clone();
        if self.one_connection {
            match &mut cmd {
                Cmd::Publish { slot, .. }
                | Cmd::Consume { slot, .. }
                | Cmd::Qos { slot, .. }
                | Cmd::Get { slot, .. } => *slot %= 2,
                Cmd::Settle { slot, .. }
                | Cmd::Recover { slot }
                | Cmd::Cancel { slot, .. }
                | Cmd::CloseChannel { slot } => *slot %= 2,
                Cmd::Reopen { slot } | Cmd::Purge { slot, .. } | Cmd::Delete { slot, .. } => *slot %= 2,
                Cmd::CloseConnection { conn } => *conn = 0,
                _ => {}
            }
        }
        match &mut cmd {
            Cmd::Check { q } | Cmd::Get { q, .. } | Cmd::Purge { q, .. } => *q = pick(*q, true),
            Cmd::Bind { q, .. } | Cmd::Consume { q, .. } | Cmd::Delete { q, .. } => *q = pick(*q, false),
            Cmd::Declare { q, spec, keep } => {
                if let Some(mq) = self.m.queues.get(QUEUES[*q]).filter(|_| *keep) {
                    *spec = mq.spec.clone();
                }
            }
            _ => {}
        }
        cmd
    }

    pub fn step(&mut self, cmd: &Cmd) -> R {
        let cmd = &self.resolve(cmd);
        let now = self.now();
        let slot = match cmd {
            Cmd::Publish { slot, .. } | Cmd::Consume { slot, .. } | Cmd::Qos { slot, .. } | Cmd::Get { slot, .. } => {
                *slot
            }
            Cmd::Settle { slot, .. }
            | Cmd::Recover { slot }
            | Cmd::Cancel { slot, .. }
            | Cmd::CloseChannel { slot } => *slot,
            Cmd::Reopen { slot } | Cmd::Purge { slot, .. } | Cmd::Delete { slot, .. } => *slot,
            _ => 0,
        };
        self.steps += 1;
        // Most commands on a closed channel first reopen it; one in five tests the closed path.
        let reopen = !matches!(cmd, Cmd::Reopen { .. } | Cmd::CloseChannel { .. } | Cmd::CloseConnection { .. });
        if reopen && self.m.chans[slot].id.is_none() && self.steps % 5 != 0 {
            self.step(&Cmd::Reopen { slot })?;
        }
        let (ch, open) = (self.ids[slot], self.m.chans[slot].id.is_some());
        let exists = |m: &Model, q: usize| m.queues.contains_key(QUEUES[q]);
        match cmd.clone() {
            Cmd::Declare { q, spec, .. } => {
                let name = QUEUES[q];
                let same = self.m.queues.get(name).map(|mq| mq.spec == spec);
                let r = self.b.queue_declare(ch, name, spec.options(), false, now);
                self.expect(slot, open && same != Some(false), r.is_ok(), "declare", false)?;
                if let Ok(ok) = r {
                    let ready = self.m.queues.get(name).map_or(0, |q| q.ready() as u32);
                    let consumers = self.m.queues.get(name).map_or(0, |q| q.consumers.len() as u32);
                    ensure!((ok.message_count, ok.consumer_count) == (ready, consumers), "declare-ok {ok:?}");
                    if same.is_none() {
                        self.m.declare(name, spec);
                    }
                    self.m.touch(name);
                }
            }
            Cmd::DeclareBad { q, bad } => {
                let r = self.b.queue_declare(ch, QUEUES[q], bad_options(bad), false, now);
                self.expect(slot, false, r.is_ok(), "declare with bad arguments", false)?;
            }
            Cmd::Check { q } => {
                let r = self.b.queue_declare(ch, QUEUES[q], QueueOptions::default(), true, now);
                self.expect(slot, open && exists(&self.m, q), r.is_ok(), "passive declare", false)?;
            }
            Cmd::Bind { ex, q, key, args, unbind } => {
                let headers = ex == 4;
                let (a, args) = if headers { (binding_args(args), args) } else { (FieldTable::new(), 0) };
                let r = if unbind {
                    self.b.queue_unbind(ch, QUEUES[q], EXCHANGES[ex], BIND_KEYS[key], a, now)
                } else {
                    self.b.queue_bind(ch, QUEUES[q], EXCHANGES[ex], BIND_KEYS[key], a, now)
                };
                let ok = open && ex != 5 && exists(&self.m, q) && (unbind || !headers || args != 5);
                self.expect(slot, ok, r.is_ok(), "bind", false)?;
                let b = (ex, QUEUES[q].to_string(), key, args);
                if ok && unbind {
                    self.m.bindings.remove(&b);
                } else if ok {
                    self.m.bindings.insert(b);
                }
            }
            Cmd::Publish { msg, delay, bad_expiration, .. } => {
                let mut msg = msg;
                msg.n = self.next_n;
                self.next_n += 1;
                let mut p = Publish::new(EXCHANGES[msg.ex], ROUTING_KEYS[msg.key], body(msg.n));
                p.mandatory = msg.mandatory;
                let props = &mut p.properties;
                props.priority = Some(msg.prio);
                props.delivery_mode = Some(if msg.persistent { 2 } else { 1 });
                props.expiration = if bad_expiration { Some("soon".into()) } else { msg.ttl.map(|t| t.to_string()) };
                props.headers = message_headers(msg.hdr);
                if let Some(d) = delay {
                    props.set_header("x-delay", FieldValue::Int(d as i64));
                }
                let r = self.b.basic_publish(ch, p, now);
                let ok = open && msg.ex != 5 && !bad_expiration;
                self.expect(slot, ok, r.is_ok(), "publish", false)?;
                if ok {
                    self.m.published += 1;
                    match delay {
                        Some(d) => self.m.delayed.push((now + d, msg.n, ch, msg)),
                        None => self.m.publish(&msg, ch),
                    }
                }
            }
            Cmd::Consume { q, tag, no_ack, exclusive, prio, .. } => {
                let (name, tag) = (QUEUES[q], format!("c{tag}"));
                let reuse = self.m.chans[slot].consumers.contains_key(&tag);
                let locked = self
                    .m
                    .queues
                    .get(name)
                    .is_some_and(|mq| mq.exclusive || (exclusive && (!mq.consumers.is_empty() || mq.spec.sac)));
                let opts = ConsumeOptions {
                    consumer_tag: Some(tag.clone()),
                    no_ack,
                    exclusive,
                    priority: Some(prio),
                    ..ConsumeOptions::default()
                };
                let r = self.b.basic_consume(ch, name, opts, now);
                let ok = open && !reuse && exists(&self.m, q) && !locked;
                self.expect(slot, ok, r.is_ok(), "consume", reuse)?;
                if ok {
                    self.m.consume(slot, name, &tag, no_ack, exclusive, prio);
                }
            }
            Cmd::Qos { n, global, .. } => {
                let r = self.b.basic_qos(ch, n, global, now);
                self.expect(slot, open, r.is_ok(), "qos", false)?;
                let c = &mut self.m.chans[slot];
                if open && global {
                    c.prefetch_global = n;
                } else if open {
                    c.prefetch_next = n;
                }
            }
            Cmd::Get { q, no_ack, .. } => {
                let r = self.b.basic_get(ch, QUEUES[q], no_ack, now);
                self.expect(slot, open && exists(&self.m, q), r.is_ok(), "get", false)?;
                if let Ok(got) = r {
                    self.m.on_get(slot, QUEUES[q], no_ack, got.as_ref())?;
                }
            }
            Cmd::Settle { target, how, .. } => {
                let keys: Vec<u64> = self.m.chans[slot].unacked.keys().copied().collect();
                if keys.is_empty() && matches!(target, Target::One(_) | Target::UpTo(_)) {
                    return Ok(()); // nothing to settle; `Target::Unknown` covers bad tags
                }
                let (tag, multiple) = match target {
                    Target::One(i) if !keys.is_empty() => (keys[i % keys.len()], false),
                    Target::UpTo(i) if !keys.is_empty() => (keys[i % keys.len()], !matches!(how, SettleHow::Reject(_))),
                    Target::All if !matches!(how, SettleHow::Reject(_)) => (0, true),
                    _ => (self.m.chans[slot].last_tag + 1, false),
                };
                let taken: Vec<u64> =
                    keys.iter().copied().filter(|k| if multiple { tag == 0 || *k <= tag } else { *k == tag }).collect();
                let r = match how {
                    SettleHow::Ack => self.b.basic_ack(ch, tag, multiple, now),
                    SettleHow::Nack(requeue) => self.b.basic_nack(ch, tag, multiple, requeue, now),
                    SettleHow::Reject(requeue) => self.b.basic_reject(ch, tag, requeue, now),
                    SettleHow::Delay(ms) => self.b.basic_nack_delayed(ch, tag, multiple, ms, now),
                };
                let ok = open && ((multiple && tag == 0) || keys.contains(&tag));
                self.expect(slot, ok, r.is_ok(), "ack/nack/reject", false)?;
                let how = match how {
                    SettleHow::Ack => How::Ack,
                    SettleHow::Nack(true) | SettleHow::Reject(true) => How::Requeue,
                    SettleHow::Nack(false) | SettleHow::Reject(false) => How::Reject,
                    SettleHow::Delay(ms) => How::Delay(ms),
                };
                if ok {
                    self.m.settle(slot, &taken, how);
                }
            }
            Cmd::Recover { .. } => {
                let r = self.b.basic_recover(ch, now);
                self.expect(slot, open, r.is_ok(), "recover", false)?;
                let keys: Vec<u64> = self.m.chans[slot].unacked.keys().copied().collect();
                self.m.settle(slot, &keys, How::Requeue);
            }
            Cmd::Cancel { tag, .. } => {
                // Below 8: one of the slot's consumers; 8 + i: tag `c{i}` whether it exists or not.
                let tags: Vec<String> = self.m.chans[slot].consumers.keys().cloned().collect();
                let tag = match tag {
                    8.. => format!("c{}", tag - 8),
                    _ if tags.is_empty() => format!("c{tag}"),
                    _ => tags[tag % tags.len()].clone(),
                };
                let r = self.b.basic_cancel(ch, &tag, now);
                self.expect(slot, open, r.is_ok(), "cancel", false)?;
                self.m.cancel(slot, &tag);
            }
            Cmd::CloseChannel { .. } => {
                let r = self.b.close_channel(ch, now);
                self.expect(slot, open, r.is_ok(), "close channel", false)?;
                self.m.teardown(slot);
            }
            Cmd::CloseConnection { conn } => {
                if let Some(c) = self.conns[conn].take() {
                    self.b.close_connection(c, now);
                    (conn * 2..conn * 2 + 2).for_each(|s| self.m.teardown(s));
                }
            }
            Cmd::Reopen { .. } if !open => {
                let conn = *self.conns[slot / 2].get_or_insert_with(|| self.b.open_connection());
                self.ids[slot] = self.b.open_channel(conn).map_err(|e| e.to_string())?;
                self.m.chans[slot].id = Some(self.ids[slot]);
            }
            Cmd::Reopen { .. } => {}
            Cmd::Purge { q, .. } => {
                let r = self.b.queue_purge(ch, QUEUES[q], now);
                self.expect(slot, open && exists(&self.m, q), r.is_ok(), "purge", false)?;
                if let Ok(n) = r {
                    ensure!(n as usize == self.m.purge(QUEUES[q]), "purge count {n}");
                }
            }
            Cmd::Delete { q, if_unused, if_empty, .. } => {
                let mq = self.m.queues.get(QUEUES[q]);
                let refused =
                    mq.is_some_and(|mq| (if_unused && !mq.consumers.is_empty()) || (if_empty && mq.ready() > 0));
                let r = self.b.queue_delete(ch, QUEUES[q], if_unused, if_empty, now);
                self.expect(slot, open && !refused, r.is_ok(), "delete", false)?;
                if let (Ok(n), true) = (r, exists(&self.m, q)) {
                    ensure!(n as usize == self.m.delete(QUEUES[q], "queue deleted"), "delete count {n}");
                }
            }
            Cmd::Advance { ms: 0 } => self.b.handle_timeout(now), // a spurious wake-up changes nothing
            Cmd::Advance { .. } => {}
            Cmd::Commit => self.commit(),
        }
        self.sync_store();
        self.events(&[])?;
        self.m.expire_all();
        let target = if let Cmd::Advance { ms } = cmd { now + ms } else { now };
        self.run_timers(target)?;
        self.check()
    }

    /// Moves time to `target`, calling `handle_timeout` at each deadline `poll_timeout` gives
    /// on the way, as a driver's timer would.
    fn run_timers(&mut self, target: u64) -> R {
        for _ in 0..100_000 {
            let Some(t) = self.b.poll_timeout().filter(|t| *t <= target) else { break };
            let t = t.max(self.now());
            self.m.wake_queues(t);
            let due = self.m.delayed_due(t);
            self.b.handle_timeout(t);
            self.sync_store();
            self.events(&due)?;
            self.m.expire_all();
            ensure!(
                !self.b.poll_timeout().is_some_and(|x| x <= t),
                "poll_timeout stays at or before {t} after handle_timeout({t})"
            );
        }
        // Nothing else may be due by `target`: the model's view of it must change nothing.
        self.m.wake_queues(target);
        self.m.expire_all();
        self.m.release_delayed();
        self.m.expire_all();
        Ok(())
    }

    /// Feeds every pending event to the model. `due` are the `x-delay` messages a timer routed:
    /// the broker routes them after it handled the queues' deadlines, so the model routes them
    /// when it meets the first event about one of them (or at the end).
    fn events(&mut self, due: &[u64]) -> R {
        let mut pending = !due.is_empty();
        let events: Vec<Event<Vec<u8>>> = self.b.drain_events().collect();
        for e in events {
            let n = match &e {
                Event::Deliver(d) => Some(ident(d).0),
                Event::Return { message, .. } => Some(u64::from_le_bytes(message.body.as_slice().try_into().unwrap())),
                _ => None,
            };
            if pending && n.is_some_and(|n| due.contains(&n)) {
                self.m.expire_all();
                self.m.release_delayed();
                pending = false;
            }
            match e {
                Event::Deliver(d) => self.m.on_deliver(&d)?,
                Event::Return { .. } => {
                    let n = n.expect("a return names its message");
                    let i = self.m.returns.iter().position(|r| *r == n).ok_or(format!("unexpected return of {n}"))?;
                    self.m.returns.remove(i);
                }
                Event::ConsumerCancelled { channel, consumer_tag } => {
                    let key = (channel, consumer_tag.to_string());
                    let i =
                        self.m.cancels.iter().position(|c| *c == key).ok_or(format!("unexpected cancel {key:?}"))?;
                    self.m.cancels.remove(i);
                }
                Event::ChannelClosed { channel, error } => {
                    let i =
                        self.closing.iter().position(|c| *c == channel).ok_or(format!("unexpected close: {error}"))?;
                    self.closing.remove(i);
                    let slot = self.m.slot_of(channel).ok_or("close of a closed channel")?;
                    self.m.teardown(slot);
                }
                Event::ConnectionClosed { connection, error } => {
                    ensure!(self.closing_conn.take() == Some(connection), "unexpected connection close: {error}");
                    let c = self.conns.iter().position(|c| *c == Some(connection)).expect("known");
                    self.conns[c] = None;
                    (c * 2..c * 2 + 2).for_each(|s| self.m.teardown(s));
                }
                Event::Confirm { .. } => return Err("confirm without confirm.select".into()),
            }
        }
        if pending {
            self.m.expire_all();
            self.m.release_delayed();
        }
        let m = &self.m;
        ensure!(
            m.returns.is_empty() && m.cancels.is_empty(),
            "missing returns {:?} / cancels {:?}",
            m.returns,
            m.cancels
        );
        ensure!(
            self.closing.is_empty() && self.closing_conn.is_none(),
            "channel or connection not closed after an error"
        );
        Ok(())
    }

    /// The broker's counts agree with the model's, and the model's own invariants hold.
    pub fn check(&self) -> R {
        for (name, q) in &self.m.queues {
            let s = self.b.queue_stats(name).ok_or(format!("queue {name} missing"))?;
            let got = (s.messages_ready, s.messages_unacked, s.messages_delayed, s.consumers);
            let want = (q.ready() as u64, q.unacked as u64, q.parked.len() as u64, q.consumers.len() as u64);
            ensure!(got == want, "{name}: (ready, unacked, parked, consumers) broker {got:?} model {want:?}");
            let c = q.counts;
            let want = (c.published, c.delivered, c.redelivered, c.acked, c.dead_lettered, c.dropped);
            let got = (s.published, s.delivered, s.redelivered, s.acked, s.dead_lettered, s.dropped);
            ensure!(got == want, "{name}: (published, delivered, redelivered, acked, dead_lettered, dropped) broker {got:?} model {want:?}");
        }
        ensure!(self.b.all_queue_stats().len() == self.m.queues.len(), "queue sets differ");
        ensure!(self.b.delayed_count() == self.m.delayed.len(), "x-delay counts differ");
        for s in 0..SLOTS {
            ensure!(self.b.channel_is_open(self.ids[s]) == self.m.chans[s].id.is_some(), "slot {s} open state differs");
        }
        self.m.check_conservation()?;
        self.m.check_work_conserving()
    }

    /// Closes everything, lets all time pass, and empties every queue with `basic.get`: each
    /// message must come out where the model says, and nothing may be left over.
    pub fn finish(&mut self) -> R {
        for cmd in [
            Cmd::CloseConnection { conn: 0 },
            Cmd::CloseConnection { conn: 1 },
            Cmd::Reopen { slot: 0 },
            Cmd::Advance { ms: 1 << 20 },
        ] {
            self.step(&cmd)?;
        }
        for (q, name) in QUEUES.iter().enumerate() {
            while self.m.queues.get(*name).is_some_and(|q| q.ready() > 0) {
                self.step(&Cmd::Get { slot: 0, q: 8 + q, no_ack: true })?;
            }
            if self.m.queues.contains_key(*name) {
                self.step(&Cmd::Get { slot: 0, q: 8 + q, no_ack: true })?;
            }
        }
        let live: u64 =
            self.b.all_queue_stats().iter().map(|s| s.messages_ready + s.messages_unacked + s.messages_delayed).sum();
        ensure!(
            live == 0 && self.m.acked + self.m.to_dlq + self.m.dropped.values().sum::<u64>() == self.m.created,
            "left over"
        );
        Ok(())
    }
}
