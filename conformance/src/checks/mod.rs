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
pub mod errors;
pub mod expiry;
pub mod group_read;
pub mod groups;
pub mod info_lag;
pub mod pending;
pub mod range_read;
mod support;
pub mod trim;

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
                auto_ids_follow_the_wall_clock [],
                auto_ids_count_up_within_a_millisecond [controllable_clock],
                auto_id_after_a_future_explicit_id_increments_it [],
                ms_star_takes_the_next_sequence_or_zero [],
                ids_at_or_below_the_top_are_rejected_in_every_form [],
                ms_star_on_a_new_stream_starts_at_sequence_one_for_ms_zero [],
                zero_id_is_rejected_and_creates_nothing [],
                explicit_id_equal_to_a_deleted_top_is_rejected [],
                a_stream_at_the_maximum_id_is_exhausted_for_every_id_form [],
                ms_star_sequence_overflow_fails_as_redis_7_0_does [],
                nomkstream_does_not_create_a_missing_topic [],
                nomkstream_appends_to_an_existing_topic [],
                empty_fields_are_rejected [],
                fields_keep_order_duplicates_and_empty_values [],
                publish_stores_the_message_as_id_then_payload [],
                lookup_of_an_unknown_uuid_finds_nothing [],
                publish_with_nomkstream_to_a_missing_topic_creates_nothing [],
                publish_trims_as_xadd_does [],
                publish_batch_equals_publishing_one_by_one [],
                publish_batch_of_no_messages_publishes_nothing [],
                publish_batch_trims_after_each_message [],
                publish_batch_at_an_explicit_id_publishes_only_the_first_message [],
            }
            range_read {
                range_honours_exclusive_bounds [],
                read_after_a_cursor_is_exclusive [],
                range_returns_the_entries_strictly_between_exclusive_bounds [],
                range_count_zero_returns_nothing [],
                range_count_takes_the_oldest_entries [],
                rev_range_counts_down_from_an_exclusive_end [],
                rev_range_count_zero_returns_nothing [],
                bare_milliseconds_cover_the_whole_millisecond [],
                exclusive_bounds_past_the_id_space_are_errors [],
                inverted_range_is_empty [],
                ranges_of_a_missing_topic_are_empty [],
                read_counts_per_topic_and_omits_missing_topics [],
                read_count_zero_means_no_limit [],
                read_dollar_skips_the_entries_already_there [],
                read_with_nothing_new_is_an_empty_reply_not_a_timeout [],
                read_after_a_bare_millisecond_cursor [],
                read_of_no_topics_is_refused_as_redis_parses_it [],
                read_block_out_of_range_is_refused [],
                read_returns_entries_with_their_fields [],
            }
            trim {
                maxlen_trim_keeps_the_newest_entries [],
                minid_trim_removes_the_entries_below_the_id [],
                approximate_maxlen_removes_only_whole_nodes [exact_node_trimming],
                exact_maxlen_finishes_an_approximate_trim [exact_node_trimming],
                approximate_maxlen_on_xadd_removes_a_partly_trimmed_node_whole [exact_node_trimming],
                limit_caps_an_approximate_trim_at_whole_nodes [exact_node_trimming],
                approximate_minid_removes_only_whole_nodes_below_it [exact_node_trimming],
                exact_minid_finishes_an_approximate_trim [exact_node_trimming],
                limit_zero_lifts_the_cap_of_an_approximate_trim [exact_node_trimming],
                trimming_is_not_deletion [],
                limit_below_a_node_removes_nothing [exact_node_trimming],
                deleted_entries_still_fill_their_node [exact_node_trimming],
                a_node_emptied_by_an_exact_trim_keeps_filling [exact_node_trimming],
                approximate_trims_remove_at_most_ten_thousand_entries_by_default [exact_node_trimming],
                trim_of_a_missing_topic_removes_nothing [],
                maxlen_beyond_the_integer_range_is_rejected [],
                limit_without_approx_is_a_syntax_error_in_xtrim [],
                limit_without_approx_is_a_syntax_error_in_xadd [],
                delete_counts_only_the_entries_it_removes [],
                delete_keeps_the_last_id_and_records_the_largest_deleted_id [],
                max_deleted_id_never_decreases [],
                deleting_every_entry_keeps_the_empty_stream [],
                delete_of_no_ids_is_an_arity_error [],
                xadd_with_exact_maxlen_keeps_the_newest_entries [],
                drop_topic_reports_whether_the_topic_existed [],
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
                create_rejects_entries_read_out_of_range [],
                a_created_consumer_is_listed_with_nothing_pending [],
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
                read_group_of_no_topics_is_refused_as_redis_parses_it [],
                read_group_block_out_of_range_is_refused [],
                group_reads_return_entries_with_their_fields [],
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
                ack_of_no_ids_is_an_arity_error [],
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
                claim_of_no_ids_is_an_arity_error [],
                claim_numbers_out_of_range_are_refused_in_xclaims_words [],
                claim_idle_applies_to_entries_force_creates [],
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
                autoclaim_min_idle_out_of_range_is_refused [],
                autoclaim_returns_entries_with_their_fields [],
            }
            info_lag {
                lag_counts_undelivered_entries [],
                last_id_survives_deletes [],
                lag_is_known_without_deletions [],
                a_deletion_in_the_middle_makes_lag_unknown [],
                reaching_the_end_makes_lag_known_again [],
                an_append_adds_to_every_known_lag [],
                setid_with_entriesread_sets_the_counter [],
                stream_info_counts_added_entries_and_the_largest_deleted_id [],
                lag_of_a_new_empty_stream_is_zero [],
                lag_of_a_read_then_emptied_stream_is_zero [],
                entriesread_above_the_entries_added_gives_a_negative_lag [],
                entries_read_wraps_past_the_largest_integer [],
                info_of_a_missing_topic_is_no_such_key [],
                consumers_of_a_missing_group_is_nogroup [],
                consumer_idle_is_refreshed_by_reads_and_claims_only [controllable_clock],
                a_claim_that_claims_nothing_creates_no_consumer [],
                created_consumers_are_idle_from_their_creation [controllable_clock],
                stream_info_shows_the_first_and_last_entries_with_their_fields [],
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
                timed_out_plain_read_answers_nil_with_margins [blocking_reads],
                blocked_reads_are_served_entries_with_their_fields [blocking_reads],
            }
            consumer {
                consumer_recovers_entries_of_a_dropped_read [blocking_reads],
                a_consumer_reads_under_its_own_name [],
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
            errors {
                no_group_of_xreadgroup_names_the_topic_lacking_the_group [],
                no_group_of_the_pending_commands_names_topic_and_group [],
                no_group_of_the_admin_commands_names_topic_and_group [],
                no_group_of_a_destroyed_group_names_the_topic_of_the_blocked_read [blocking_reads],
                group_exists_names_the_topic_and_the_group [],
                id_not_greater_names_the_topic_and_its_last_id [],
                id_exhausted_names_the_topic [],
                no_such_topic_of_xinfo_names_the_topic [],
                no_such_topic_of_xgroup_names_the_topic [],
                topic_deleted_names_the_deleted_topic [blocking_reads],
                refused_arguments_are_invalid_arguments [],
                bus_errors_name_the_topic_and_what_was_looked_for [],
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
