//! The broker: state, connections and channels, and the topology commands (exchanges, queues,
//! bindings). Publishing lives in `publish.rs`, consuming and acknowledging in `consume.rs`,
//! time in `timers.rs`, persistence hand-off in `persist.rs`.

use super::args::QueueArgs;
use super::channel::Channel;
use super::error::{AmqpError, ReplyCode, Result};
use super::event::{ChannelId, ConnectionId, Delivery, Event};
use super::exchange::{Binding, Destination, Exchange, ExchangeKind, ExchangeOptions};
use super::message::{Body, Message};
use super::queue::{Queue, QueueOptions, QueueStats};
use super::store_op::{DelayedRecord, ExchangeRecord, QueueRecord, StoreOp};
use super::value::FieldTable;
use std::cmp::Reverse;
use super::collections::{FastMap, IdMap, TimedQueue};
use std::collections::{BinaryHeap, VecDeque};
use std::rc::Rc;

/// The pseudo-queue a channel consumes from for direct reply-to.
pub const REPLY_TO: &str = "amq.rabbitmq.reply-to";

/// Broker settings.
#[derive(Debug, Clone, Default)]
pub struct BrokerConfig {
    /// Emit store operations for durable state, and hold confirms of persistent messages until
    /// the store commits them. Off for a memory-only broker.
    pub persistence: bool,
    /// Mixed into server-generated names (`amq.gen-…`, `amq.ctag-…`, reply-to addresses) so a
    /// restarted broker does not reuse them. The driver passes a random number.
    pub name_salt: u64,
    /// The largest body accepted, in bytes (`None` = no limit).
    pub max_message_bytes: Option<usize>,
}

/// Reply to `queue.declare`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueDeclareOk {
    /// The queue name (generated for a server-named queue).
    pub queue: String,
    /// Ready messages.
    pub message_count: u32,
    /// Consumers.
    pub consumer_count: u32,
}

#[derive(Debug, Default)]
pub(crate) struct Connection {
    pub channels: Vec<ChannelId>,
    pub exclusive_queues: Vec<Rc<str>>,
}

/// A batch handed to the store and not yet reported back.
#[derive(Debug)]
pub(crate) struct InFlight {
    pub id: u64,
    /// Confirms waiting on it.
    pub confirms: Vec<(ChannelId, u64)>,
    /// Store operations emitted up to its end.
    pub end: u64,
    /// The messages it puts, so that a failed batch can take them back.
    pub puts: Vec<(String, u64)>,
}

/// A message published with `x-delay`, waiting to be routed.
#[derive(Debug, Clone)]
pub(crate) struct Delayed<B> {
    pub mandatory: bool,
    pub channel: Option<ChannelId>,
    pub msg: Rc<Message<B>>,
    pub stored: bool,
}

/// The broker. See the [module docs](super) for the model and the hard cases.
#[derive(Debug)]
pub struct Broker<B: Body> {
    pub(crate) config: BrokerConfig,
    pub(crate) exchanges: FastMap<Rc<str>, Exchange>,
    pub(crate) queues: FastMap<Rc<str>, Queue<B>>,
    /// Reverse binding index: destination → (source, key, arguments).
    pub(crate) bound_to: FastMap<Destination, Vec<(Rc<str>, Rc<str>, FieldTable)>>,
    pub(crate) connections: IdMap<ConnectionId, Connection>,
    pub(crate) channels: IdMap<ChannelId, Channel<B>>,
    pub(crate) reply_consumers: IdMap<ChannelId, Rc<str>>,
    pub(crate) next_id: u64,
    pub(crate) events: VecDeque<Event<B>>,
    pub(crate) store_ops: Vec<StoreOp<B>>,
    pub(crate) confirms_awaiting_batch: Vec<(ChannelId, u64)>,
    /// Batches handed to the store.
    pub(crate) batches_in_flight: Vec<InFlight>,
    /// Store operations emitted so far, and how many of them are known committed.
    pub(crate) ops_emitted: u64,
    pub(crate) ops_committed: u64,
    /// Deliveries held until the store has the delivery they record: (channel, ops needed, delivery).
    pub(crate) held: VecDeque<(ChannelId, u64, Delivery<B>)>,
    pub(crate) timers: BinaryHeap<Reverse<(u64, Rc<str>)>>,
    pub(crate) delayed: TimedQueue<Delayed<B>>,
    pub(crate) dirty: Vec<Rc<str>>,
    pub(crate) topology_changed: bool,
    pub(crate) topology_version: u64,
    pub(crate) restoring: bool,
}

