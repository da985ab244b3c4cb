//! The driver owns a [`Broker`] inside a JavaScript runtime: it supplies the time, arms one
//! timer on the global `setTimeout` for the broker's next deadline, and hands the broker's
//! events to JavaScript.
//!
//! # Re-entrancy
//! User JavaScript is only ever called from [`Driver::flush`], one event at a time, with no
//! Rust borrow held: the event is taken out of the broker first. A consumer callback may
//! therefore publish, ack, or close its channel, which re-enters the driver; the new events are
//! appended and delivered by the same flush loop, in order. Flushes run as a microtask after
//! the call that produced the events, so delivery is asynchronous, as with a network broker.

mod body;
mod timer;

pub use body::JsBody;

use crate::bindings::errors::{channel_closed_by_server, connection_closed_by_server};
use crate::core::{Broker, Event};
use js_sys::Function;
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use timer::Timer;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// The package facade's receiver of broker events. Its methods must not throw (the facade
    /// catches what user callbacks throw and rethrows it asynchronously).
    pub type Sink;
    #[wasm_bindgen(method, catch)]
    fn deliver(
        this: &Sink,
        channel: f64,
        consumer_tag: &JsValue,
        delivery_tag: f64,
        redelivered: bool,
        exchange: &JsValue,
        routing_key: &JsValue,
        content: &JsValue,
        properties: &JsValue,
        bytes_ptr: u32,
        bytes_len: u32,
    ) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch, js_name = returned)]
    fn returned(
        this: &Sink,
        channel: f64,
        reply_code: u16,
        reply_text: &str,
        exchange: &JsValue,
        routing_key: &JsValue,
        content: &JsValue,
        properties: &JsValue,
        bytes_ptr: u32,
        bytes_len: u32,
    ) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch)]
    fn confirm(this: &Sink, channel: f64, seq: f64, ack: bool) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch)]
    fn cancelled(this: &Sink, channel: f64, consumer_tag: &str) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch, js_name = channelClosed)]
    fn channel_closed(this: &Sink, channel: f64, error: JsValue) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch, js_name = connectionClosed)]
    fn connection_closed(this: &Sink, connection: f64, error: JsValue) -> Result<(), JsValue>;
    /// Write one batch of store operations, then call `Bus.storeDone(batch, ok, error)`.
    #[wasm_bindgen(method, catch)]
    fn persist(this: &Sink, batch: f64, ops: js_sys::Array) -> Result<(), JsValue>;

    #[wasm_bindgen(js_name = queueMicrotask)]
    fn queue_microtask(f: &Function);
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    fn console_error(message: &str, err: &JsValue);
}

/// The current wall-clock time in milliseconds (persisted expiry times survive restarts).
pub fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

/// A broker in a JavaScript runtime.
pub struct Driver {
    broker: RefCell<Broker<JsBody>>,
    sink: Sink,
    flush_queued: Cell<bool>,
    flushing: Cell<bool>,
    timer: RefCell<Option<Timer>>,
    tags: RefCell<Vec<(Rc<str>, JsValue)>>,
    // Dropped after `timer` (declaration order), so an armed timer is cleared before its
    // closure goes.
    on_timer: Closure<dyn FnMut()>,
    store_queued: Cell<bool>,
    store_in_flight: Cell<Option<u64>>,
    weak: Weak<Driver>,
}

/// Runs `f` on the driver in a microtask. The closure belongs to JavaScript and is freed when it
/// runs; if the driver is gone by then, it does nothing.
fn microtask(weak: &Weak<Driver>, f: fn(&Driver)) {
    let weak = weak.clone();
    let closure = Closure::once_into_js(move || {
        if let Some(d) = weak.upgrade() {
            f(&d);
        }
    });
    queue_microtask(closure.unchecked_ref());
}

impl Driver {
    /// A driver around `broker`, sending events to `sink`.
    pub fn new(broker: Broker<JsBody>, sink: Sink) -> Rc<Driver> {
        Rc::new_cyclic(|weak: &Weak<Driver>| {
            let w1 = weak.clone();
            Driver {
                weak: weak.clone(),
                broker: RefCell::new(broker),
                store_queued: Cell::new(false),
                store_in_flight: Cell::new(None),
                sink,
                flush_queued: Cell::new(false),
                flushing: Cell::new(false),
                timer: RefCell::new(None),
                tags: RefCell::new(Vec::new()),
                on_timer: Closure::new(move || {
                    if let Some(d) = w1.upgrade() {
                        d.fire();
                    }
                }),
            }
        })
    }

    /// Runs `f` on the broker with the current time, then queues a flush of the events it
    /// produced and re-arms the timer. Convert every JavaScript argument *before* calling this:
    /// no user JavaScript may run while the broker is borrowed.
    pub fn call<T>(&self, f: impl FnOnce(&mut Broker<JsBody>, u64) -> T) -> Result<T, JsValue> {
        let out = {
            let Ok(mut b) = self.broker.try_borrow_mut() else {
                return Err(crate::bindings::errors::closed(
                    "Error",
                    "switchyard: the broker was called while it was busy (re-entrant call from a conversion)",
                    "SWITCHYARD_BUSY",
                ));
            };
            f(&mut b, now_ms())
        };
        self.after_call();
        Ok(out)
    }

