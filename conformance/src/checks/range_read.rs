//! XRANGE, XREVRANGE and non-blocking XREAD: bounds, counts and cursors. Expected answers come from redis-cli on
//! Redis 7.0.15.

use std::sync::Arc;

use bus_core::{Backend, Entry, EntryId, RangeBound, ReadCursor, ReadOptions, ReadReply, Topic};

use super::support::*;
use crate::{CheckResult, Failure, ensure, ensure_eq};

/// `(` bounds exclude their id in both directions.
pub async fn range_honours_exclusive_bounds(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("ranges")?;
    fill(backend.as_ref(), &topic, 5).await?;
    let forward = backend
        .range(
            &topic,
            RangeBound::Exclusive(id(1, 0)),
            RangeBound::Exclusive(id(4, 0)),
            None,
        )
        .await?;
    let forward: Vec<EntryId> = forward.iter().map(|e| e.id).collect();
    ensure_eq!(forward, vec![id(2, 0), id(3, 0)], "XRANGE (1-0 (4-0");
    let backward = backend
        .rev_range(&topic, RangeBound::MAX, RangeBound::Exclusive(id(3, 0)), Some(1))
        .await?;
    let backward: Vec<EntryId> = backward.iter().map(|e| e.id).collect();
    ensure_eq!(backward, vec![id(5, 0)], "XREVRANGE + (3-0 COUNT 1");
    Ok(())
}

/// XREAD after a cursor returns exactly the entries with greater ids: not the cursor's own entry, not one less.
pub async fn read_after_a_cursor_is_exclusive(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("read-after")?;
    fill(backend.as_ref(), &topic, 3).await?;
    for (after, want) in [
        (EntryId::MIN, vec![id(1, 0), id(2, 0), id(3, 0)]),
        (id(1, 0), vec![id(2, 0), id(3, 0)]),
        (id(1, 5), vec![id(2, 0), id(3, 0)]),
        (id(2, 0), vec![id(3, 0)]),
        (id(3, 0), vec![]),
    ] {
        let reply = backend
            .read(&[(topic.clone(), ReadCursor::After(after))], &ReadOptions::new())
            .await?;
        ensure!(
            !reply.is_timed_out(),
            "non-blocking XREAD after {after} answered a timeout"
        );
        let got: Vec<EntryId> = reply.into_entries().map(|e| e.id).collect();
        ensure_eq!(got, want, "XREAD STREAMS {topic} {after}");
    }
    Ok(())
}

/// A range start as XRANGE parses it (`-`, `(2-1`, `2`).
fn start(text: &str) -> Result<RangeBound, Failure> {
    Ok(RangeBound::parse_start(text)?)
}

/// A range end as XRANGE parses it (`+`, `(5-1`, `3`).
fn end(text: &str) -> Result<RangeBound, Failure> {
    Ok(RangeBound::parse_end(text)?)
}

/// `XADD k 1-1 n 1` … `XADD k 5-1 n 5`.
async fn five(backend: &dyn Backend) -> Result<Topic, Failure> {
    let topic = topic("r")?;
    add_numbered(backend, &topic, 5).await?;
    Ok(topic)
}

/// `x1` with `1-1 n 1`, `2-1 n 2`, `3-1 n 3` and `x2` with `1-5 n 1`.
async fn two_topics(backend: &dyn Backend) -> Result<(Topic, Topic), Failure> {
    let (x1, x2) = (topic("x1")?, topic("x2")?);
    add_numbered(backend, &x1, 3).await?;
    add(backend, &x2, "1-5", fields(1)).await?;
    Ok((x1, x2))
}

fn entry_id(entry: &Entry) -> EntryId {
    entry.id
}

/// `(topic, [ids])` of a read that must not have timed out.
fn read_ids(reply: &ReadReply<Entry>, what: &str) -> Result<Vec<(String, Vec<String>)>, Failure> {
    reply_ids(reply, entry_id).ok_or_else(|| Failure(format!("non-blocking {what} answered a timeout")))
}

/// `(` on both ends excludes both ids, and entries come back with their fields. redis-cli: 5 entries;
/// `XRANGE k (2-1 (5-1` → 3-1 n 3, 4-1 n 4.
pub async fn range_returns_the_entries_strictly_between_exclusive_bounds(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = five(backend.as_ref()).await?;
    let got = backend.range(&topic, start("(2-1")?, end("(5-1")?, None).await?;
    ensure_eq!(ids(&got), ["3-1", "4-1"], "XRANGE k (2-1 (5-1");
    ensure_eq!(
        got.iter().map(n_of).collect::<Vec<_>>(),
        ["3", "4"],
        "fields n of XRANGE k (2-1 (5-1"
    );
    Ok(())
}