impl<B: Body> Broker<B> {
    /// A broker with the predeclared exchanges: `""` (default, direct), `amq.direct`,
    /// `amq.fanout`, `amq.topic`, `amq.headers` and `amq.match`.
    pub fn new(config: BrokerConfig) -> Self {
        let mut b = Broker {
            config,
            exchanges: FastMap::default(),
            queues: FastMap::default(),
            bound_to: FastMap::default(),
            connections: IdMap::default(),
            channels: IdMap::default(),
            reply_consumers: IdMap::default(),
            next_id: 1,
            events: VecDeque::new(),
            store_ops: Vec::new(),
            confirms_awaiting_batch: Vec::new(),
            batches_in_flight: Vec::new(),
            ops_emitted: 0,
            ops_committed: 0,
            held: VecDeque::new(),
            timers: BinaryHeap::new(),
            delayed: TimedQueue::default(),
            dirty: Vec::new(),
            topology_changed: false,
            topology_version: 0,
            restoring: false,
        };
        for (name, kind) in [
            ("", ExchangeKind::Direct),
            ("amq.direct", ExchangeKind::Direct),
            ("amq.fanout", ExchangeKind::Fanout),
            ("amq.topic", ExchangeKind::Topic),
            ("amq.headers", ExchangeKind::Headers),
            ("amq.match", ExchangeKind::Headers),
        ] {
            b.exchanges.insert(name.into(), Exchange::new(name, kind, ExchangeOptions::default()));
        }
        b
    }

    pub(crate) fn next_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// A name like RabbitMQ's generated ones: `prefix` + 22 characters.
    pub(crate) fn generated_name(&mut self, prefix: &str) -> String {
        const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        // A counter mixed with the salt by a bijective 64-bit mixer: unique while the counter is.
        let mut x = self.next_id().wrapping_add(self.config.name_salt.rotate_left(17));
        let mut out = String::from(prefix);
        let mut halves = [self.config.name_salt, 0];
        for half in halves.iter_mut().rev() {
            x ^= x >> 33;
            x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
            x ^= x >> 33;
            *half ^= x;
        }
        for i in 0..22 {
            let word = halves[i / 11];
            out.push(ALPHABET[((word >> ((i % 11) * 6)) & 63) as usize] as char);
        }
        out
    }

    pub(crate) fn emit_store(&mut self, op: StoreOp<B>) {
        if self.config.persistence && !self.restoring {
            self.store_ops.push(op);
            self.ops_emitted += 1;
        }
    }

    // ----- connections and channels -------------------------------------------------------

    /// Opens a connection.
    pub fn open_connection(&mut self) -> ConnectionId {
        let id = ConnectionId(self.next_id());
        self.connections.insert(id, Connection::default());
        id
    }

    /// Closes a connection: closes its channels (requeueing their unacknowledged messages) and
    /// deletes its exclusive queues. Unknown connections are ignored.
    pub fn close_connection(&mut self, conn: ConnectionId, now: u64) {
        let Some(c) = self.connections.remove(&conn) else { return };
        for ch in c.channels {
            self.teardown_channel(ch, now);
        }
        for q in c.exclusive_queues {
            if self.queues.get(&q).is_some_and(|q| q.owner == Some(conn)) {
                self.remove_queue(&q);
            }
        }
        self.run_pending(now);
    }

    /// Whether a connection is open.
    pub fn connection_is_open(&self, conn: ConnectionId) -> bool {
        self.connections.contains_key(&conn)
    }

    /// Opens a channel on a connection.
    pub fn open_channel(&mut self, conn: ConnectionId) -> Result<ChannelId> {
        if !self.connections.contains_key(&conn) {
            return Err(AmqpError::new(ReplyCode::ChannelError, "connection is closed"));
        }
        let id = ChannelId(self.next_id());
        self.channels.insert(id, Channel::new(conn));
        self.connections.get_mut(&conn).expect("checked").channels.push(id);
        Ok(id)
    }

