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
pub mod autoclaim;
pub mod blocking;
pub mod claim;
pub mod consumer;
pub mod expiry;
pub mod group_read;
pub mod groups;
pub mod info_lag;
pub mod pending;
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
                xgroup_subcommands_need_the_topic [],
                create_with_mkstream_makes_an_empty_topic [],
                create_of_an_existing_group_is_busygroup [],
                create_positions_give_redis_entries_read_and_lag [],
                setid_moves_the_group_and_sets_entries_read [],
                xgroup_subcommands_name_a_missing_group [],
                setid_rejects_entries_read_out_of_range [],
                createconsumer_reports_whether_it_created [],
                delconsumer_drops_the_consumers_pending_entries [],
                delconsumer_of_an_unknown_consumer_answers_zero [],
                destroy_reports_whether_the_group_existed [],
                idle_consumer_delete_spares_consumers_with_pending_entries [],
            }
            group_read {
                new_reads_deliver_each_entry_once [],
                acked_entries_are_never_redelivered [],
                history_replays_pending_and_counts_deliveries [],
                history_reports_deleted_entries [],
                history_does_not_count_deliveries_of_deleted_entries [],
                history_honours_count [],
                history_is_per_consumer [],
                history_from_the_maximum_id_reads_new_entries [],
                new_read_with_nothing_new_creates_no_consumer [],
                history_read_creates_the_consumer_and_answers_every_topic [],
                noack_delivers_without_pending_entries [],
                new_read_after_a_rewind_reassigns_pending_entries [],
                new_read_after_a_rewind_advances_the_group [],
                new_reads_over_several_topics_answer_per_topic [],
                read_group_of_a_missing_topic_is_nogroup [],
                read_group_fails_whole_when_one_topic_lacks_the_group [],
                dollar_is_refused_as_a_group_cursor [],
            }
            pending {
                ack_counts_only_pending_ids [],
                ack_without_the_group_or_topic_answers_zero [],
                ack_with_an_invalid_id_acknowledges_nothing [],
                pending_summary_of_an_empty_group [],
                pending_of_a_missing_group_or_topic_is_nogroup [],
                pending_filters_by_consumer [],
                pending_honours_exclusive_bounds [],
                pending_count_zero_lists_nothing [],
                pending_of_an_unknown_consumer_lists_nothing [],
                pending_rejects_an_exclusive_start_at_the_maximum_id [],
                pending_idle_filter_is_exact [controllable_clock],
                pending_idle_filter_holds_with_margins [],
                idle_times_are_exact [controllable_clock],
                idle_times_hold_with_margins [],
            }
            claim {
                claim_transfers_ownership [],
                claim_min_idle_selects_entries_exactly [controllable_clock],
                claim_min_idle_selects_entries_with_margins [],
                claim_justid_returns_ids_and_keeps_the_count [],
                claim_idle_and_retrycount_set_the_pending_entry [],
                claim_time_sets_the_last_delivery [],
                claim_idle_and_time_are_exact [controllable_clock],
                claim_force_creates_pending_entries_with_redis_counts [],
                claim_force_skips_ids_not_in_the_stream [],
                claim_lastid_only_raises_the_group_position [],
                claim_drops_deleted_entries_from_the_pending_list [],
                claim_of_a_missing_group_is_nogroup [],
                claim_creates_no_consumer_when_nothing_is_claimed [],
            }
            autoclaim {
                autoclaim_drops_deleted_entries [],
                autoclaim_pages_with_a_cursor_and_reports_deleted_ids [],
                autoclaim_honours_an_exclusive_start [],
                autoclaim_examines_ten_entries_per_count [],
                autoclaim_creates_no_consumer_when_nothing_is_claimed [],
                autoclaim_takes_every_entry_idle_long_enough_exactly [controllable_clock],
                autoclaim_takes_every_entry_idle_long_enough_with_margins [],
                autoclaim_rejects_count_zero [],
                autoclaim_of_a_missing_group_or_topic_is_nogroup [],
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
            }
            consumer {
                consumer_recovers_entries_of_a_dropped_read [blocking_reads],
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
