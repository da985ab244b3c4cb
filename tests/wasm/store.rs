//! Persistence through the JavaScript boundary: batches handed to the sink as plain objects,
//! confirms held until the store commits, and a broker restored from a snapshot of what a
//! store kept (the same in Node, a page and a worker).

use super::{call_method, get, obj};
use js_sys::{Array, Promise, Reflect};
use switchyard::bindings::bus::Bus;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;

// The package's own tape codec, as the facade uses it.
#[wasm_bindgen(module = "/pkg-template/records.js")]
extern "C" {
    #[wasm_bindgen(js_name = decodeOps)]
    fn decode_ops(tape: &JsValue) -> Array;
    #[wasm_bindgen(js_name = encodeSnapshot)]
    fn encode_snapshot(snapshot: &JsValue) -> JsValue;
}

#[wasm_bindgen(inline_js = r#"
// A sink whose store keeps what it is told in Maps, as an adapter would (the test decodes the
// tapes it receives with the package's records.js).
export function storeSink() {
  const s = {
    events: [], batches: [],
    exchanges: new Map(), queues: new Map(), bindings: new Map(), messages: new Map(), delayed: new Map(),
    deliver(ch, tag, dtag, redelivered, exchange, key, content, props) { s.events.push({ kind: "deliver", dtag, redelivered, content, props }); },
    returned() {}, cancelled() {}, channelClosed(ch, e) { s.events.push({ kind: "closed", e }); }, connectionClosed() {},
    confirm(ch, seq, ack) { s.events.push({ kind: "confirm", seq, ack }); },
    persist(batch, tape) { s.batches.push({ batch, tape }); },
    apply(ops) {
      const bkey = (o) => JSON.stringify([o.source, o.destinationType, o.destination, o.routingKey, o.arguments]);
      for (const o of ops) {
        const { op, ...r } = o;
        if (op === "putExchange") s.exchanges.set(r.name, r);
        else if (op === "deleteExchange") s.exchanges.delete(r.name);
        else if (op === "putQueue") s.queues.set(r.name, r);
        else if (op === "deleteQueue") { s.queues.delete(r.name); for (const k of [...s.messages.keys()]) if (s.messages.get(k).queue === r.name) s.messages.delete(k); }
        else if (op === "putBinding") s.bindings.set(bkey(r), r);
        else if (op === "deleteBinding") s.bindings.delete(bkey(r));
        else if (op === "putMessage") s.messages.set(r.queue + "/" + r.id, r);
        else if (op === "updateMessage") Object.assign(s.messages.get(r.queue + "/" + r.id), { deliveryCount: r.deliveryCount, notBefore: r.notBefore });
        else if (op === "deleteMessage") s.messages.delete(r.queue + "/" + r.id);
        else if (op === "putDelayed") s.delayed.set(r.id, r);
        else if (op === "deleteDelayed") s.delayed.delete(r.id);
        else throw new Error("unknown op " + op);
      }
    },
    snapshot() {
      return { exchanges: [...s.exchanges.values()], queues: [...s.queues.values()], bindings: [...s.bindings.values()],
               messages: [...s.messages.values()], delayed: [...s.delayed.values()] };
    },
  };
  return s;
}
export function tick() { return new Promise((r) => setTimeout(r, 0)); }
"#)]
extern "C" {
    #[wasm_bindgen(js_name = storeSink)]
    fn store_sink() -> JsValue;
    fn tick() -> Promise;
}

fn kinds(sink: &JsValue, kind: &str) -> Vec<JsValue> {
    Array::from(&get(sink, "events")).iter().filter(|e| get(e, "kind").as_string().as_deref() == Some(kind)).collect()
}

/// The operation names of every batch so far.
fn op_names(sink: &JsValue) -> Vec<String> {
    Array::from(&get(sink, "batches"))
        .iter()
        .flat_map(|b| decode_ops(&get(&b, "tape")).iter().map(|o| get(&o, "op").as_string().unwrap()).collect::<Vec<_>>())
        .collect()
}

/// Commits every batch the bus has handed over into the sink's maps.
async fn commit_all(sink: &JsValue, bus: &Bus) {
    JsFuture::from(tick()).await.unwrap();
    loop {
        let batches = Array::from(&get(sink, "batches"));
        let pending: Vec<JsValue> = batches.iter().filter(|b| !get(b, "done").is_truthy()).collect();
        if pending.is_empty() {
            break;
        }
        for b in pending {
            call_method(sink, "apply", &[decode_ops(&get(&b, "tape")).into()]);
            Reflect::set(&b, &"done".into(), &true.into()).unwrap();
            bus.store_done(get(&b, "batch").as_f64().unwrap(), true);
        }
        JsFuture::from(tick()).await.unwrap();
    }
}

fn persistent() -> JsValue {
    obj(&[("persistent", true.into()), ("headers", obj(&[("stamp", obj(&[("!", "timestamp".into()), ("value", 1234.into())]))]))])
}