    /// Closes a channel: its unacknowledged messages are requeued (redelivered), its consumers
    /// cancelled (auto-delete queues whose last consumer it was are deleted).
    pub fn close_channel(&mut self, ch: ChannelId, now: u64) -> Result<()> {
        let conn = self.channel(ch)?.connection;
        if let Some(c) = self.connections.get_mut(&conn) {
            c.channels.retain(|&x| x != ch);
        }
        self.teardown_channel(ch, now);
        self.run_pending(now);
        Ok(())
    }

    /// Whether a channel is open.
    pub fn channel_is_open(&self, ch: ChannelId) -> bool {
        self.channels.contains_key(&ch)
    }

    pub(crate) fn channel(&self, ch: ChannelId) -> Result<&Channel<B>> {
        self.channels.get(&ch).ok_or_else(|| AmqpError::new(ReplyCode::ChannelError, "channel is closed"))
    }

    pub(crate) fn channel_mut(&mut self, ch: ChannelId) -> Result<&mut Channel<B>> {
        self.channels.get_mut(&ch).ok_or_else(|| AmqpError::new(ReplyCode::ChannelError, "channel is closed"))
    }

    fn teardown_channel(&mut self, ch: ChannelId, now: u64) {
        let Some(mut channel) = self.channels.remove(&ch) else { return };
        self.reply_consumers.remove(&ch);
        let tags: Vec<Rc<str>> = channel.consumers.keys().cloned().collect();
        for tag in tags {
            if let Some(c) = channel.consumers.remove(&tag) {
                self.detach_consumer(ch, &tag, &c.queue, now);
            }
        }
        for u in channel.unacked.take_all() {
            self.return_to_queue(u, now);
        }
        // Pending confirms of a closed channel are never sent.
        self.confirms_awaiting_batch.retain(|(c, _)| *c != ch);
        self.held.retain(|(c, _, _)| *c != ch);
        for b in self.batches_in_flight.iter_mut() {
            b.confirms.retain(|(c, _)| *c != ch);
        }
    }

    /// Closes `ch` because of `err` (or its connection, for a connection-level code), queues the
    /// matching event, and returns the error for the caller to propagate.
    pub(crate) fn fail<T>(&mut self, ch: ChannelId, err: AmqpError, now: u64) -> Result<T> {
        let Some(conn) = self.channels.get(&ch).map(|c| c.connection) else { return Err(err) };
        if err.code.is_connection_level() {
            self.events.push_back(Event::ConnectionClosed { connection: conn, error: err.clone() });
            self.close_connection(conn, now);
        } else {
            if let Some(c) = self.connections.get_mut(&conn) {
                c.channels.retain(|&x| x != ch);
            }
            self.teardown_channel(ch, now);
            self.events.push_back(Event::ChannelClosed { channel: ch, error: err.clone() });
            self.run_pending(now);
        }
        Err(err)
    }

    /// Runs `op`; on error, closes the channel as [`Self::fail`] does.
    pub(crate) fn guarded<T>(&mut self, ch: ChannelId, now: u64, op: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        self.channel(ch)?;
        match op(self) {
            Ok(v) => {
                self.run_pending(now);
                Ok(v)
            }
            Err(e) => self.fail(ch, e, now),
        }
    }

    // ----- exchanges ----------------------------------------------------------------------

    /// `exchange.declare`. With `passive`, only checks that it exists (404 otherwise).
    pub fn exchange_declare(
        &mut self,
        ch: ChannelId,
        name: &str,
        kind: ExchangeKind,
        options: ExchangeOptions,
        passive: bool,
        now: u64,
    ) -> Result<()> {
        self.guarded(ch, now, |b| {
            if passive {
                return b.exchanges.get(name).map(|_| ()).ok_or_else(|| AmqpError::no_exchange(name));
            }
            if let Some(x) = b.exchanges.get(name) {
                return x.check_equivalent(kind, &options);
            }
            if name.is_empty() || name.starts_with("amq.") {
                return Err(AmqpError::access_refused(format_args!(
                    "exchange name '{name}' contains reserved prefix 'amq.*'"
                )));
            }
            if options.durable {
                b.emit_store(StoreOp::PutExchange(ExchangeRecord { name: name.into(), kind, options: options.clone() }));
            }
            b.exchanges.insert(name.into(), Exchange::new(name, kind, options));
            b.topology_changed = true;
            Ok(())
        })
    }

