//! The conformance suite on a Redis Cluster: every named check and both properties, on one local cluster per
//! test binary (three masters, three replicas; see `bus_redis::testing::TestCluster`), each check under a
//! fresh key prefix. Topics hash over all the slots, so they spread over the masters, and reads over several
//! topics span slots (split and merged by the backend).

mod factories;

conformance::conformance_tests!(factories::Cluster("conformance_cluster"));
