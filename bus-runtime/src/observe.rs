//! Metric names and labels, in one place so dashboards and code agree.
//!
//! Metrics go through the [`metrics`] facade: the application installs whatever recorder it wants (Prometheus
//! through `metrics-exporter-prometheus`, as the `metrics` example of the `examples` crate does; StatsD, …);
//! with none installed they cost almost nothing. Call [`describe`] once after installing the recorder to give
//! each metric its help text. Per-delivery context (topic, group, consumer, entry id, UUID, delivery count) is on
//! the `bus.delivery` [`tracing`] span that wraps each handler call.
//!
//! | metric | type | labels | counts |
//! | --- | --- | --- | --- |
//! | `bus_runtime_delivered_total` | counter | `topic`, `group` | handler calls started (each delivery: a retry counts again) |
//! | `bus_runtime_acked_total` | counter | `topic`, `group` | entries acknowledged after their handler succeeded (a skipped duplicate included; dead-lettered and deleted entries not) |
//! | `bus_runtime_failed_total` | counter | `topic`, `group` | handler failures: errors, panics, timeouts, permanent failures |
//! | `bus_runtime_retried_total` | counter | `topic`, `group` | failed entries claimed back for another delivery after their backoff |
//! | `bus_runtime_dead_lettered_total` | counter | `topic`, `group`, `reason` | entries published to the dead-letter topic and acknowledged; `reason` is `max_deliveries`, `malformed` or `permanent` |
//! | `bus_runtime_duplicates_total` | counter | `topic`, `group` | deliveries a [`DedupLayer`](crate::DedupLayer) skipped (their message's work was done) |
//! | `bus_runtime_claimed_total` | counter | `topic`, `group` | entries autoclaimed from idle (presumably dead) consumers |
//! | `bus_runtime_consumers_removed_total` | counter | `topic`, `group` | idle consumers owning nothing, deleted by cleanup |
//! | `bus_runtime_groups_recreated_total` | counter | `topic`, `group` | times a worker found its group gone (topic deleted or expired) and created it again |
//! | `bus_runtime_backend_retries_total` | counter | `topic`, `group` (worker); `topic` (subscription) | retryable backend errors waited out |
//! | `bus_runtime_pending` | gauge | `topic`, `group` | the group's pending entries, sampled every `claim_interval` |
//! | `bus_runtime_lag` | gauge | `topic`, `group` | the group's entries not yet delivered, sampled every `claim_interval` |
//! | `bus_runtime_in_flight` | gauge | `topic`, `group` | handlers running in this worker |
//! | `bus_runtime_subscription_entries_total` | counter | `topic` | entries subscriptions yielded |
//! | `bus_runtime_subscription_gaps_total` | counter | `topic` | gaps subscriptions reported (their cursor was trimmed away) |
//!
//! Label values: `topic` is the topic name (`chat:DevAgent`), `group` the consumer group. Several workers of
//! one group in one process add to the same series; the consumer name is not a label, so series do not multiply
//! with replicas that come and go.

use bus_core::{EntryId, Message, Topic};
use tracing::Span;

use crate::worker::Delivery;

/// Counter: entries handed to a handler (each delivery, so retries count again).
pub const DELIVERED: &str = "bus_runtime_delivered_total";
/// Counter: entries acknowledged after their handler succeeded (dead-lettered and deleted entries not included).
pub const ACKED: &str = "bus_runtime_acked_total";
/// Counter: handler failures (error or panic) that leave the entry pending for a retry.
pub const FAILED: &str = "bus_runtime_failed_total";
/// Counter: failed entries claimed back for another attempt after their backoff.
pub const RETRIED: &str = "bus_runtime_retried_total";
/// Counter: entries published to the dead-letter topic and acknowledged; label `reason`: `max_deliveries`,
/// `malformed` or `permanent` ([`DeadLetterReason::as_str`](crate::DeadLetterReason::as_str)).
pub const DEAD_LETTERED: &str = "bus_runtime_dead_lettered_total";
/// Counter: deliveries a [`DedupLayer`](crate::DedupLayer) skipped because their message's work was done.
pub const DUPLICATES: &str = "bus_runtime_duplicates_total";
/// Counter: entries taken over from idle (presumably dead) consumers by autoclaim.
pub const CLAIMED: &str = "bus_runtime_claimed_total";
/// Counter: idle consumers owning nothing, deleted by cleanup.
pub const CONSUMERS_REMOVED: &str = "bus_runtime_consumers_removed_total";
/// Gauge: the group's pending entries (XINFO GROUPS `pending`), sampled at each autoclaim tick.
pub const PENDING: &str = "bus_runtime_pending";
/// Gauge: the group's lag (entries not yet delivered to the group), sampled at each autoclaim tick.
pub const LAG: &str = "bus_runtime_lag";
/// Gauge: handlers running in this worker.
pub const IN_FLIGHT: &str = "bus_runtime_in_flight";
/// Counter: entries a subscription yielded.
pub const SUBSCRIPTION_ENTRIES: &str = "bus_runtime_subscription_entries_total";
/// Counter: gaps a subscription reported (its cursor was trimmed away).
pub const SUBSCRIPTION_GAPS: &str = "bus_runtime_subscription_gaps_total";
/// Counter: retryable backend errors that a subscription or worker waited out.
pub const BACKEND_RETRIES: &str = "bus_runtime_backend_retries_total";
/// Counter: times a worker found its group gone (the topic was deleted or expired, or the group destroyed) and
/// created it again.
pub const GROUPS_RECREATED: &str = "bus_runtime_groups_recreated_total";