    /// `exchange.delete`. With `if_unused`, refuses (406) while it is the source of bindings.
    /// Deleting an exchange that does not exist succeeds, as in RabbitMQ 3.x.
    pub fn exchange_delete(&mut self, ch: ChannelId, name: &str, if_unused: bool, now: u64) -> Result<()> {
        self.guarded(ch, now, |b| {
            if name.is_empty() || name.starts_with("amq.") {
                return Err(AmqpError::access_refused(format_args!(
                    "operation not permitted on the default exchange or 'amq.*' exchanges ('{name}')"
                )));
            }
            let Some(x) = b.exchanges.get(name) else { return Ok(()) };
            if if_unused && x.binding_count() > 0 {
                return Err(AmqpError::precondition(format_args!("exchange '{name}' in vhost '/' in use")));
            }
            b.remove_exchange(name);
            Ok(())
        })
    }

    pub(crate) fn remove_exchange(&mut self, name: &str) {
        let Some(mut x) = self.exchanges.remove(name) else { return };
        self.topology_changed = true;
        let durable = x.options.durable;
        let bindings: Vec<Binding> = x.bindings().collect();
        for bnd in bindings {
            x.unbind(&bnd.destination, &bnd.key, &bnd.arguments);
            self.forget_reverse(&bnd);
            if durable && self.destination_is_durable(&bnd.destination) {
                self.emit_store(StoreOp::DeleteBinding(bnd));
            }
        }
        let as_dest = Destination::Exchange(x.name.clone());
        self.unbind_from_sources(&as_dest, durable);
        if durable {
            self.emit_store(StoreOp::DeleteExchange(name.into()));
        }
    }

    /// Removes every binding leading to `dest` (being deleted), persisting the removal of the
    /// durable ones; auto-delete sources left without bindings go too.
    fn unbind_from_sources(&mut self, dest: &Destination, dest_durable: bool) {
        for (source, key, args) in self.bound_to.remove(dest).unwrap_or_default() {
            let Some(src) = self.exchanges.get_mut(&source) else { continue };
            src.unbind(dest, &key, &args);
            if dest_durable && src.options.durable && !src.name.is_empty() {
                let binding = Binding { source: source.to_string(), destination: dest.clone(), key: key.to_string(), arguments: args };
                self.emit_store(StoreOp::DeleteBinding(binding));
            }
            self.after_unbind(&source);
        }
    }

    fn destination_is_durable(&self, dest: &Destination) -> bool {
        match dest {
            Destination::Queue(q) => self.queues.get(q).is_some_and(|q| q.is_durable()),
            Destination::Exchange(x) => self.exchanges.get(x).is_some_and(|x| x.options.durable),
        }
    }

    fn forget_reverse(&mut self, bnd: &Binding) {
        if let Some(list) = self.bound_to.get_mut(&bnd.destination) {
            list.retain(|(s, k, a)| !(**s == *bnd.source && **k == *bnd.key && *a == bnd.arguments));
            if list.is_empty() {
                self.bound_to.remove(&bnd.destination);
            }
        }
    }

    /// An auto-delete exchange whose last binding went is deleted.
    fn after_unbind(&mut self, source: &str) {
        if self.exchanges.get(source).is_some_and(|x| x.options.auto_delete && x.binding_count() == 0) {
            self.remove_exchange(source);
        }
    }

    fn binding_is_durable(&self, source: &str, dest: &Destination) -> bool {
        let src = self.exchanges.get(source).is_some_and(|x| x.options.durable && !x.name.is_empty());
        src && self.destination_is_durable(dest)
    }

    fn bind(&mut self, ch: ChannelId, dest: Destination, source: &str, key: &str, args: FieldTable) -> Result<()> {
        if source.is_empty() {
            return Err(AmqpError::access_refused("operation not permitted on the default exchange"));
        }
        match &dest {
            Destination::Queue(q) => {
                self.queue_for(ch, q)?;
            }
            Destination::Exchange(x) if !self.exchanges.contains_key(x.as_ref()) => {
                return Err(AmqpError::no_exchange(x));
            }
            Destination::Exchange(x) if x.is_empty() => {
                return Err(AmqpError::access_refused("operation not permitted on the default exchange"));
            }
            _ => {}
        }
        let durable = self.binding_is_durable(source, &dest);
        let x = self.exchanges.get_mut(source).ok_or_else(|| AmqpError::no_exchange(source))?;
        if x.bind(dest.clone(), key, args.clone())? {
            self.bound_to.entry(dest.clone()).or_default().push((x.name.clone(), key.into(), args.clone()));
            self.topology_changed = true;
            if durable {
                let binding = Binding { source: source.into(), destination: dest, key: key.into(), arguments: args };
                self.emit_store(StoreOp::PutBinding(binding));
            }
        }
        Ok(())
    }

