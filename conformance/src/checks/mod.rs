//! The named checks: one behaviour each, on a fresh backend, with expected values taken from Redis 7.0.15
//! (`redis-cli` running the same sequence).
//!
//! Each check uses explicit entry ids where the outcome would otherwise depend on the clock, so it asserts exact
//! values on every backend, including a real server. Checks are grouped by command family, one module each.
//!
//! # Adding a check
//! Write it as `pub async fn name(backend: Arc<dyn Backend>) -> CheckResult` in the module of its family, with a
//! doc comment saying what Redis does, then add its name to that module's list in [`__with_catalogue!`](crate::__with_catalogue)
//! with the capabilities it needs. That list is the only registration: [`all`], the tests
//! [`conformance_tests!`](crate::conformance_tests) generates and the capability gating all come from it, and the
//! crate's `registry` test fails if a public check is missing from it.

pub mod append;
pub mod blocking;
pub mod consumer;
pub mod expiry;
pub mod groups;
pub mod info_lag;
pub mod pending_claim;
pub mod range_read;
mod support;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bus_core::Backend;

use crate::{Capabilities, CheckResult};

/// A check's future.
pub type CheckFuture = Pin<Box<dyn Future<Output = CheckResult> + Send>>;

/// One named check of the catalogue.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct Check {
    /// The module (command family) it belongs to, e.g. `groups`.
    pub module: &'static str,
    /// Its name, e.g. `new_reads_deliver_each_entry_once`.
    pub name: &'static str,
    /// What the backend must be able to do for the check to run.
    pub needs: Capabilities,
    /// Runs it on a backend.
    pub run: fn(Arc<dyn Backend>) -> CheckFuture,
}

impl Check {
    /// `module::name`, as the generated test is named.
    pub fn path(&self) -> String {
        format!("{}::{}", self.module, self.name)
    }
}

/// Every check, in catalogue order.
pub fn all() -> Vec<Check> {
    crate::__with_catalogue!(__check_registry!())
}

/// The check `module::name`, if the catalogue has it.
pub fn find(module: &str, name: &str) -> Option<Check> {
    all()
        .into_iter()
        .find(|check| check.module == module && check.name == name)
}

/// Calls the named macro of this crate with its arguments followed by the catalogue: every check, by module,
/// each with the capabilities it needs in brackets. This list is the one registration of a check.
#[doc(hidden)]
#[macro_export]
macro_rules! __with_catalogue {
    ($callback:ident!($($args:tt)*)) => {
        $crate::$callback! {$($args)*
            append {
                publish_is_idempotent [],
                publish_finds_a_later_holder_after_a_trim [],
                append_rejects_ids_not_above_the_top [],
            }
            range_read {
                range_honours_exclusive_bounds [],
                read_after_a_cursor_is_exclusive [],
            }
            groups {
                new_reads_deliver_each_entry_once [],
                acked_entries_are_never_redelivered [],
                history_replays_pending_and_counts_deliveries [],
                history_reports_deleted_entries [],
                idle_consumer_delete_spares_consumers_with_pending_entries [],
            }
            pending_claim {
                claim_transfers_ownership [],
                autoclaim_drops_deleted_entries [],
                idle_times_are_exact [controllable_clock],
                idle_times_hold_with_margins [],
            }
            info_lag {
                lag_counts_undelivered_entries [],
                last_id_survives_deletes [],
            }
            blocking {
                blocking_read_is_served_by_an_append [blocking_reads],
                block_timeouts_are_exact [blocking_reads, controllable_clock],
                blocked_read_at_its_deadline_loses_nothing [blocking_reads, controllable_clock],
                block_timeouts_hold_with_margins [blocking_reads],
                plain_read_is_served_by_an_append [blocking_reads],
                read_over_several_topics_answers_with_the_topic_that_got_entries [blocking_reads],
                plain_read_on_a_missing_topic_is_served_by_the_first_append [blocking_reads],
                timed_out_reads_answer_nil_after_exactly_their_block [blocking_reads, controllable_clock],
                block_zero_waits_forever [blocking_reads, controllable_clock],
                blocked_group_readers_are_served_in_arrival_order [blocking_reads],
                blocked_group_readers_are_not_consumers_until_served [blocking_reads],
                destroying_the_group_fails_its_blocked_readers_with_nogroup [blocking_reads],
                deleting_the_topic_fails_blocked_group_readers_with_unblocked [blocking_reads],
                plain_reader_keeps_waiting_across_a_deletion [blocking_reads],
                timed_out_group_read_is_not_served_later [blocking_reads],
                dropped_group_read_is_not_served_later [blocking_reads],
            }
            consumer {
                consumer_recovers_entries_of_a_dropped_read [blocking_reads],
                bus_publishes_a_message_once [],
                a_deleted_message_is_published_again [],
                tail_returns_the_last_n_oldest_first [],
                read_after_the_start_returns_every_entry [],
                read_after_an_entry_returns_what_follows_it [],
                read_after_a_message_returns_what_follows_it [],
                an_unknown_message_cursor_is_a_typed_error [],
                read_after_a_deleted_cursor_returns_what_follows [],
                read_after_an_id_before_the_first_entry_is_no_gap [],
                read_after_a_trimmed_cursor_reports_the_gap [],
                read_after_the_last_id_misses_nothing_once_everything_is_trimmed [],
                ensure_group_creates_the_group_once [],
                consumer_replays_a_dropped_read_then_reads_new_entries [blocking_reads],
                a_new_consumer_first_picks_up_what_its_predecessor_left_pending [],
                deleted_pending_entries_come_back_as_deleted [],
                a_message_id_is_deduplicated_per_topic [],
                dropping_a_topic_forgets_its_message_ids [],
            }
            expiry {
                topics_expire_after_their_ttl [],
                expiry_releases_blocked_group_readers [blocking_reads, controllable_clock],
            }
        }
    };
}

/// Builds [`all`] from the catalogue.
#[doc(hidden)]
#[macro_export]
macro_rules! __check_registry {
    ($($module:ident { $($name:ident [$($capability:ident),*]),* $(,)? })*) => {
        vec![$($(
            $crate::checks::Check {
                module: stringify!($module),
                name: stringify!($name),
                needs: $crate::Capabilities::none()$(.$capability(true))*,
                run: |backend| Box::pin($crate::checks::$module::$name(backend)),
            },
        )*)*]
    };
}