/// XRANGE COUNT 0 returns nothing (unlike XREAD, where 0 means no limit). redis-cli: 5 entries;
/// `XRANGE k - + COUNT 0` → (empty array).
pub async fn range_count_zero_returns_nothing(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = five(backend.as_ref()).await?;
    let none = backend.range(&topic, RangeBound::MIN, RangeBound::MAX, Some(0)).await?;
    ensure_eq!(ids(&none), Vec::<String>::new(), "XRANGE k - + COUNT 0");
    Ok(())
}

/// COUNT takes the oldest entries of the range; without it XRANGE returns them all. redis-cli: 5 entries;
/// `XRANGE k - + COUNT 2` → 1-1, 2-1; `XRANGE k - +` → 5 entries.
pub async fn range_count_takes_the_oldest_entries(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = five(backend.as_ref()).await?;
    let two = backend.range(&topic, RangeBound::MIN, RangeBound::MAX, Some(2)).await?;
    ensure_eq!(ids(&two), ["1-1", "2-1"], "XRANGE k - + COUNT 2");
    let all = backend.range(&topic, RangeBound::MIN, RangeBound::MAX, None).await?;
    ensure_eq!(all.len(), 5, "entries of XRANGE k - +");
    Ok(())
}

/// XREVRANGE counts down from its end, which `(` excludes. redis-cli: 5 entries; `XREVRANGE k (5-1 - COUNT 2` →
/// 4-1, 3-1.
pub async fn rev_range_counts_down_from_an_exclusive_end(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = five(backend.as_ref()).await?;
    let got = backend
        .rev_range(&topic, end("(5-1")?, RangeBound::MIN, Some(2))
        .await?;
    ensure_eq!(ids(&got), ["4-1", "3-1"], "XREVRANGE k (5-1 - COUNT 2");
    Ok(())
}

/// XREVRANGE COUNT 0 returns nothing. redis-cli: 5 entries; `XREVRANGE k + - COUNT 0` → (empty array).
pub async fn rev_range_count_zero_returns_nothing(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = five(backend.as_ref()).await?;
    let none = backend
        .rev_range(&topic, RangeBound::MAX, RangeBound::MIN, Some(0))
        .await?;
    ensure_eq!(ids(&none), Vec::<String>::new(), "XREVRANGE k + - COUNT 0");
    Ok(())
}

/// A bare millisecond covers that whole millisecond: as a start it is `ms-0`, as an end `ms-18446744073709551615`.
/// redis-cli: 5 entries; `XRANGE k 2 3` → 2-1, 3-1.
pub async fn bare_milliseconds_cover_the_whole_millisecond(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = five(backend.as_ref()).await?;
    let got = backend.range(&topic, start("2")?, end("3")?, None).await?;
    ensure_eq!(ids(&got), ["2-1", "3-1"], "XRANGE k 2 3");
    Ok(())
}

/// An exclusive bound with no id beyond it is an error, named for the side it is on. redis-cli: 5 entries;
/// `XRANGE k (18446744073709551615-18446744073709551615 +` → ERR invalid start ID for the interval;
/// `XRANGE k - (0-0` → ERR invalid end ID for the interval;
/// `XREVRANGE k + (18446744073709551615-18446744073709551615` → ERR invalid start ID for the interval.
pub async fn exclusive_bounds_past_the_id_space_are_errors(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = five(backend.as_ref()).await?;
    let past_max = RangeBound::Exclusive(EntryId::MAX);
    let result = backend.range(&topic, past_max, RangeBound::MAX, None).await;
    expect_error_text(result, "ERR invalid start ID for the interval", "XRANGE k (MAX +")?;
    let result = backend
        .range(&topic, RangeBound::MIN, RangeBound::Exclusive(EntryId::MIN), None)
        .await;
    expect_error_text(result, "ERR invalid end ID for the interval", "XRANGE k - (0-0")?;
    let result = backend.rev_range(&topic, RangeBound::MAX, past_max, None).await;
    expect_error_text(result, "ERR invalid start ID for the interval", "XREVRANGE k + (MAX")
}