    /// Reads the broker.
    pub fn read<T>(&self, f: impl FnOnce(&Broker<JsBody>) -> T) -> T {
        f(&self.broker.borrow())
    }

    fn after_call(&self) {
        let (has_events, has_store_work) = {
            let b = self.broker.borrow();
            (b.has_events(), b.has_store_work())
        };
        if has_events && !self.flush_queued.get() && !self.flushing.get() {
            self.flush_queued.set(true);
            microtask(&self.weak, Driver::flush);
        }
        // Group commit: everything the current task produced goes in one batch, written when
        // the task's synchronous work is done; while a batch is being written, the next one
        // grows.
        if has_store_work && !self.store_queued.get() && self.store_in_flight.get().is_none() {
            self.store_queued.set(true);
            microtask(&self.weak, Driver::persist);
        }
        self.rearm();
    }

    fn persist(&self) {
        self.store_queued.set(false);
        if self.store_in_flight.get().is_some() {
            return;
        }
        let batch = self.broker.borrow_mut().take_store_batch();
        let Some(batch) = batch else { return };
        self.store_in_flight.set(Some(batch.id));
        let ops = crate::bindings::records::ops_to_js(&batch.ops);
        if let Err(e) = self.sink.persist(batch.id as f64, ops) {
            console_error("switchyard: the store adapter threw", &e);
            self.store_done(batch.id, false);
        }
    }

    /// The store finished writing batch `id` (`ok` = committed). Confirms waiting on it are
    /// sent; the next batch, if any, is written.
    pub fn store_done(&self, id: u64, ok: bool) {
        if self.store_in_flight.get() == Some(id) {
            self.store_in_flight.set(None);
        }
        let _ = self.call(|b, _| if ok { b.handle_store_committed(id) } else { b.handle_store_failed(id) });
    }

    /// Runs the timers that are due now: for a clock other than `setTimeout` (a worker's, while
    /// a hidden tab's timers are throttled). Does nothing when nothing is due.
    pub fn tick(&self) {
        let due = self.broker.borrow().poll_timeout().is_some_and(|t| t <= now_ms());
        if due {
            self.fire();
        }
    }

    fn fire(&self) {
        self.timer.borrow_mut().take();
        if let Err(e) = self.call(|b, now| b.handle_timeout(now)) {
            console_error("switchyard: timer", &e);
        }
    }

    fn rearm(&self) {
        let Some(next) = self.broker.borrow().poll_timeout() else {
            self.timer.borrow_mut().take();
            return;
        };
        let mut timer = self.timer.borrow_mut();
        if timer.as_ref().is_some_and(|t| t.deadline <= next) {
            return;
        }
        let delay = next.saturating_sub(now_ms());
        *timer = Some(Timer::arm(self.on_timer.as_ref().unchecked_ref(), delay, next));
    }

    /// Delivers every pending event to the sink, in order.
    pub fn flush(&self) {
        self.flush_queued.set(false);
        if self.flushing.replace(true) {
            return;
        }
        loop {
            let event = self.broker.borrow_mut().poll_event();
            let Some(event) = event else { break };
            if let Err(e) = self.emit(event) {
                console_error("switchyard: an event handler threw", &e);
            }
        }
        self.flushing.set(false);
        self.rearm();
    }

    /// The consumer tag as a JavaScript string, from a small cache keyed by the tag's `Rc`
    /// (the cache holds a clone, so a cached pointer cannot be reused by another tag).
    fn tag_js(&self, tag: Option<&Rc<str>>) -> JsValue {
        let Some(tag) = tag else { return JsValue::from_str("") };
        let mut cache = self.tags.borrow_mut();
        if let Some((_, js)) = cache.iter().find(|(t, _)| Rc::ptr_eq(t, tag)) {
            return js.clone();
        }
        let js = JsValue::from_str(tag);
        if cache.len() == 8 {
            cache.remove(0);
        }
        cache.push((tag.clone(), js.clone()));
        js
    }

    fn emit(&self, event: Event<JsBody>) -> Result<(), JsValue> {
        match event {
            Event::Deliver(d) => {
                let (exchange, key, properties) = JsBody::render(&d.message);
                let tag = self.tag_js(d.consumer_tag.as_ref());
                let (content, ptr, len) = d.message.body.for_sink();
                self.sink.deliver(
                    d.channel.0 as f64,
                    &tag,
                    d.delivery_tag as f64,
                    d.redelivered,
                    exchange,
                    key,
                    &content,
                    properties,
                    ptr,
                    len,
                )
            }
            Event::Return { channel, reply, message: m } => {
                let (exchange, key, properties) = JsBody::render(&m);
                let (content, ptr, len) = m.body.for_sink();
                self.sink.returned(channel.0 as f64, reply.code.code(), &reply.text, exchange, key, &content, properties, ptr, len)
            }
            Event::Confirm { channel, seq, ack } => self.sink.confirm(channel.0 as f64, seq as f64, ack),
            Event::ConsumerCancelled { channel, consumer_tag } => self.sink.cancelled(channel.0 as f64, &consumer_tag),
            Event::ChannelClosed { channel, error } => {
                self.sink.channel_closed(channel.0 as f64, channel_closed_by_server(&error))
            }
            Event::ConnectionClosed { connection, error } => {
                self.sink.connection_closed(connection.0 as f64, connection_closed_by_server(&error))
            }
        }
    }
}
