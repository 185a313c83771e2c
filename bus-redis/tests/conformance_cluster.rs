//! The conformance suite on a Redis Cluster: every named check and both properties, on one local cluster per
//! test binary (three masters, three replicas; see `bus_redis::testing::TestCluster`), each check under a
//! fresh key prefix. Topics hash over all the slots, so they spread over the masters, and reads over several
//! topics span slots (split and merged by the backend). The differential mode then runs random sequences on
//! bus-memory and on the cluster, compared op by op.
#![allow(clippy::panic, reason = "test code")]

mod factories;

conformance::conformance_tests!(factories::Cluster("conformance_cluster"));

#[test]
fn memory_and_the_cluster_agree_op_by_op() {
    let cluster = factories::Cluster("conformance_cluster");
    if let Err(failure) =
        conformance::property::differential(("memory", &factories::Memory), ("cluster", &cluster), file!())
    {
        panic!("{failure}");
    }
}
