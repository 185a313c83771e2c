//! Runnable examples of the bus; see the `examples/` folder of this crate.
//!
//! Run one with `cargo run -p examples --example quickstart`.