#[wasm_bindgen_test]
async fn confirms_wait_for_the_store_and_nack_when_it_fails() {
    let sink = store_sink();
    let bus = Bus::new(sink.clone().unchecked_into(), JsValue::UNDEFINED, 1.0, JsValue::NULL).unwrap();
    let ch = bus.open_channel(bus.open_connection().unwrap()).unwrap();
    bus.confirm_select(ch).unwrap();
    bus.assert_queue(ch, "jobs".into(), JsValue::UNDEFINED, false).unwrap();
    bus.publish(ch, "".into(), "jobs".into(), "durable".into(), persistent()).unwrap();
    bus.publish(ch, "".into(), "jobs".into(), "transient".into(), JsValue::UNDEFINED).unwrap();
    JsFuture::from(tick()).await.unwrap();
    let confirms = kinds(&sink, "confirm");
    assert_eq!(confirms.len(), 1, "only the transient message is confirmed before the store commits");
    assert_eq!(get(&confirms[0], "seq").as_f64(), Some(2.0));
    let batches = Array::from(&get(&sink, "batches"));
    assert_eq!(batches.length(), 1, "one batch for the whole task (group commit)");
    assert_eq!(op_names(&sink), ["putQueue", "putMessage"]);
    let put = decode_ops(&get(&batches.get(0), "tape")).get(1);
    assert_eq!(get(&put, "body").as_string().as_deref(), Some("durable"));
    bus.store_done(get(&batches.get(0), "batch").as_f64().unwrap(), true);
    JsFuture::from(tick()).await.unwrap();
    let confirms = kinds(&sink, "confirm");
    assert_eq!(confirms.len(), 2);
    assert_eq!((get(&confirms[1], "seq").as_f64(), get(&confirms[1], "ack").as_bool()), (Some(1.0), Some(true)));

    bus.publish(ch, "".into(), "jobs".into(), "lost".into(), persistent()).unwrap();
    JsFuture::from(tick()).await.unwrap();
    let batches = Array::from(&get(&sink, "batches"));
    bus.store_done(get(&batches.get(1), "batch").as_f64().unwrap(), false);
    JsFuture::from(tick()).await.unwrap();
    let confirms = kinds(&sink, "confirm");
    assert_eq!((get(&confirms[2], "seq").as_f64(), get(&confirms[2], "ack").as_bool()), (Some(3.0), Some(false)));
}

#[wasm_bindgen_test]
async fn a_restored_bus_has_the_durable_queues_and_messages_back() {
    let sink = store_sink();
    let bus = Bus::new(sink.clone().unchecked_into(), JsValue::UNDEFINED, 1.0, JsValue::NULL).unwrap();
    let ch = bus.open_channel(bus.open_connection().unwrap()).unwrap();
    bus.assert_exchange(ch, "work".into(), "direct".into(), JsValue::UNDEFINED, false).unwrap();
    bus.assert_queue(ch, "jobs".into(), obj(&[("maxPriority", 5.into())]), false).unwrap();
    bus.bind_queue(ch, "jobs".into(), "work".into(), "job".into(), JsValue::UNDEFINED, false).unwrap();
    for body in ["a", "b", "c"] {
        bus.publish(ch, "work".into(), "job".into(), body.into(), persistent()).unwrap();
    }
    let first: Array = bus.get(ch, "jobs".into(), JsValue::UNDEFINED).unwrap().unchecked_into();
    bus.ack(ch, first.get(1).as_f64().unwrap(), false).unwrap();
    let _held: Array = bus.get(ch, "jobs".into(), JsValue::UNDEFINED).unwrap().unchecked_into();
    commit_all(&sink, &bus).await;
    assert_eq!(get(&get(&sink, "messages"), "size").as_f64(), Some(2.0), "the acked message left the store");

    let snapshot = encode_snapshot(&call_method(&sink, "snapshot", &[]));
    let sink2 = store_sink();
    let restored = Bus::new(sink2.clone().unchecked_into(), JsValue::UNDEFINED, 2.0, snapshot).unwrap();
    let ch2 = restored.open_channel(restored.open_connection().unwrap()).unwrap();
    restored.publish(ch2, "work".into(), "job".into(), "d".into(), JsValue::UNDEFINED).unwrap();
    let mut got = Vec::new();
    while let Ok(m) = restored.get(ch2, "jobs".into(), obj(&[("noAck", true.into())])) {
        if m == JsValue::FALSE {
            break;
        }
        let m: Array = m.unchecked_into();
        got.push((m.get(0).as_string().unwrap(), m.get(2).as_bool().unwrap()));
        if got.len() == 1 {
            // Properties cross as an array: [2] headers, [3] deliveryMode.
            let properties = Array::from(&m.get(6));
            let stamp = get(&properties.get(2), "stamp");
            assert_eq!(get(&stamp, "value").as_f64(), Some(1234.0), "typed header values survive the store");
            assert_eq!(properties.get(3).as_f64(), Some(2.0));
        }
    }
    let expected: Vec<(String, bool)> =
        vec![("b".into(), true), ("c".into(), false), ("d".into(), false)];
    assert_eq!(got, expected, "the delivered-unacked message comes back redelivered, in order, and routing works");
}