    fn unbind(&mut self, ch: ChannelId, dest: Destination, source: &str, key: &str, args: FieldTable) -> Result<()> {
        if source.is_empty() {
            return Err(AmqpError::access_refused("operation not permitted on the default exchange"));
        }
        if let Destination::Queue(q) = &dest {
            self.queue_for(ch, q)?;
        }
        let durable = self.binding_is_durable(source, &dest);
        let x = self.exchanges.get_mut(source).ok_or_else(|| AmqpError::no_exchange(source))?;
        // RabbitMQ 3.x treats unbinding a binding that does not exist as success.
        if x.unbind(&dest, key, &args) {
            let binding = Binding { source: source.into(), destination: dest, key: key.into(), arguments: args };
            self.forget_reverse(&binding);
            self.topology_changed = true;
            if durable {
                self.emit_store(StoreOp::DeleteBinding(binding));
            }
            self.after_unbind(source);
        }
        Ok(())
    }

    /// `exchange.bind`: messages `source` routes with `key` go on to exchange `destination`.
    pub fn exchange_bind(
        &mut self,
        ch: ChannelId,
        destination: &str,
        source: &str,
        key: &str,
        args: FieldTable,
        now: u64,
    ) -> Result<()> {
        self.guarded(ch, now, |b| b.bind(ch, Destination::Exchange(destination.into()), source, key, args))
    }

    /// `exchange.unbind`.
    pub fn exchange_unbind(
        &mut self,
        ch: ChannelId,
        destination: &str,
        source: &str,
        key: &str,
        args: FieldTable,
        now: u64,
    ) -> Result<()> {
        self.guarded(ch, now, |b| {
            if !b.exchanges.contains_key(destination) {
                return Err(AmqpError::no_exchange(destination));
            }
            b.unbind(ch, Destination::Exchange(destination.into()), source, key, args)
        })
    }

    // ----- queues -------------------------------------------------------------------------

    /// The queue `name` as channel `ch` may use it: 404 if missing, 405 if exclusive to
    /// another connection.
    pub(crate) fn queue_for(&self, ch: ChannelId, name: &str) -> Result<&Queue<B>> {
        let conn = self.channel(ch)?.connection;
        let q = self.queues.get(name).ok_or_else(|| AmqpError::no_queue(name))?;
        if q.owner.is_some_and(|o| o != conn) {
            return Err(AmqpError::new(
                ReplyCode::ResourceLocked,
                format_args!(
                    "cannot obtain exclusive access to locked queue '{name}' in vhost '/'. It could be originally declared on another connection or the exclusive property value does not match that of the original declaration."
                ),
            ));
        }
        Ok(q)
    }

    /// `queue.declare`. An empty name makes a server-named queue (`amq.gen-…`). With `passive`,
    /// only checks that it exists.
    pub fn queue_declare(
        &mut self,
        ch: ChannelId,
        name: &str,
        options: QueueOptions,
        passive: bool,
        now: u64,
    ) -> Result<QueueDeclareOk> {
        self.declare_queue(ch, name, options, passive, false, now)
    }

    /// `queue.declare` of a server-named queue (`amq.gen-…`) under the name it had, for a client
    /// that recovers its topology on a new broker (the origin bus after a leader failover): the
    /// queue keeps the name its owner already handed out. Other `amq.*` names stay refused.
    pub fn queue_redeclare(&mut self, ch: ChannelId, name: &str, options: QueueOptions, now: u64) -> Result<QueueDeclareOk> {
        self.declare_queue(ch, name, options, false, name.starts_with("amq.gen-"), now)
    }

