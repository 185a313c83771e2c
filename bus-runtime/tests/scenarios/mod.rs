//! The runtime's scenarios, each written once as `async fn name(rig: Rig)` and run by both test binaries:
//! `on_memory.rs` (bus-memory on paused time) and `on_redis.rs` (a private redis-server on the real clock).
//!
//! A scenario takes every duration of its timeline from [`Time`](crate::common::Time), so it runs as written on
//! paused time, with its exact assertions, and compressed on a real clock, where assertions that depend on the
//! clock are the wide ones (see `Time`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod agent;
pub mod crash;
pub mod retention;
pub mod stack;
pub mod subscription;
pub mod worker;

/// Calls `$runner! { family { scenario, … } … }` with every scenario, so each binary runs all of them and a new
/// scenario cannot be forgotten by one of them.
macro_rules! all {
    ($runner:ident) => {
        $runner! {
            worker {
                processes_everything_with_bounded_concurrency_and_acks,
                poison_message_is_dead_lettered_after_exactly_max_deliveries_and_the_group_moves_on,
                dead_lettering_is_idempotent_under_the_original_uuid,
                malformed_entries_go_to_dead_letter_directly_and_deleted_ones_are_acked,
                a_panicking_handler_leaves_the_entry_pending_and_it_is_retried,
                recovers_own_pending_entries_before_new_ones,
                entries_of_a_dead_consumer_are_autoclaimed,
                a_handler_longer_than_the_claim_idle_time_is_not_redelivered_while_it_runs,
                without_keep_alive_the_long_handler_is_claimed_by_another_worker,
                graceful_shutdown_waits_for_handlers_up_to_the_deadline_and_stops_reading,
                idle_consumers_are_deleted_only_once_they_own_nothing,
                a_worker_whose_topic_vanishes_creates_its_group_again,
            }
            crash {
                killed_workers_lose_nothing,
            }
            subscription {
                resumes_after_injected_errors_without_gap_or_duplicate,
                yields_a_gap_when_the_cursor_was_trimmed_then_continues_from_the_oldest,
                no_gap_when_entries_were_only_deleted_after_the_cursor,
                an_entry_cursor_already_trimmed_reports_the_gap_first,
                cursors_start_end_message_and_several_topics,
                an_unknown_message_cursor_fails_once_and_ends_the_stream,
                buffers_at_most_one_batch_and_reads_only_when_polled,
            }
            agent {
                pause_stops_deliveries_and_resume_continues_without_loss,
                a_restarted_paused_agent_stays_paused_and_loses_nothing,
                a_replica_restarted_while_paused_stays_paused_and_recovers_its_messages,
                every_replica_sees_control_messages_and_custom_ones_are_forwarded,
            }
            retention {
                publishing_applies_the_family_bound_and_idle_expiry,
            }
            stack {
                a_payload_that_does_not_decode_is_dead_lettered_after_one_delivery,
                a_permanent_error_is_dead_lettered_after_one_delivery,
                dedup_skips_a_redelivered_uuid,
                a_tower_timeout_fails_a_slow_handler_so_it_is_retried,
                a_panic_in_a_stack_is_a_failed_delivery_that_is_retried,
                a_tower_rate_limit_is_one_limit_for_all_the_concurrent_handlers,
            }
        }
    };
}

pub(crate) use all;