/// Gives every metric above its help text (and its unit-less description) in the installed recorder; call it
/// once after installing the recorder, so a Prometheus scrape shows `# HELP` lines. Safe to call again.
pub fn describe() {
    for (name, help) in [
        (
            DELIVERED,
            "Handler calls started (each delivery; a retry counts again).",
        ),
        (ACKED, "Entries acknowledged after their handler succeeded."),
        (
            FAILED,
            "Handler failures (errors, panics, timeouts, permanent failures).",
        ),
        (
            RETRIED,
            "Failed entries claimed back for another delivery after their backoff.",
        ),
        (
            DEAD_LETTERED,
            "Entries published to the dead-letter topic and acknowledged, by reason.",
        ),
        (DUPLICATES, "Deliveries skipped because their message's work was done."),
        (CLAIMED, "Entries autoclaimed from idle consumers."),
        (CONSUMERS_REMOVED, "Idle consumers owning nothing, deleted by cleanup."),
        (
            GROUPS_RECREATED,
            "Times a worker found its group gone and created it again.",
        ),
        (BACKEND_RETRIES, "Retryable backend errors waited out."),
        (SUBSCRIPTION_ENTRIES, "Entries subscriptions yielded."),
        (
            SUBSCRIPTION_GAPS,
            "Gaps subscriptions reported (their cursor was trimmed away).",
        ),
    ] {
        metrics::describe_counter!(name, help);
    }
    for (name, help) in [
        (PENDING, "The group's pending entries, sampled at each autoclaim tick."),
        (
            LAG,
            "The group's entries not yet delivered, sampled at each autoclaim tick.",
        ),
        (IN_FLIGHT, "Handlers running in this worker."),
    ] {
        metrics::describe_gauge!(name, help);
    }
}

/// Labels of a group metric.
#[derive(Clone, Debug)]
pub(crate) struct GroupLabels {
    labels: [(&'static str, String); 2],
}

impl GroupLabels {
    pub(crate) fn new(topic: &Topic, group: &str) -> GroupLabels {
        GroupLabels {
            labels: [("topic", topic.to_string()), ("group", group.to_owned())],
        }
    }

    pub(crate) fn count(&self, name: &'static str, value: u64) {
        metrics::counter!(name, &self.labels).increment(value);
    }

    /// A counter with one more label.
    pub(crate) fn count_with(&self, name: &'static str, (key, label): (&'static str, &'static str), value: u64) {
        let [topic, group] = &self.labels;
        let labels = [topic.clone(), group.clone(), (key, label.to_owned())];
        metrics::counter!(name, &labels).increment(value);
    }

    pub(crate) fn gauge(&self, name: &'static str, value: f64) {
        metrics::gauge!(name, &self.labels).set(value);
    }
}

pub(crate) fn topic_count(name: &'static str, topic: &Topic, value: u64) {
    metrics::counter!(name, "topic" => topic.to_string()).increment(value);
}

/// The `bus.delivery` span a worker runs a handler in (with the `otel` feature, a child of the publisher's span).
pub(crate) fn worker_delivery_span(delivery: &Delivery) -> Span {
    let span = tracing::info_span!(
        "bus.delivery",
        topic = %delivery.topic,
        group = %delivery.group,
        consumer = %delivery.consumer,
        entry_id = %delivery.entry_id,
        uuid = %delivery.message.id(),
        delivery_count = delivery.delivery_count,
    );
    follow_publisher(&span, &delivery.message);
    span
}

/// The `bus.delivery` span of an entry a subscription yielded (with the `otel` feature, a child of the
/// publisher's span).
pub(crate) fn subscription_delivery_span(topic: &Topic, entry_id: EntryId, message: &Message) -> Span {
    let span = tracing::info_span!(
        "bus.delivery",
        topic = %topic,
        entry_id = %entry_id,
        uuid = %message.id(),
    );
    follow_publisher(&span, message);
    span
}

fn follow_publisher(span: &Span, message: &Message) {
    #[cfg(feature = "otel")]
    crate::trace::follow(span, message);
    #[cfg(not(feature = "otel"))]
    let _ = (span, message);
}