    fn declare_queue(
        &mut self,
        ch: ChannelId,
        name: &str,
        options: QueueOptions,
        passive: bool,
        recovering: bool,
        now: u64,
    ) -> Result<QueueDeclareOk> {
        self.guarded(ch, now, |b| {
            let conn = b.channel(ch)?.connection;
            if name.starts_with(REPLY_TO) {
                // Declaring a reply-to address tells whether its client is still there.
                let alive = b.reply_channel(name).is_some_and(|c| b.reply_consumers.contains_key(&c));
                if !alive {
                    return Err(AmqpError::no_queue(name));
                }
                return Ok(QueueDeclareOk { queue: name.into(), message_count: 0, consumer_count: 1 });
            }
            if passive {
                let q = b.queue_for(ch, name)?;
                return Ok(QueueDeclareOk {
                    queue: name.into(),
                    message_count: q.ready_len() as u32,
                    consumer_count: q.consumers.len() as u32,
                });
            }
            if name.starts_with("amq.") && !recovering && !b.queues.contains_key(name) {
                return Err(AmqpError::access_refused(format_args!(
                    "queue name '{name}' contains reserved prefix 'amq.*'"
                )));
            }
            let name = if name.is_empty() { b.generated_name("amq.gen-") } else { name.to_string() };
            if let Some(q) = b.queues.get(name.as_str()) {
                b.queue_for(ch, &name)?;
                check_queue_equivalent(q, &options)?;
                let q = b.queues.get_mut(name.as_str()).expect("present");
                q.last_used = now;
                b.dirty.push(q.name.clone());
                return Ok(QueueDeclareOk {
                    queue: name,
                    message_count: q.ready_len() as u32,
                    consumer_count: q.consumers.len() as u32,
                });
            }
            let args = QueueArgs::parse(&name, &options.arguments)?;
            let owner = options.exclusive.then_some(conn);
            let rc: Rc<str> = name.as_str().into();
            let uid = b.next_id();
            let q = Queue::new(rc.clone(), uid, options.clone(), args, owner, now);
            if q.is_durable() {
                b.emit_store(StoreOp::PutQueue(QueueRecord { name: name.clone(), options }));
            }
            b.queues.insert(rc.clone(), q);
            if let Some(o) = owner {
                b.connections.get_mut(&o).expect("open").exclusive_queues.push(rc.clone());
            }
            b.dirty.push(rc);
            b.topology_changed = true;
            Ok(QueueDeclareOk { queue: name, message_count: 0, consumer_count: 0 })
        })
    }

    /// `queue.bind`.
    pub fn queue_bind(&mut self, ch: ChannelId, queue: &str, exchange: &str, key: &str, args: FieldTable, now: u64) -> Result<()> {
        self.guarded(ch, now, |b| b.bind(ch, Destination::Queue(queue.into()), exchange, key, args))
    }

    /// `queue.unbind`.
    pub fn queue_unbind(&mut self, ch: ChannelId, queue: &str, exchange: &str, key: &str, args: FieldTable, now: u64) -> Result<()> {
        self.guarded(ch, now, |b| b.unbind(ch, Destination::Queue(queue.into()), exchange, key, args))
    }

    /// `queue.purge`: removes the ready messages; returns how many.
    pub fn queue_purge(&mut self, ch: ChannelId, queue: &str, now: u64) -> Result<u32> {
        self.guarded(ch, now, |b| {
            b.queue_for(ch, queue)?;
            let q = b.queues.get_mut(queue).expect("checked");
            let purged = q.drain_ready();
            q.stats.dropped += purged.len() as u64;
            let qname = q.name.to_string();
            for e in &purged {
                if e.stored {
                    b.emit_store(StoreOp::DeleteMessage { queue: qname.clone(), id: e.id });
                }
            }
            Ok(purged.len() as u32)
        })
    }

    /// `queue.delete`: returns the number of ready messages deleted. With `if_unused`, refuses
    /// (406) while it has consumers; with `if_empty`, while it has ready messages. Deleting a
    /// queue that does not exist succeeds with 0, as in RabbitMQ 3.x.
    pub fn queue_delete(&mut self, ch: ChannelId, queue: &str, if_unused: bool, if_empty: bool, now: u64) -> Result<u32> {
        self.guarded(ch, now, |b| {
            if !b.queues.contains_key(queue) {
                return Ok(0);
            }
            let q = b.queue_for(ch, queue)?;
            if if_unused && !q.consumers.is_empty() {
                return Err(AmqpError::precondition(format_args!("queue '{queue}' in vhost '/' in use")));
            }
            if if_empty && q.ready_len() > 0 {
                return Err(AmqpError::precondition(format_args!("queue '{queue}' in vhost '/' not empty")));
            }
            let n = q.ready_len() as u32;
            b.remove_queue(queue);
            Ok(n)
        })
    }

