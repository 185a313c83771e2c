//! Differential mode: one random operation sequence applied to `bus-memory` and to a real Redis (a private
//! `redis-server`), results compared op by op and observable states step by step.
#![allow(clippy::panic, reason = "test code")]

use bus_redis::testing::LazyServer;

mod factories;

#[test]
fn memory_and_redis_agree_op_by_op() {
    let redis = factories::Redis(LazyServer::new("differential"));
    if let Err(failure) =
        conformance::property::differential(("memory", &factories::Memory), ("redis", &redis), file!())
    {
        panic!("{failure}");
    }
}