/// A range whose start is above its end is empty, not an error. redis-cli: 5 entries; `XRANGE k 5 1` → (empty
/// array).
pub async fn inverted_range_is_empty(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = five(backend.as_ref()).await?;
    let got = backend.range(&topic, start("5")?, end("1")?, None).await?;
    ensure_eq!(ids(&got), Vec::<String>::new(), "XRANGE k 5 1");
    Ok(())
}

/// Ranges of a missing key are empty, not an error. redis-cli: `XRANGE missing - +` and `XREVRANGE missing + -`
/// → (empty array).
pub async fn ranges_of_a_missing_topic_are_empty(backend: Arc<dyn Backend>) -> CheckResult {
    five(backend.as_ref()).await?;
    let missing = topic("no-such-topic")?;
    let forward = backend.range(&missing, RangeBound::MIN, RangeBound::MAX, None).await?;
    ensure_eq!(ids(&forward), Vec::<String>::new(), "XRANGE missing - +");
    let backward = backend
        .rev_range(&missing, RangeBound::MAX, RangeBound::MIN, None)
        .await?;
    ensure_eq!(ids(&backward), Vec::<String>::new(), "XREVRANGE missing + -");
    Ok(())
}

/// XREAD over several streams applies COUNT to each stream and leaves out those with nothing to return, a
/// missing key included. redis-cli: `XREAD COUNT 2 STREAMS x1 x2 missing 1-1 0 0` → x1: 2-1 3-1; x2: 1-5.
pub async fn read_counts_per_topic_and_omits_missing_topics(backend: Arc<dyn Backend>) -> CheckResult {
    let (x1, x2) = two_topics(backend.as_ref()).await?;
    let cursors = [
        (x1.clone(), ReadCursor::After(id(1, 1))),
        (x2.clone(), ReadCursor::After(EntryId::MIN)),
        (topic("no-such-topic")?, ReadCursor::After(EntryId::MIN)),
    ];
    let reply = backend.read(&cursors, &ReadOptions::new().count(2)).await?;
    ensure_eq!(
        read_ids(&reply, "XREAD")?,
        [
            (x1.to_string(), vec!["2-1".to_owned(), "3-1".to_owned()]),
            (x2.to_string(), vec!["1-5".to_owned()])
        ],
        "XREAD COUNT 2 STREAMS x1 x2 missing 1-1 0 0"
    );
    Ok(())
}

/// XREAD COUNT 0 means no limit. redis-cli: `XREAD COUNT 0 STREAMS x1 0` → x1: 1-1 2-1 3-1.
pub async fn read_count_zero_means_no_limit(backend: Arc<dyn Backend>) -> CheckResult {
    let (x1, _) = two_topics(backend.as_ref()).await?;
    let cursors = [(x1.clone(), ReadCursor::After(EntryId::MIN))];
    let reply = backend.read(&cursors, &ReadOptions::new().count(0)).await?;
    ensure_eq!(
        read_ids(&reply, "XREAD")?,
        [(
            x1.to_string(),
            vec!["1-1".to_owned(), "2-1".to_owned(), "3-1".to_owned()]
        )],
        "XREAD COUNT 0 STREAMS x1 0"
    );
    Ok(())
}

/// `$` reads only entries added after the call, so a non-blocking read at `$` skips what is there. redis-cli:
/// `XREAD STREAMS x1 x2 $ 0` → only x2: 1-5.
pub async fn read_dollar_skips_the_entries_already_there(backend: Arc<dyn Backend>) -> CheckResult {
    let (x1, x2) = two_topics(backend.as_ref()).await?;
    let cursors = [(x1, ReadCursor::New), (x2.clone(), ReadCursor::After(EntryId::MIN))];
    let reply = backend.read(&cursors, &ReadOptions::new()).await?;
    ensure_eq!(
        read_ids(&reply, "XREAD")?,
        [(x2.to_string(), vec!["1-5".to_owned()])],
        "XREAD STREAMS x1 x2 $ 0"
    );
    Ok(())
}

/// A non-blocking read with nothing to return is an empty reply, never the timeout of a blocking read (Redis
/// answers nil to both; the trait tells them apart). redis-cli: `XREAD STREAMS x1 $` → (nil).
pub async fn read_with_nothing_new_is_an_empty_reply_not_a_timeout(backend: Arc<dyn Backend>) -> CheckResult {
    let (x1, _) = two_topics(backend.as_ref()).await?;
    let reply = backend.read(&[(x1, ReadCursor::New)], &ReadOptions::new()).await?;
    ensure_eq!(reply, ReadReply::Topics(vec![]), "XREAD STREAMS x1 $");
    Ok(())
}