    /// Deletes a queue: its ready and parked messages are dropped (not dead-lettered), its
    /// consumers cancelled with a notification, its bindings removed.
    pub(crate) fn remove_queue(&mut self, name: &str) {
        let Some(q) = self.queues.remove(name) else { return };
        self.topology_changed = true;
        for (ch, tag, _) in &q.consumers {
            if let Some(c) = self.channels.get_mut(ch) {
                c.consumers.remove(tag);
                self.events.push_back(Event::ConsumerCancelled { channel: *ch, consumer_tag: tag.clone() });
            }
        }
        self.unbind_from_sources(&Destination::Queue(q.name.clone()), q.is_durable());
        if let Some(o) = q.owner {
            if let Some(c) = self.connections.get_mut(&o) {
                c.exclusive_queues.retain(|n| **n != *name);
            }
        }
        if q.is_durable() {
            self.emit_store(StoreOp::DeleteQueue(name.into()));
        }
    }

    // ----- introspection ------------------------------------------------------------------

    /// Counters and gauges of one queue.
    pub fn queue_stats(&self, name: &str) -> Option<QueueStats> {
        self.queues.get(name).map(Queue::stats)
    }

    /// Every queue's stats, sorted by name.
    pub fn all_queue_stats(&self) -> Vec<QueueStats> {
        sorted_keys(&self.queues).into_iter().map(|n| self.queues[n].stats()).collect()
    }

    /// Every exchange as (name, type, options), sorted by name (the default exchange is `""`).
    pub fn exchanges(&self) -> Vec<ExchangeRecord> {
        sorted_keys(&self.exchanges)
            .into_iter()
            .map(|n| {
                let x = &self.exchanges[n];
                ExchangeRecord { name: x.name.to_string(), kind: x.kind, options: x.options.clone() }
            })
            .collect()
    }

    /// Every queue's declaration, sorted by name.
    pub fn queues(&self) -> Vec<QueueRecord> {
        sorted_keys(&self.queues)
            .into_iter()
            .map(|n| QueueRecord { name: n.to_string(), options: self.queues[n].options.clone() })
            .collect()
    }

    /// Every explicit binding (the default exchange's implicit ones are not listed), by source
    /// exchange name.
    pub fn bindings(&self) -> Vec<Binding> {
        sorted_keys(&self.exchanges).into_iter().flat_map(|n| self.exchanges[n].bindings()).collect()
    }

    /// A number that grows whenever exchanges, queues, bindings or consumers change, so a
    /// live view knows when to list them again.
    pub fn topology_version(&self) -> u64 {
        self.topology_version
    }

    /// Persistent messages waiting in `x-delay`, for stats.
    pub fn delayed_count(&self) -> usize {
        self.delayed.len()
    }

    pub(crate) fn delayed_record(&self, id: u64, due: u64, d: &Delayed<B>) -> DelayedRecord<B> {
        DelayedRecord { id, due, mandatory: d.mandatory, message: (*d.msg).clone() }
    }
}

fn sorted_keys<V>(map: &FastMap<Rc<str>, V>) -> Vec<&Rc<str>> {
    let mut keys: Vec<&Rc<str>> = map.keys().collect();
    keys.sort_unstable();
    keys
}

fn check_queue_equivalent<B: Body>(q: &Queue<B>, options: &QueueOptions) -> Result<()> {
    let name = &q.name;
    let diff = |field: &str, got: &dyn std::fmt::Display, current: &dyn std::fmt::Display| {
        Err(AmqpError::precondition(format_args!(
            "inequivalent arg '{field}' for queue '{name}' in vhost '/': received '{got}' but current is '{current}'"
        )))
    };
    let arg = |t: &FieldTable, k: &str| t.get(k).map_or_else(|| "none".to_string(), |v| v.to_string());
    if options.durable != q.options.durable {
        return diff("durable", &options.durable, &q.options.durable);
    }
    if options.auto_delete != q.options.auto_delete {
        return diff("auto_delete", &options.auto_delete, &q.options.auto_delete);
    }
    if options.exclusive != q.options.exclusive {
        return diff("exclusive", &options.exclusive, &q.options.exclusive);
    }
    if let Some(name_of_arg) = QueueArgs::first_difference(&options.arguments, &q.options.arguments) {
        return diff(name_of_arg, &arg(&options.arguments, name_of_arg), &arg(&q.options.arguments, name_of_arg));
    }
    Ok(())
}
