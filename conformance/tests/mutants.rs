//! The suite has teeth: each deliberately broken backend (see `support`) must fail at least one named check or
//! property. A mutant that passes means the suite lets that bug through.

mod support;

use support::{Bug, catches};

fn assert_caught(bug: Bug) {
    let caught = catches(bug);
    assert!(!caught.is_empty(), "the conformance suite let the {bug:?} mutant pass");
}

#[test]
fn control_the_unbroken_wrapper_passes_everything() {
    let caught = catches(Bug::Nothing);
    assert!(caught.is_empty(), "the wrapper without a bug failed: {caught:#?}");
}

#[test]
fn mutant_ack_does_nothing() {
    assert_caught(Bug::AckDoesNothing);
}

#[test]
fn mutant_new_reads_redeliver_acked_entries() {
    assert_caught(Bug::RedeliversAcked);
}

#[test]
fn mutant_cursor_includes_itself() {
    assert_caught(Bug::CursorIncludesItself);
}

#[test]
fn mutant_cursor_skips_the_first_entry() {
    assert_caught(Bug::CursorSkipsFirst);
}

#[test]
fn mutant_claim_keeps_the_old_owner() {
    assert_caught(Bug::ClaimKeepsOwner);
}

#[test]
fn mutant_delivery_count_never_grows() {
    assert_caught(Bug::DeliveryCountFrozen);
}

#[test]
fn mutant_blocking_read_drops_an_entry_on_timeout() {
    assert_caught(Bug::BlockDropsOnTimeout);
}

#[test]
fn mutant_lag_off_by_one() {
    assert_caught(Bug::LagOffByOne);
}
