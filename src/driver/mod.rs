//! Owns the broker in a JavaScript runtime: timers and delivery flushing.