/// A bare millisecond as an XREAD cursor is `ms-0`, so the entries of that millisecond with a sequence above 0
/// are returned, then the later ones. redis-cli: `XREAD STREAMS x1 2` → x1: 2-1 3-1.
pub async fn read_after_a_bare_millisecond_cursor(backend: Arc<dyn Backend>) -> CheckResult {
    let (x1, _) = two_topics(backend.as_ref()).await?;
    let cursor: ReadCursor = "2".parse()?;
    let reply = backend.read(&[(x1.clone(), cursor)], &ReadOptions::new()).await?;
    ensure_eq!(
        read_ids(&reply, "XREAD")?,
        [(x1.to_string(), vec!["2-1".to_owned(), "3-1".to_owned()])],
        "XREAD STREAMS x1 2"
    );
    Ok(())
}

/// XREAD of no topic is refused as Redis parses it: by arity when nothing else is given (`XREAD STREAMS` →
/// `ERR wrong number of arguments for 'xread' command`), as a syntax error once COUNT or BLOCK make the command
/// long enough (`XREAD COUNT 1 STREAMS`, `XREAD BLOCK 10 STREAMS` → `ERR syntax error`); it never blocks.
pub async fn read_of_no_topics_is_refused_as_redis_parses_it(backend: Arc<dyn Backend>) -> CheckResult {
    let arity = "ERR wrong number of arguments for 'xread' command";
    expect_error_text(backend.read(&[], &ReadOptions::new()).await, arity, "XREAD STREAMS")?;
    let counted = backend.read(&[], &ReadOptions::new().count(1)).await;
    expect_error_text(counted, "ERR syntax error", "XREAD COUNT 1 STREAMS")?;
    let blocking = ReadOptions::new().block(std::time::Duration::from_millis(10));
    let read = tokio::time::timeout(std::time::Duration::from_secs(10), backend.read(&[], &blocking))
        .await
        .map_err(|_| Failure("XREAD BLOCK 10 STREAMS blocked instead of failing".into()))?;
    expect_error_text(read, "ERR syntax error", "XREAD BLOCK 10 STREAMS")
}

/// A BLOCK beyond a signed 64-bit integer of milliseconds is refused before anything blocks or is read:
/// `XREAD BLOCK 9223372036854775808 STREAMS k $` → `ERR timeout is not an integer or out of range`, also with
/// entries to read.
pub async fn read_block_out_of_range_is_refused(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("xread-block-range")?;
    fill(backend.as_ref(), &topic, 1).await?;
    let too_long = ReadOptions::new().block(std::time::Duration::from_millis(1 << 63));
    for (cursor, what) in [(ReadCursor::New, "$"), (ReadCursor::After(EntryId::MIN), "0")] {
        let read = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            backend.read(&[(topic.clone(), cursor)], &too_long),
        )
        .await
        .map_err(|_| Failure(format!("XREAD BLOCK 2^63 … {what} blocked instead of failing")))?;
        expect_error_text(
            read,
            "ERR timeout is not an integer or out of range",
            &format!("XREAD BLOCK 9223372036854775808 STREAMS {topic} {what}"),
        )?;
    }
    Ok(())
}

/// XREAD returns each entry with its fields exactly as written, per topic. redis-cli: `XADD a 1-1 a 1 a 2 b ''`,
/// `XADD b 1-2 x y`; `XREAD STREAMS a b 0 0` → a: 1-1 a 1 a 2 b ''; b: 1-2 x y.
pub async fn read_returns_entries_with_their_fields(backend: Arc<dyn Backend>) -> CheckResult {
    let (a, b) = (topic("fields-a")?, topic("fields-b")?);
    add(backend.as_ref(), &a, "1-1", odd_fields()).await?;
    add(backend.as_ref(), &b, "1-2", pairs(&[("x", "y")])).await?;
    let cursors = [
        (a.clone(), ReadCursor::After(EntryId::MIN)),
        (b.clone(), ReadCursor::After(EntryId::MIN)),
    ];
    let reply = backend.read(&cursors, &ReadOptions::new()).await?;
    let expected = vec![
        bus_core::TopicEntries {
            topic: a,
            entries: vec![Entry::new(id(1, 1), odd_fields())],
        },
        bus_core::TopicEntries {
            topic: b,
            entries: vec![Entry::new(id(1, 2), pairs(&[("x", "y")]))],
        },
    ];
    ensure_eq!(reply, ReadReply::Topics(expected), "XREAD STREAMS a b 0 0");
    Ok(())
}
