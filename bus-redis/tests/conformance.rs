//! The conformance suite on Redis: a private `redis-server` per test, started on first use (the properties reuse
//! it across cases), each check or case under a fresh key prefix. The factory is in `factories/mod.rs`.

mod factories;

use bus_redis::testing::LazyServer;

conformance::conformance_tests!(factories::Redis(LazyServer::new("conformance")));
