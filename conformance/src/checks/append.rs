//! XADD and the idempotent publish: id forms and their errors, NOMKSTREAM, field storage, the UUID index,
//! duplicates. Expected answers come from redis-cli on Redis 7.0.15.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use bus_core::{AppendId, AppendOptions, Backend, EntryId, Error, Message, RangeBound};

use super::support::*;
use crate::{CheckResult, Failure, ensure, ensure_eq};

/// Publishing a message whose UUID the topic holds appends nothing and returns the existing entry.
pub async fn publish_is_idempotent(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("idempotent")?;
    let message = Message::from_json(bus_core::Uuid::new_v4(), r#"{"n":1}"#)?;
    let first = backend.publish(&topic, &message, &AppendOptions::new()).await?;
    let again = backend.publish(&topic, &message, &AppendOptions::new()).await?;
    let (Some(first), Some(again)) = (first, again) else {
        return Err(Failure("publish without NOMKSTREAM returned None".into()));
    };
    ensure!(
        !first.duplicate && again.duplicate,
        "duplicate flags were {first:?} then {again:?}"
    );
    ensure_eq!(
        again.entry_id,
        first.entry_id,
        "a duplicate publish returns the existing entry"
    );
    ensure_eq!(
        backend.len(&topic).await?,
        1,
        "length after publishing one message twice"
    );
    ensure_eq!(
        backend.lookup(&topic, message.id()).await?,
        Some(first.entry_id),
        "lookup of the UUID"
    );
    Ok(())
}

/// When a UUID is held by several entries (an append repeated it) and a trim removes the oldest, publishing it
/// again finds the surviving holder instead of appending a third copy.
pub async fn publish_finds_a_later_holder_after_a_trim(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("later-holder")?;
    let message = Message::from_json(bus_core::Uuid::new_v4(), r#"{"n":1}"#)?;
    let first = AppendOptions::new().id(id(1, 0));
    backend.publish(&topic, &message, &first).await?;
    let repeat = message.to_fields();
    backend
        .append(&topic, repeat, &AppendOptions::new().id(id(8, 0)))
        .await?;
    ensure_eq!(
        backend.lookup(&topic, message.id()).await?,
        Some(id(1, 0)),
        "the oldest holder wins"
    );
    backend.trim(&topic, &bus_core::Trim::minid(id(8, 0))).await?;
    ensure_eq!(
        backend.lookup(&topic, message.id()).await?,
        Some(id(8, 0)),
        "lookup after the trim"
    );
    let again = backend
        .publish(&topic, &message, &AppendOptions::new().id(id(16, 0)))
        .await?;
    let Some(again) = again else {
        return Err(Failure("publish without NOMKSTREAM returned None".into()));
    };
    ensure!(
        again.duplicate,
        "publish after the trim appended a new copy at {}",
        again.entry_id
    );
    ensure_eq!(again.entry_id, id(8, 0), "the surviving holder");
    ensure_eq!(backend.len(&topic).await?, 1, "length");
    Ok(())
}

/// Explicit ids must exceed the last id, with Redis's messages.
pub async fn append_rejects_ids_not_above_the_top(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("append-ids")?;
    fill(backend.as_ref(), &topic, 2).await?;
    let err = backend
        .append(&topic, fields(0), &AppendOptions::new().id(id(2, 0)))
        .await;
    let Err(err) = err else {
        return Err(Failure("appending an id equal to the top succeeded".into()));
    };
    ensure_eq!(
        err.to_string(),
        "ERR The ID specified in XADD is equal or smaller than the target stream top item",
        "error for an id equal to the top"
    );
    let auto_seq = backend
        .append(
            &topic,
            fields(0),
            &AppendOptions::new().id(bus_core::AppendId::AutoSeq(2)),
        )
        .await?;
    ensure_eq!(auto_seq, Some(id(2, 1)), "`2-*` after 2-0");
    ensure_eq!(backend.len(&topic).await?, 3, "a rejected append adds nothing");
    Ok(())
}

/// Append options at an id written as redis-cli takes it (`"5-3"`, `"5-*"`, `"*"`).
fn at(text: &str) -> Result<AppendOptions, Failure> {
    Ok(AppendOptions::new().id(text.parse::<AppendId>()?))
}

/// The fields every append of these checks writes: `f v`.
fn fv() -> bus_core::Fields {
    pairs(&[("f", "v")])
}

/// Unix milliseconds of the wall clock.
fn wall_clock_ms() -> Result<u64, Failure> {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|err| Failure(format!("the wall clock is before 1970: {err}")))?;
    u64::try_from(since_epoch.as_millis()).map_err(|_| Failure("the wall clock is past u64 milliseconds".into()))
}

/// `XADD k * f v` on a new stream takes the current Unix time in milliseconds with sequence 0, and the next `*`
/// is greater. Asserted with a margin of an hour either side, as a server's clock is not the test's.
pub async fn auto_ids_follow_the_wall_clock(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("auto-wall")?;
    let before = wall_clock_ms()?;
    let first = add(backend.as_ref(), &topic, "*", fv()).await?;
    let after = wall_clock_ms()?;
    let hour = 3_600_000;
    ensure!(
        first.ms + hour >= before && first.ms <= after + hour,
        "XADD * answered {first}; the wall clock read {before}..{after} ms"
    );
    ensure_eq!(first.seq, 0, "sequence of the first `*` id of a new stream");
    let second = add(backend.as_ref(), &topic, "*", fv()).await?;
    ensure!(second > first, "the second XADD * answered {second}, not above {first}");
    Ok(())
}

/// `*` within one millisecond counts the sequence up; a later millisecond starts again at 0: XADD * twice, then 5
/// ms later once more → `T-0`, `T-1`, `T+5-0` (on paused time, where a millisecond lasts as long as needed).
pub async fn auto_ids_count_up_within_a_millisecond(backend: Arc<dyn Backend>) -> CheckResult {
    let clock = PausedClock::start()?;
    let topic = topic("auto")?;
    let first = add(backend.as_ref(), &topic, "*", fv()).await?;
    let second = add(backend.as_ref(), &topic, "*", fv()).await?;
    ensure_eq!(
        second,
        id(first.ms, first.seq + 1),
        "XADD * in the same millisecond as {first}"
    );
    clock.advance(5 * MS).await;
    let third = add(backend.as_ref(), &topic, "*", fv()).await?;
    ensure_eq!(third, id(first.ms + 5, 0), "XADD * 5 ms after {first}");
    Ok(())
}

/// `*` after an explicit id in the future increments that id, carrying into the milliseconds when the sequence is
/// full. redis-cli: `XADD k 99999999999999-5` → `XADD k *` = `99999999999999-6`;
/// `XADD k 99999999999999-18446744073709551615` → `XADD k *` = `100000000000000-0`.
pub async fn auto_id_after_a_future_explicit_id_increments_it(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("future")?;
    add(backend.as_ref(), &topic, "99999999999999-5", fields(1)).await?;
    let next = add(backend.as_ref(), &topic, "*", fv()).await?;
    ensure_eq!(next, eid("99999999999999-6")?, "XADD * after 99999999999999-5");
    add(
        backend.as_ref(),
        &topic,
        "99999999999999-18446744073709551615",
        fields(2),
    )
    .await?;
    let next = add(backend.as_ref(), &topic, "*", fv()).await?;
    ensure_eq!(
        next,
        eid("100000000000000-0")?,
        "XADD * after 99999999999999-18446744073709551615"
    );
    Ok(())
}

/// XADD `5-3`, `5-*`, `6-*`, `6-1`, `6-2`: the appends of the `ms-*` checks, with the ids Redis answered.
const MS_STAR_APPENDS: [(&str, &str); 5] = [
    ("5-3", "5-3"),
    ("5-*", "5-4"),
    ("6-*", "6-0"),
    ("6-1", "6-1"),
    ("6-2", "6-2"),
];

async fn append_ms_star_sequence(backend: &dyn Backend, topic: &bus_core::Topic) -> CheckResult {
    for (given, expected) in MS_STAR_APPENDS {
        let got = add(backend, topic, given, fv()).await?;
        ensure_eq!(got, eid(expected)?, "XADD {given}");
    }
    Ok(())
}

/// `ms-*` takes the next sequence of the top's millisecond, or 0 in a later millisecond. redis-cli: `5-3` → 5-3;
/// `5-*` → 5-4; `6-*` → 6-0; `6-1` → 6-1; `6-2` → 6-2.
pub async fn ms_star_takes_the_next_sequence_or_zero(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("ms-star")?;
    append_ms_star_sequence(backend.as_ref(), &topic).await
}

/// Below or at the top, every id form is refused with "equal or smaller", naming the top as the last id, and
/// nothing is appended. redis-cli after the `ms-*` sequence (top 6-2): `4-*`, `0-*`, `6-2`, `0-1` → ERR The ID
/// specified in XADD is equal or smaller than the target stream top item; XLEN → 5.
pub async fn ids_at_or_below_the_top_are_rejected_in_every_form(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("ms-star-low")?;
    append_ms_star_sequence(backend.as_ref(), &topic).await?;
    for given in ["4-*", "0-*", "6-2", "0-1"] {
        let result = backend.append(&topic, fv(), &at(given)?).await;
        let err = expect_err(result, &format!("XADD {given} with top 6-2"))?;
        ensure!(
            matches!(err, Error::IdNotGreater { last_id, .. } if last_id == id(6, 2)),
            "XADD {given}: expected IdNotGreater with last id 6-2, got {err:?}"
        );
        ensure_eq!(
            err.to_string(),
            "ERR The ID specified in XADD is equal or smaller than the target stream top item",
            "error of XADD {given}"
        );
    }
    ensure_eq!(backend.len(&topic).await?, 5, "XLEN after the refused appends");
    Ok(())
}

/// On a new stream, `0-*` starts at sequence 1 (0-0 is never an id). redis-cli: `XADD new 0-*` → 0-1; again →
/// 0-2.
pub async fn ms_star_on_a_new_stream_starts_at_sequence_one_for_ms_zero(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("zero-star")?;
    ensure_eq!(
        add(backend.as_ref(), &topic, "0-*", fv()).await?,
        id(0, 1),
        "first XADD 0-*"
    );
    ensure_eq!(
        add(backend.as_ref(), &topic, "0-*", fv()).await?,
        id(0, 2),
        "second XADD 0-*"
    );
    Ok(())
}

/// The id 0-0 is refused before the key is touched. redis-cli: `XADD k 0-0 f v` → ERR The ID specified in XADD
/// must be greater than 0-0; `EXISTS k` → 0; `XINFO STREAM k` → ERR no such key.
pub async fn zero_id_is_rejected_and_creates_nothing(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("zero")?;
    let result = backend.append(&topic, fv(), &at("0-0")?).await;
    expect_error_text(
        result,
        "ERR The ID specified in XADD must be greater than 0-0",
        "XADD 0-0",
    )?;
    ensure!(
        !exists(backend.as_ref(), &topic).await?,
        "a refused XADD 0-0 created the topic"
    );
    let info = backend.stream_info(&topic).await;
    expect_error_text(info, "ERR no such key", "XINFO STREAM after a refused XADD 0-0")
}

/// The top id stays the limit after its entry is deleted: the same id is refused, `ms-*` continues after it.
/// redis-cli: `XADD k 5-1`, `XDEL k 5-1`, `XADD k 5-1` → equal or smaller; `XADD k 5-*` → 5-2.
pub async fn explicit_id_equal_to_a_deleted_top_is_rejected(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("deleted-top")?;
    add(backend.as_ref(), &topic, "5-1", fields(1)).await?;
    ensure_eq!(backend.delete(&topic, &[id(5, 1)]).await?, 1, "XDEL 5-1");
    let result = backend.append(&topic, fv(), &at("5-1")?).await;
    let err = expect_err(result, "XADD 5-1 after deleting 5-1")?;
    ensure!(
        matches!(err, Error::IdNotGreater { .. }),
        "XADD 5-1 after deleting 5-1: expected IdNotGreater, got {err:?}"
    );
    ensure_eq!(add(backend.as_ref(), &topic, "5-*", fv()).await?, id(5, 2), "XADD 5-*");
    Ok(())
}

/// Once the top is the largest possible id, every id form fails with "exhausted". redis-cli: `XADD k 5-3`,
/// `XADD k 18446744073709551615-18446744073709551615`, then `*`, `18446744073709551615-*` and `1-1` → ERR The
/// stream has exhausted the last possible ID, unable to add more items; XINFO STREAM: length 2, entries-added 2,
/// last-generated-id 18446744073709551615-18446744073709551615.
pub async fn a_stream_at_the_maximum_id_is_exhausted_for_every_id_form(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("max")?;
    add(backend.as_ref(), &topic, "5-3", fields(1)).await?;
    let max = backend
        .append(&topic, fv(), &AppendOptions::new().id(EntryId::MAX))
        .await?;
    ensure_eq!(max, Some(EntryId::MAX), "XADD at the maximum id");
    for given in ["*", "18446744073709551615-*", "1-1"] {
        let result = backend.append(&topic, fv(), &at(given)?).await;
        let err = expect_err(result, &format!("XADD {given} at the maximum id"))?;
        ensure!(
            matches!(err, Error::IdExhausted { .. }),
            "XADD {given}: expected IdExhausted, got {err:?}"
        );
        ensure_eq!(
            err.to_string(),
            "ERR The stream has exhausted the last possible ID, unable to add more items",
            "error of XADD {given}"
        );
    }
    let info = backend.stream_info(&topic).await?;
    ensure_eq!(
        (info.length, info.entries_added, info.last_generated_id),
        (2, 2, EntryId::MAX),
        "XINFO STREAM (length, entries-added, last-generated-id)"
    );
    Ok(())
}

/// `ms-*` whose sequence would overflow fails with 7.0's "too large" (7.0 leaves errno unset on that path), appends
/// nothing, and a later millisecond still works. redis-cli (7.0.15): `XADD k 8-18446744073709551615` → ok;
/// `XADD k 8-*` → ERR Elements are too large to be stored; XLEN → 1; `XADD k 9-*` → 9-0. Same with
/// `0-18446744073709551615` then `0-*`.
pub async fn ms_star_sequence_overflow_fails_as_redis_7_0_does(backend: Arc<dyn Backend>) -> CheckResult {
    for (ms, name) in [(8, "seq-overflow"), (0, "seq-overflow-zero")] {
        let topic = topic(name)?;
        add(
            backend.as_ref(),
            &topic,
            &format!("{ms}-18446744073709551615"),
            fields(1),
        )
        .await?;
        let result = backend.append(&topic, fv(), &at(&format!("{ms}-*"))?).await;
        expect_error_text(
            result,
            "ERR Elements are too large to be stored",
            &format!("XADD {ms}-*"),
        )?;
        ensure_eq!(backend.len(&topic).await?, 1, "XLEN after the refused XADD {ms}-*");
    }
    let topic = topic("seq-overflow")?;
    ensure_eq!(add(backend.as_ref(), &topic, "9-*", fv()).await?, id(9, 0), "XADD 9-*");
    Ok(())
}

/// NOMKSTREAM on a missing key answers nil and creates nothing. redis-cli: `XADD new NOMKSTREAM * f v` → nil;
/// `EXISTS new` → 0; `XLEN new` → 0.
pub async fn nomkstream_does_not_create_a_missing_topic(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("nomk")?;
    let added = backend
        .append(&topic, fv(), &AppendOptions::new().no_mkstream())
        .await?;
    ensure_eq!(added, None, "XADD NOMKSTREAM * on a missing key");
    ensure!(
        !exists(backend.as_ref(), &topic).await?,
        "XADD NOMKSTREAM created the topic"
    );
    ensure_eq!(backend.len(&topic).await?, 0, "XLEN");
    Ok(())
}

/// NOMKSTREAM appends as usual to a stream that exists. redis-cli: `XADD k 1-1 n a`, `XADD k NOMKSTREAM 2-1 f v`
/// → 2-1.
pub async fn nomkstream_appends_to_an_existing_topic(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("nomk-existing")?;
    add(backend.as_ref(), &topic, "1-1", fields(1)).await?;
    let options = AppendOptions::new().no_mkstream().id(id(2, 1));
    ensure_eq!(
        backend.append(&topic, fv(), &options).await?,
        Some(id(2, 1)),
        "XADD NOMKSTREAM 2-1"
    );
    Ok(())
}

/// An entry needs at least one field. redis-cli: `XADD k *` → ERR wrong number of arguments for 'xadd' command;
/// `EXISTS k` → 0.
pub async fn empty_fields_are_rejected(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("no-fields")?;
    let result = backend
        .append(&topic, bus_core::Fields::default(), &AppendOptions::new())
        .await;
    expect_error_text(
        result,
        "ERR wrong number of arguments for 'xadd' command",
        "XADD without fields",
    )?;
    ensure!(
        !exists(backend.as_ref(), &topic).await?,
        "XADD without fields created the topic"
    );
    Ok(())
}

/// Fields come back as written: in order, duplicate names kept, empty values kept. redis-cli:
/// `XADD k 1-1 a 1 a 2 b ''` → `XRANGE k - +` returns 1-1 with a 1 a 2 b ''.
pub async fn fields_keep_order_duplicates_and_empty_values(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("dup-fields")?;
    let written = pairs(&[("a", "1"), ("a", "2"), ("b", "")]);
    add(backend.as_ref(), &topic, "1-1", written.clone()).await?;
    let read = backend.range(&topic, RangeBound::MIN, RangeBound::MAX, None).await?;
    ensure_eq!(ids(&read), ["1-1"], "XRANGE - +");
    ensure_eq!(read.first().map(|e| &e.fields), Some(&written), "fields of 1-1");
    Ok(())
}

/// A publish stores the bus's wire format: field `id` holding the UUID, then `payload` holding the JSON, and the
/// stored entry reads back as the same message.
pub async fn publish_stores_the_message_as_id_then_payload(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("wire")?;
    let message = message(1)?;
    backend
        .publish(&topic, &message, &AppendOptions::new().id(id(1, 1)))
        .await?;
    let stored = backend.range(&topic, RangeBound::MIN, RangeBound::MAX, None).await?;
    let wire = pairs(&[("id", &message.id().to_string()), ("payload", r#"{"n":1}"#)]);
    ensure_eq!(
        stored.first().map(|e| &e.fields),
        Some(&wire),
        "fields of the published entry"
    );
    ensure_eq!(stored.len(), 1, "entries of the topic");
    let read_back = stored.first().map(|e| e.message()).transpose();
    let read_back = read_back.map_err(|err| Failure(format!("the published entry is no message: {err}")))?;
    ensure_eq!(read_back, Some(message), "the stored entry as a message");
    Ok(())
}

/// A UUID no entry holds is not found, on an existing topic as on a missing one.
pub async fn lookup_of_an_unknown_uuid_finds_nothing(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("lookup-unknown")?;
    backend.publish(&topic, &message(1)?, &AppendOptions::new()).await?;
    let stranger = bus_core::Uuid::new_v4();
    ensure_eq!(
        backend.lookup(&topic, stranger).await?,
        None,
        "lookup of an unknown UUID"
    );
    let missing = super::support::topic("lookup-missing")?;
    ensure_eq!(
        backend.lookup(&missing, stranger).await?,
        None,
        "lookup on a missing topic"
    );
    Ok(())
}

/// NOMKSTREAM publishes nothing to a missing topic, one message or a batch: each answers `None`, the topic is
/// not created and the UUIDs are not found. As `XADD new NOMKSTREAM * f v` → nil; `EXISTS new` → 0.
pub async fn publish_with_nomkstream_to_a_missing_topic_creates_nothing(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("publish-nomk")?;
    let options = AppendOptions::new().no_mkstream();
    let one = message(1)?;
    ensure_eq!(
        backend.publish(&topic, &one, &options).await?,
        None,
        "publish NOMKSTREAM"
    );
    let batch = [message(2)?, message(3)?];
    ensure_eq!(
        backend.publish_batch(&topic, &batch, &options).await?,
        vec![None, None],
        "publish_batch NOMKSTREAM of two messages"
    );
    ensure!(
        !exists(backend.as_ref(), &topic).await?,
        "a NOMKSTREAM publish created the topic"
    );
    for m in [&one, &batch[0], &batch[1]] {
        ensure_eq!(backend.lookup(&topic, m.id()).await?, None, "lookup of {}", m.id());
    }
    Ok(())
}

/// Publishing with MAXLEN trims after each append as XADD does; a trimmed message is no longer found, and
/// publishing it again appends it anew.
pub async fn publish_trims_as_xadd_does(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("publish-trim")?;
    let mut published = Vec::new();
    for n in 1..=8 {
        let m = message(n)?;
        let options = AppendOptions::new().id(id(n, 1)).trim(bus_core::Trim::maxlen(3));
        backend.publish(&topic, &m, &options).await?;
        published.push(m);
    }
    ensure_eq!(
        backend.len(&topic).await?,
        3,
        "XLEN after eight publishes with MAXLEN 3"
    );
    for (n, m) in (1..).zip(&published) {
        let expected = (n > 5).then(|| id(n, 1));
        ensure_eq!(backend.lookup(&topic, m.id()).await?, expected, "lookup of message {n}");
    }
    let again = backend
        .publish(&topic, &published[0], &AppendOptions::new().id(id(9, 1)))
        .await?;
    ensure_eq!(
        again.map(|p| (p.entry_id, p.duplicate)),
        Some((id(9, 1), false)),
        "publishing the trimmed message 1 again"
    );
    Ok(())
}

/// `(position in the topic, duplicate)` of each publish result: ids differ between topics, positions must not.
async fn positions(
    backend: &dyn Backend,
    topic: &bus_core::Topic,
    results: &[Option<bus_core::Published>],
) -> Result<Vec<Option<(usize, bool)>>, Failure> {
    let entries = backend.range(topic, RangeBound::MIN, RangeBound::MAX, None).await?;
    results
        .iter()
        .map(|result| {
            result
                .map(|p| {
                    let at = entries.iter().position(|e| e.id == p.entry_id);
                    at.map(|at| (at, p.duplicate))
                        .ok_or_else(|| Failure(format!("{} is not in {topic}", p.entry_id)))
                })
                .transpose()
        })
        .collect()
}

/// A batch publishes each message as `publish` would, in order: a message already on the topic, or repeated
/// within the batch, is a duplicate of its first entry, and the index learns every message. One `a` published,
/// then the batch `b a c b d c` → b new, a duplicate, c new, b and c duplicates, d new; the topic holds a b c d,
/// the same as publishing them one by one.
pub async fn publish_batch_equals_publishing_one_by_one(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let [ma, mb, mc, md] = [message(1)?, message(2)?, message(3)?, message(4)?];
    let batch = [mb.clone(), ma.clone(), mc.clone(), mb.clone(), md.clone(), mc.clone()];
    let none = AppendOptions::new();
    let (batched, one_by_one) = (topic("batch")?, topic("one-by-one")?);
    let mut results = b.publish_batch(&batched, std::slice::from_ref(&ma), &none).await?;
    let in_batch = b.publish_batch(&batched, &batch, &none).await?;
    results.extend(in_batch.iter().copied());
    let expected = [
        (0, false),
        (1, false),
        (0, true),
        (2, false),
        (1, true),
        (3, false),
        (2, true),
    ];
    let expected: Vec<_> = expected.into_iter().map(Some).collect();
    ensure_eq!(
        positions(b, &batched, &results).await?,
        expected,
        "(position, duplicate) of `a`, then of the batch `b a c b d c`"
    );
    let stored: Vec<Message> = b
        .range(&batched, RangeBound::MIN, RangeBound::MAX, None)
        .await?
        .iter()
        .map(|e| e.message())
        .collect::<Result<_, _>>()
        .map_err(|err| Failure(format!("a published entry is no message: {err}")))?;
    ensure_eq!(
        stored,
        vec![ma.clone(), mb.clone(), mc.clone(), md.clone()],
        "messages stored"
    );
    let mut singles = Vec::new();
    for m in std::iter::once(&ma).chain(&batch) {
        singles.push(b.publish(&one_by_one, m, &none).await?);
    }
    ensure_eq!(
        positions(b, &one_by_one, &singles).await?,
        expected,
        "(position, duplicate) of the same messages published one by one"
    );
    for (m, at) in [(&mb, 0), (&mc, 2), (&md, 4)] {
        let entry = in_batch.get(at).copied().flatten().map(|p| p.entry_id);
        ensure_eq!(b.lookup(&batched, m.id()).await?, entry, "lookup of a batch's message");
    }
    Ok(())
}

/// An empty batch publishes nothing and creates no topic.
pub async fn publish_batch_of_no_messages_publishes_nothing(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("batch-empty")?;
    let results = backend.publish_batch(&topic, &[], &AppendOptions::new()).await?;
    ensure!(results.is_empty(), "an empty batch answered {results:?}");
    ensure!(
        !exists(backend.as_ref(), &topic).await?,
        "an empty batch created the topic"
    );
    Ok(())
}

/// MAXLEN applies to each message of a batch, as to each XADD: ten messages published with MAXLEN 3 all append,
/// three stay, and only those are found.
pub async fn publish_batch_trims_after_each_message(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("batch-trim")?;
    let batch: Vec<Message> = (1..=10).map(message).collect::<Result<_, _>>()?;
    let options = AppendOptions::new().trim(bus_core::Trim::maxlen(3));
    let results = backend.publish_batch(&topic, &batch, &options).await?;
    ensure_eq!(results.len(), 10, "results of a batch of ten");
    ensure!(
        results.iter().all(|r| r.is_some_and(|p| !p.duplicate)),
        "a batch of ten fresh messages: {results:?}"
    );
    ensure_eq!(backend.len(&topic).await?, 3, "XLEN after the batch");
    for (n, (m, result)) in batch.iter().zip(&results).enumerate() {
        let expected = result.map(|p| p.entry_id).filter(|_| n >= 7);
        ensure_eq!(
            backend.lookup(&topic, m.id()).await?,
            expected,
            "lookup of message {} of the batch",
            n + 1
        );
    }
    Ok(())
}

/// A batch at an explicit id publishes its first message there and fails at the second, as publishing them one
/// by one does (`XADD k 5-1 …` twice: the second is equal or smaller), leaving one entry.
pub async fn publish_batch_at_an_explicit_id_publishes_only_the_first_message(
    backend: Arc<dyn Backend>,
) -> CheckResult {
    let topic = topic("batch-explicit")?;
    let batch = [message(1)?, message(2)?];
    let result = backend
        .publish_batch(&topic, &batch, &AppendOptions::new().id(id(5, 1)))
        .await;
    let err = expect_err(result, "publish_batch of two messages at 5-1")?;
    ensure!(
        matches!(err, Error::IdNotGreater { .. }),
        "publish_batch of two messages at 5-1 failed with {err:?}"
    );
    ensure_eq!(backend.len(&topic).await?, 1, "XLEN after the batch");
    ensure_eq!(
        backend.lookup(&topic, batch[0].id()).await?,
        Some(id(5, 1)),
        "lookup of the first message"
    );
    Ok(())
}
