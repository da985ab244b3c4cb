//! The one wasm test tree. Each harness (`tests/wasm_node.rs`, `tests/wasm_browser.rs`,
//! `tests/wasm_dedicated_worker.rs`) mounts this module; they differ only in their
//! `wasm_bindgen_test_configure!` line, so every test here runs in Node, a page and a worker.
//!
//! For now the tests pin down what the driver and the link rely on in each context: a global
//! `setTimeout` that fires, and `BroadcastChannel` delivering between two channels of one name
//! (plus IndexedDB and Web Locks in browser contexts).

mod bus;
mod store;

use js_sys::{Array, Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;

fn global(name: &str) -> JsValue {
    Reflect::get(&js_sys::global(), &name.into()).expect("reading a global property")
}

/// A property of a JavaScript object (shared by the test modules).
fn get(o: &JsValue, k: &str) -> JsValue {
    Reflect::get(o, &k.into()).unwrap()
}

/// A plain object from pairs.
fn obj(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = js_sys::Object::new();
    for (k, v) in pairs {
        Reflect::set(&o, &(*k).into(), v).unwrap();
    }
    o.into()
}

fn call_method(target: &JsValue, name: &str, args: &[JsValue]) -> JsValue {
    let method: Function = Reflect::get(target, &name.into())
        .unwrap()
        .dyn_into()
        .unwrap();
    method
        .apply(target, &args.iter().collect::<Array>())
        .unwrap()
}

/// A page or a worker, as opposed to Node (which also has a `process` global).
fn in_browser_context() -> bool {
    !global("document").is_undefined() || !global("WorkerGlobalScope").is_undefined()
}

#[wasm_bindgen_test]
async fn global_set_timeout_fires_after_its_delay() {
    let set_timeout: Function = global("setTimeout").dyn_into().expect("global setTimeout");
    let started = js_sys::Date::now();
    // setTimeout(resolve, 30, "fired") resolves the promise with "fired".
    let fired = Promise::new(&mut |resolve, _reject| {
        set_timeout
            .call3(&JsValue::UNDEFINED, &resolve, &30.into(), &"fired".into())
            .unwrap();
    });
    let value = JsFuture::from(fired).await.unwrap();
    let elapsed = js_sys::Date::now() - started;
    assert_eq!(value.as_string().as_deref(), Some("fired"));
    assert!(
        elapsed >= 25.0,
        "fired after {elapsed} ms, expected about 30"
    );
}

#[wasm_bindgen_test]
async fn broadcast_channel_delivers_between_two_channels_of_one_name() {
    let ctor: Function = global("BroadcastChannel")
        .dyn_into()
        .expect("global BroadcastChannel");
    let name = JsValue::from(format!("switchyard-test-{}", js_sys::Math::random()));
    let sender = Reflect::construct(&ctor, &Array::of1(&name)).unwrap();
    let receiver = Reflect::construct(&ctor, &Array::of1(&name)).unwrap();
    let received = Promise::new(&mut |resolve, _reject| {
        Reflect::set(&receiver, &"onmessage".into(), &resolve).unwrap();
    });
    call_method(&sender, "postMessage", &["hello".into()]);
    let event = JsFuture::from(received).await.unwrap();
    let data = Reflect::get(&event, &"data".into()).unwrap();
    call_method(&sender, "close", &[]);
    call_method(&receiver, "close", &[]);
    assert_eq!(data.as_string().as_deref(), Some("hello"));
}

#[wasm_bindgen_test]
fn browser_contexts_have_indexed_db_and_web_locks() {
    if !in_browser_context() {
        // Node has neither (tests polyfill IndexedDB; Web Locks came in Node 22): check that it
        // really is Node, so an unexpected context fails instead of passing silently.
        let node = Reflect::get(
            &Reflect::get(&global("process"), &"versions".into()).unwrap(),
            &"node".into(),
        );
        assert!(
            node.unwrap().is_string(),
            "neither a browser context nor Node"
        );
        return;
    }
    let factory = global("indexedDB");
    assert!(factory.is_object(), "indexedDB is {factory:?}");
    assert!(Reflect::get(&factory, &"open".into())
        .unwrap()
        .is_function());
    let locks = Reflect::get(&global("navigator"), &"locks".into()).unwrap();
    assert!(
        Reflect::get(&locks, &"request".into())
            .unwrap()
            .is_function(),
        "navigator.locks.request"
    );
}
