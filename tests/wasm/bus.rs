//! The broker through its JavaScript boundary (`Bus`, the driver): asynchronous delivery of the
//! same value, errors as real `Error`s with codes, bad input that leaves the channel working,
//! timers on the global `setTimeout`, re-entrant calls from event handlers.

use super::{get, obj};
use js_sys::{Array, Object, Promise};
use switchyard::bindings::bus::Bus;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;

#[wasm_bindgen(inline_js = r#"
export function makeSink() {
  const events = [];
  const sink = {
    events,
    deliver(ch, tag, dtag, redelivered, exchange, key, content, props) {
      events.push({ kind: "deliver", ch, tag, dtag, redelivered, exchange, key, content, props });
      if (sink.onDeliver) sink.onDeliver(ch, dtag, content);
    },
    returned(ch, code, text, exchange, key, content, props) { events.push({ kind: "return", ch, code, text, key, content }); },
    confirm(ch, seq, ack) { events.push({ kind: "confirm", ch, seq, ack }); },
    cancelled(ch, tag) { events.push({ kind: "cancelled", ch, tag }); },
    channelClosed(ch, error) { events.push({ kind: "channelClosed", ch, error }); },
    connectionClosed(conn, error) { events.push({ kind: "connectionClosed", conn, error }); },
  };
  return sink;
}
export function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }
export function tick() { return new Promise((r) => queueMicrotask(r)); }
export function isError(e, ctor) { return e instanceof globalThis[ctor]; }
export function bytes(s) { return new TextEncoder().encode(s); }
export function text(b) { return new TextDecoder().decode(b); }
export function count(sink, kind) { return sink.events.filter((e) => e.kind === kind).length; }
export function reentrantWorker(sink, bus, ch) {
  // Each delivery acks itself and publishes the next number until 5: every call re-enters the
  // bus from inside the flush that delivered the message.
  const seen = [];
  sink.onDeliver = (c, dtag, content) => {
    seen.push(content);
    bus.ack(c, dtag, false);
    if (content < 5) bus.publish(c, "", "loop", content + 1, undefined);
    if (content === 5) bus.closeChannel(c);
  };
  return seen;
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = makeSink)]
    fn make_sink() -> JsValue;
    fn sleep(ms: u32) -> Promise;
    fn tick() -> Promise;
    #[wasm_bindgen(js_name = isError)]
    fn is_error(e: &JsValue, ctor: &str) -> bool;
    fn bytes(s: &str) -> JsValue;
    fn text(b: &JsValue) -> String;
    fn count(sink: &JsValue, kind: &str) -> u32;
    #[wasm_bindgen(js_name = reentrantWorker)]
    fn reentrant_worker(sink: &JsValue, bus: &JsValue, ch: f64) -> Array;
}

fn events(sink: &JsValue) -> Array {
    get(sink, "events").unchecked_into()
}

fn setup() -> (JsValue, Bus, f64) {
    let sink = make_sink();
    let bus = Bus::new(sink.clone().unchecked_into(), JsValue::UNDEFINED, 7.0, JsValue::UNDEFINED).unwrap();
    let conn = bus.open_connection().unwrap();
    let ch = bus.open_channel(conn).unwrap();
    (sink, bus, ch)
}

#[wasm_bindgen_test]
async fn delivery_is_asynchronous_and_hands_over_the_same_value() {
    let (sink, bus, ch) = setup();
    bus.assert_queue(ch, "q".into(), JsValue::UNDEFINED, false).unwrap();
    bus.consume(ch, "q".into(), obj(&[("noAck", true.into())])).unwrap();
    let content = obj(&[("order", 42.into())]);
    bus.publish(ch, "".into(), "q".into(), content.clone(), JsValue::UNDEFINED).unwrap();
    assert_eq!(events(&sink).length(), 0, "nothing is delivered inside publish()");
    JsFuture::from(tick()).await.unwrap();
    let evs = events(&sink);
    assert_eq!(evs.length(), 1);
    let d = evs.get(0);
    assert_eq!(get(&d, "kind").as_string().unwrap(), "deliver");
    assert!(Object::is(&get(&d, "content"), &content), "the published object itself arrives");
    assert_eq!(get(&d, "key").as_string().unwrap(), "q");
    assert_eq!(get(&d, "redelivered").as_bool(), Some(false));
}

#[wasm_bindgen_test]
async fn broker_errors_are_errors_with_amqp_codes_and_close_the_channel() {
    let (sink, bus, ch) = setup();
    let err = bus.assert_queue(ch, "missing".into(), JsValue::UNDEFINED, true).unwrap_err();
    assert!(is_error(&err, "Error"));
    assert_eq!(get(&err, "name").as_string().unwrap(), "AmqpError");
    assert_eq!(get(&err, "code").as_f64(), Some(404.0));
    assert_eq!(
        get(&err, "message").as_string().unwrap(),
        "Operation failed: QueueDeclare; 404 (NOT-FOUND) with message \"NOT_FOUND - no queue 'missing' in vhost '/'\""
    );
    JsFuture::from(tick()).await.unwrap();
    let closed = events(&sink).get(0);
    assert_eq!(get(&closed, "kind").as_string().unwrap(), "channelClosed");
    let e = get(&closed, "error");
    assert!(is_error(&e, "Error"));
    assert!(get(&e, "message").as_string().unwrap().starts_with("Channel closed by server: 404 (NOT-FOUND)"));
    // The channel is gone: further calls fail as on a closed channel.
    let again = bus.purge_queue(ch, "q".into()).unwrap_err();
    assert_eq!(get(&again, "code").as_string().unwrap(), "SWITCHYARD_CHANNEL_CLOSED");
}

#[wasm_bindgen_test]
async fn bad_input_throws_typed_errors_and_leaves_the_channel_working() {
    let (_sink, bus, ch) = setup();
    let cases: Vec<(JsValue, &str, &str)> = vec![
        (bus.assert_queue(ch, "q".into(), obj(&[("messageTtl", (-1).into())]), false).unwrap_err(), "RangeError", "SWITCHYARD_INVALID_ARGUMENT"),
        (bus.assert_queue(ch, "q".into(), obj(&[("durabel", true.into())]), false).unwrap_err(), "TypeError", "SWITCHYARD_UNKNOWN_OPTION"),
        (bus.assert_queue(ch, 5.into(), JsValue::UNDEFINED, false).unwrap_err(), "TypeError", "SWITCHYARD_INVALID_ARGUMENT"),
        (bus.assert_exchange(ch, "x".into(), "fan".into(), JsValue::UNDEFINED, false).unwrap_err(), "TypeError", "SWITCHYARD_INVALID_ARGUMENT"),
        (bus.publish(ch, "".into(), "q".into(), js_sys::Function::new_no_args("").into(), JsValue::UNDEFINED).unwrap_err(), "TypeError", "SWITCHYARD_NOT_CLONEABLE"),
        (bus.publish(ch, "".into(), "q".into(), bytes("x"), obj(&[("priority", 256.into())])).unwrap_err(), "RangeError", "SWITCHYARD_INVALID_ARGUMENT"),
        (bus.publish(ch, "".into(), 1.into(), bytes("x"), JsValue::UNDEFINED).unwrap_err(), "TypeError", "SWITCHYARD_INVALID_ARGUMENT"),
        (bus.prefetch(ch, 70000.into(), JsValue::UNDEFINED).unwrap_err(), "RangeError", "SWITCHYARD_INVALID_ARGUMENT"),
        (bus.consume(ch, "q".into(), obj(&[("noAck", "yes".into())])).unwrap_err(), "TypeError", "SWITCHYARD_INVALID_ARGUMENT"),
    ];
    for (err, ctor, code) in cases {
        assert!(is_error(&err, ctor), "{err:?} is a {ctor}");
        assert_eq!(get(&err, "code").as_string().as_deref(), Some(code), "{err:?}");
    }
    bus.assert_queue(ch, "q".into(), JsValue::UNDEFINED, false).unwrap();
    bus.publish(ch, "".into(), "q".into(), bytes("still works"), JsValue::UNDEFINED).unwrap();
    let got = bus.get(ch, "q".into(), obj(&[("noAck", true.into())])).unwrap();
    let got: Array = got.unchecked_into();
    assert_eq!(text(&got.get(0)), "still works");
}

#[wasm_bindgen_test]
async fn ttl_and_delay_fire_from_the_global_timer() {
    let (_sink, bus, ch) = setup();
    bus.assert_queue(ch, "dead".into(), JsValue::UNDEFINED, false).unwrap();
    let opts = obj(&[("messageTtl", 30.into()), ("deadLetterExchange", "".into()), ("deadLetterRoutingKey", "dead".into())]);
    bus.assert_queue(ch, "short".into(), opts, false).unwrap();
    bus.publish(ch, "".into(), "short".into(), bytes("expiring"), JsValue::UNDEFINED).unwrap();
    bus.publish(ch, "".into(), "dead".into(), bytes("delayed"), obj(&[("delay", 40.into())])).unwrap();
    assert_eq!(bus.get(ch, "dead".into(), JsValue::UNDEFINED).unwrap(), JsValue::FALSE);
    JsFuture::from(sleep(150)).await.unwrap();
    let first: Array = bus.get(ch, "dead".into(), obj(&[("noAck", true.into())])).unwrap().unchecked_into();
    let second: Array = bus.get(ch, "dead".into(), obj(&[("noAck", true.into())])).unwrap().unchecked_into();
    assert_eq!(text(&first.get(0)), "expiring");
    // Properties cross as an array: headers are its third element.
    let headers = Array::from(&first.get(6)).get(2);
    let death = Array::from(&get(&headers, "x-death")).get(0);
    assert_eq!(get(&death, "reason").as_string().unwrap(), "expired");
    assert_eq!(get(&death, "queue").as_string().unwrap(), "short");
    assert_eq!(get(&death, "count").as_f64(), Some(1.0));
    assert_eq!(text(&second.get(0)), "delayed");
}

#[wasm_bindgen_test]
async fn handlers_may_call_back_into_the_bus() {
    let (sink, bus, ch) = setup();
    bus.assert_queue(ch, "loop".into(), JsValue::UNDEFINED, false).unwrap();
    bus.consume(ch, "loop".into(), JsValue::UNDEFINED).unwrap();
    let bus_js: JsValue = bus.into();
    let seen = reentrant_worker(&sink, &bus_js, ch);
    let publish: js_sys::Function = get(&bus_js, "publish").unchecked_into();
    publish
        .apply(&bus_js, &Array::of5(&ch.into(), &"".into(), &"loop".into(), &1.into(), &JsValue::UNDEFINED))
        .unwrap();
    JsFuture::from(sleep(20)).await.unwrap();
    let seen: Vec<f64> = seen.iter().map(|v| v.as_f64().unwrap()).collect();
    assert_eq!(seen, vec![1.0, 2.0, 3.0, 4.0, 5.0]);
    assert_eq!(count(&sink, "channelClosed"), 0, "acks were all valid");
}
