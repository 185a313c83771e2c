//! XTRIM, XDEL and the trimming of XADD: exact and approximate MAXLEN/MINID, LIMIT, their errors, and what
//! deleting or trimming leaves in XINFO STREAM. Expected answers come from redis-cli on Redis 7.0.15; those of
//! approximate trims (`~`) from a server started with `stream-node-max-bytes 0`, whose nodes hold exactly 100
//! entries (the checks that need that layout declare `exact_node_trimming`).

use std::sync::Arc;

use bus_core::{AppendOptions, Backend, EntryId, RangeBound, Topic, Trim};

use super::support::*;
use crate::{CheckResult, Failure, ensure, ensure_eq};

/// The id of the oldest entry, if any.
async fn first_id(backend: &dyn Backend, topic: &Topic) -> Result<Option<EntryId>, Failure> {
    let first = backend.range(topic, RangeBound::MIN, RangeBound::MAX, Some(1)).await?;
    Ok(first.first().map(|e| e.id))
}

/// One XTRIM of a scenario and what Redis answered: the entries removed, then the length and the oldest id.
struct Step {
    /// The command as given to redis-cli, for failure messages.
    redis: &'static str,
    trim: Trim,
    removed: u64,
    len: u64,
    first: Option<EntryId>,
}

fn step(redis: &'static str, trim: Trim, removed: u64, len: u64, first: Option<EntryId>) -> Step {
    Step {
        redis,
        trim,
        removed,
        len,
        first,
    }
}

/// Runs the trims in order on `topic`, failing at the first answer that differs from Redis's.
async fn replay(backend: &dyn Backend, topic: &Topic, steps: &[Step]) -> CheckResult {
    for step in steps {
        let removed = backend.trim(topic, &step.trim).await?;
        ensure_eq!(removed, step.removed, "{}", step.redis);
        ensure_eq!(backend.len(topic).await?, step.len, "XLEN after {}", step.redis);
        ensure_eq!(
            first_id(backend, topic).await?,
            step.first,
            "first entry after {}",
            step.redis
        );
    }
    Ok(())
}

/// A topic with `entries` entries `1-1 n 1 …`, trimmed by `steps` in order.
async fn trimmed(backend: &dyn Backend, name: &str, entries: u64, steps: &[Step]) -> Result<Topic, Failure> {
    let topic = topic(name)?;
    add_numbered(backend, &topic, entries).await?;
    replay(backend, &topic, steps).await?;
    Ok(topic)
}

/// The MAXLEN scenario on 250 entries: `XTRIM k MAXLEN ~ 120` → 100 (len 150); `XTRIM k MAXLEN 120` → 30 (first
/// 131-1).
fn maxlen_scenario() -> [Step; 2] {
    [
        step(
            "XTRIM k MAXLEN ~ 120",
            Trim::maxlen(120).approx(),
            100,
            150,
            Some(id(101, 1)),
        ),
        step("XTRIM k MAXLEN 120", Trim::maxlen(120), 30, 120, Some(id(131, 1))),
    ]
}

/// The LIMIT and MINID scenario on 500 entries: `XTRIM k MAXLEN ~ 0 LIMIT 250` → 200 (len 300);
/// `XTRIM k MINID ~ 450` → 200 (len 100, first 401-1); `XTRIM k MINID 450` → 49 (len 51, first 450-1);
/// `XTRIM k MAXLEN ~ 0 LIMIT 0` → 51 (len 0).
fn limit_scenario() -> [Step; 4] {
    [
        step(
            "XTRIM k MAXLEN ~ 0 LIMIT 250",
            Trim::maxlen(0).approx().limit(250),
            200,
            300,
            Some(id(201, 1)),
        ),
        step(
            "XTRIM k MINID ~ 450",
            Trim::minid(id(450, 0)).approx(),
            200,
            100,
            Some(id(401, 1)),
        ),
        step("XTRIM k MINID 450", Trim::minid(id(450, 0)), 49, 51, Some(id(450, 1))),
        step(
            "XTRIM k MAXLEN ~ 0 LIMIT 0",
            Trim::maxlen(0).approx().limit(0),
            51,
            0,
            None,
        ),
    ]
}

/// The small-LIMIT scenario on 250 entries: `XTRIM k MAXLEN ~ 0 LIMIT 99` → 0; `XTRIM k MAXLEN ~ 0 LIMIT 100` →
/// 100 (len 150, first 101-1).
fn small_limit_scenario() -> [Step; 2] {
    [
        step(
            "XTRIM k MAXLEN ~ 0 LIMIT 99",
            Trim::maxlen(0).approx().limit(99),
            0,
            250,
            Some(id(1, 1)),
        ),
        step(
            "XTRIM k MAXLEN ~ 0 LIMIT 100",
            Trim::maxlen(0).approx().limit(100),
            100,
            150,
            Some(id(101, 1)),
        ),
    ]
}

/// An exact MAXLEN removes the oldest entries until exactly that many are left. redis-cli: 250 entries
/// `XADD k 1-1 n 1` … `XADD k 250-1 n 250`; `XTRIM k MAXLEN 120` → 130; XLEN → 120; first entry 131-1.
pub async fn maxlen_trim_keeps_the_newest_entries(backend: Arc<dyn Backend>) -> CheckResult {
    let steps = [step(
        "XTRIM k MAXLEN 120",
        Trim::maxlen(120),
        130,
        120,
        Some(id(131, 1)),
    )];
    trimmed(backend.as_ref(), "maxlen-exact", 250, &steps).await.map(drop)
}

/// An exact MINID removes every entry below the id, and only those: the entry at the id stays. redis-cli: 10
/// entries `1-1 … 10-1`; `XTRIM k MINID 4-1` → 3; XLEN → 7; first entry 4-1.
pub async fn minid_trim_removes_the_entries_below_the_id(backend: Arc<dyn Backend>) -> CheckResult {
    let steps = [step("XTRIM k MINID 4-1", Trim::minid(id(4, 1)), 3, 7, Some(id(4, 1)))];
    trimmed(backend.as_ref(), "minid-exact", 10, &steps).await.map(drop)
}

/// `~` removes whole nodes only, keeping more than asked rather than splitting a node. redis-cli (nodes of 100):
/// 250 entries; `XTRIM k MAXLEN ~ 120` → 100; XLEN → 150.
pub async fn approximate_maxlen_removes_only_whole_nodes(backend: Arc<dyn Backend>) -> CheckResult {
    trimmed(backend.as_ref(), "maxlen", 250, &maxlen_scenario()[..1])
        .await
        .map(drop)
}

/// An exact trim after an approximate one removes the rest, inside a node. redis-cli (nodes of 100): 250 entries;
/// `XTRIM k MAXLEN ~ 120` → 100; `XTRIM k MAXLEN 120` → 30; first entry 131-1.
pub async fn exact_maxlen_finishes_an_approximate_trim(backend: Arc<dyn Backend>) -> CheckResult {
    trimmed(backend.as_ref(), "maxlen", 250, &maxlen_scenario())
        .await
        .map(drop)
}

/// XADD with `MAXLEN ~` trims after appending, and a node an exact trim left partly full goes whole. redis-cli
/// (nodes of 100): after the MAXLEN scenario (120 entries, 131-1 … 250-1), `XADD k MAXLEN ~ 10 251-1 f v` →
/// 251-1; XLEN → 51; first entry 201-1.
pub async fn approximate_maxlen_on_xadd_removes_a_partly_trimmed_node_whole(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = trimmed(backend.as_ref(), "maxlen", 250, &maxlen_scenario()).await?;
    let options = AppendOptions::new().id(id(251, 1)).trim(Trim::maxlen(10).approx());
    let added = backend.append(&topic, pairs(&[("f", "v")]), &options).await?;
    ensure_eq!(added, Some(id(251, 1)), "XADD k MAXLEN ~ 10 251-1");
    ensure_eq!(backend.len(&topic).await?, 51, "XLEN after the XADD");
    ensure_eq!(
        first_id(backend.as_ref(), &topic).await?,
        Some(id(201, 1)),
        "first entry after the XADD"
    );
    Ok(())
}

/// LIMIT caps the entries an approximate trim removes, still in whole nodes. redis-cli (nodes of 100): 500
/// entries; `XTRIM k MAXLEN ~ 0 LIMIT 250` → 200; XLEN → 300.
pub async fn limit_caps_an_approximate_trim_at_whole_nodes(backend: Arc<dyn Backend>) -> CheckResult {
    trimmed(backend.as_ref(), "limit", 500, &limit_scenario()[..1])
        .await
        .map(drop)
}

/// `MINID ~` removes the whole nodes below the id and keeps the node holding it. redis-cli (nodes of 100): 500
/// entries; `XTRIM k MAXLEN ~ 0 LIMIT 250` → 200; `XTRIM k MINID ~ 450` → 200; XLEN → 100; first entry 401-1.
pub async fn approximate_minid_removes_only_whole_nodes_below_it(backend: Arc<dyn Backend>) -> CheckResult {
    trimmed(backend.as_ref(), "limit", 500, &limit_scenario()[..2])
        .await
        .map(drop)
}

/// An exact MINID after an approximate one removes the rest below the id. redis-cli (nodes of 100): 500 entries;
/// `XTRIM k MAXLEN ~ 0 LIMIT 250` → 200; `XTRIM k MINID ~ 450` → 200; `XTRIM k MINID 450` → 49; XLEN → 51; first
/// entry 450-1.
pub async fn exact_minid_finishes_an_approximate_trim(backend: Arc<dyn Backend>) -> CheckResult {
    trimmed(backend.as_ref(), "limit", 500, &limit_scenario()[..3])
        .await
        .map(drop)
}

/// `LIMIT 0` lifts the cap: the approximate trim removes every whole node it may, here the last, partly trimmed
/// one; what is left is the XINFO STREAM of a trimmed-away stream. redis-cli (nodes of 100): the LIMIT and MINID
/// scenario, then `XTRIM k MAXLEN ~ 0 LIMIT 0` → 51; XLEN → 0; XINFO STREAM: length 0, last-generated-id 500-1,
/// max-deleted-entry-id 0-0, entries-added 500, first-entry and last-entry nil.
pub async fn limit_zero_lifts_the_cap_of_an_approximate_trim(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = trimmed(backend.as_ref(), "limit", 500, &limit_scenario()).await?;
    ensure_trimmed_away(backend.as_ref(), &topic).await
}

/// XINFO STREAM of the 500 entries `1-1 … 500-1` once trims removed them all: length 0, last-generated-id 500-1,
/// max-deleted-entry-id 0-0 (trims delete nothing), entries-added 500, no first or last entry.
async fn ensure_trimmed_away(backend: &dyn Backend, topic: &Topic) -> CheckResult {
    let info = backend.stream_info(topic).await?;
    ensure_eq!(info.length, 0, "length");
    ensure_eq!(info.last_generated_id, id(500, 1), "last-generated-id");
    ensure_eq!(info.max_deleted_entry_id, EntryId::MIN, "max-deleted-entry-id");
    ensure_eq!(info.entries_added, 500, "entries-added");
    ensure_eq!(
        (info.first_entry, info.last_entry),
        (None, None),
        "first-entry and last-entry"
    );
    Ok(())
}

/// Trimming is not deletion: a trimmed-away stream keeps its last id and entries-added, and max-deleted-entry-id
/// stays 0-0. redis-cli: 500 entries; `XTRIM k MINID 450` → 449; `XTRIM k MAXLEN 0` → 51; XINFO STREAM: length 0,
/// last-generated-id 500-1, max-deleted-entry-id 0-0, entries-added 500, first-entry and last-entry nil.
pub async fn trimming_is_not_deletion(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("trim-info")?;
    add_numbered(backend.as_ref(), &topic, 500).await?;
    ensure_eq!(
        backend.trim(&topic, &Trim::minid(id(450, 0))).await?,
        449,
        "XTRIM k MINID 450"
    );
    ensure_eq!(backend.trim(&topic, &Trim::maxlen(0)).await?, 51, "XTRIM k MAXLEN 0");
    ensure_trimmed_away(backend.as_ref(), &topic).await
}

/// A LIMIT below a node's 100 entries removes nothing; 100 removes one node. redis-cli (nodes of 100): 250
/// entries; `XTRIM k MAXLEN ~ 0 LIMIT 99` → 0; `XTRIM k MAXLEN ~ 0 LIMIT 100` → 100.
pub async fn limit_below_a_node_removes_nothing(backend: Arc<dyn Backend>) -> CheckResult {
    trimmed(backend.as_ref(), "small-limit", 250, &small_limit_scenario())
        .await
        .map(drop)
}

/// Deleted entries still fill their node: an approximate trim keeps a node whose removal would leave fewer than
/// MAXLEN live entries. redis-cli (nodes of 100): 250 entries; `XTRIM k MAXLEN ~ 0 LIMIT 99` → 0;
/// `XTRIM k MAXLEN ~ 0 LIMIT 100` → 100; `XDEL k 101-1 102-1` → 2; `XTRIM k MAXLEN ~ 100` → 0 (the node
/// 101..200 holds 98 live entries; removing it would leave 50 < 100); XLEN → 148; first entry 103-1; XINFO
/// STREAM max-deleted-entry-id 102-1.
pub async fn deleted_entries_still_fill_their_node(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = trimmed(backend.as_ref(), "small-limit", 250, &small_limit_scenario()).await?;
    ensure_eq!(
        backend.delete(&topic, &[id(101, 1), id(102, 1)]).await?,
        2,
        "XDEL k 101-1 102-1"
    );
    let tail = [step(
        "XTRIM k MAXLEN ~ 100",
        Trim::maxlen(100).approx(),
        0,
        148,
        Some(id(103, 1)),
    )];
    replay(backend.as_ref(), &topic, &tail).await?;
    let info = backend.stream_info(&topic).await?;
    ensure_eq!(info.max_deleted_entry_id, id(102, 1), "max-deleted-entry-id");
    Ok(())
}

/// A node an exact trim empties stays and goes on filling: its deleted slots still count toward its 100 entries.
/// redis-cli (nodes of 100): `XADD k 1-0 a 1`, `XADD k 2-0 a 1`; `XDEL k 2-0` → 1; `XTRIM k MINID 2-0` → 1 (the
/// node keeps 2 deleted slots); `XADD k 3-0 a 1` … `XADD k 101-0 a 1`; `XTRIM k MAXLEN ~ 1` → 98 (the first node,
/// 1-0 … 100-0, holds 98 live entries); XLEN → 1; first entry 101-0.
pub async fn a_node_emptied_by_an_exact_trim_keeps_filling(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("emptied-node")?;
    let b = backend.as_ref();
    add(b, &topic, "1-0", pairs(&[("a", "1")])).await?;
    add(b, &topic, "2-0", pairs(&[("a", "1")])).await?;
    ensure_eq!(b.delete(&topic, &[id(2, 0)]).await?, 1, "XDEL k 2-0");
    replay(
        b,
        &topic,
        &[step("XTRIM k MINID 2-0", Trim::minid(id(2, 0)), 1, 0, None)],
    )
    .await?;
    for ms in 3..=101 {
        add(b, &topic, &format!("{ms}-0"), pairs(&[("a", "1")])).await?;
    }
    let tail = [step(
        "XTRIM k MAXLEN ~ 1",
        Trim::maxlen(1).approx(),
        98,
        1,
        Some(id(101, 0)),
    )];
    replay(b, &topic, &tail).await
}

/// Without LIMIT, an approximate trim removes at most 10000 entries (100 × stream-node-max-entries), in XTRIM and
/// in XADD. redis-cli (nodes of 100): 20000 entries; `XTRIM k MAXLEN ~ 0` → 10000; XLEN → 10000;
/// `XADD k MAXLEN ~ 0 20001-1 f v`; XLEN → 1.
pub async fn approximate_trims_remove_at_most_ten_thousand_entries_by_default(
    backend: Arc<dyn Backend>,
) -> CheckResult {
    let topic = topic("default-limit")?;
    add_numbered(backend.as_ref(), &topic, 20_000).await?;
    ensure_eq!(
        backend.trim(&topic, &Trim::maxlen(0).approx()).await?,
        10_000,
        "XTRIM k MAXLEN ~ 0"
    );
    ensure_eq!(backend.len(&topic).await?, 10_000, "XLEN after the XTRIM");
    let options = AppendOptions::new().id(id(20_001, 1)).trim(Trim::maxlen(0).approx());
    backend.append(&topic, pairs(&[("f", "v")]), &options).await?;
    ensure_eq!(backend.len(&topic).await?, 1, "XLEN after XADD k MAXLEN ~ 0 20001-1");
    Ok(())
}

/// XTRIM of a missing key removes nothing and creates nothing. redis-cli: `XTRIM missing MAXLEN 0` → 0;
/// `EXISTS missing` → 0.
pub async fn trim_of_a_missing_topic_removes_nothing(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("trim-missing")?;
    ensure_eq!(
        backend.trim(&topic, &Trim::maxlen(0)).await?,
        0,
        "XTRIM missing MAXLEN 0"
    );
    ensure!(!exists(backend.as_ref(), &topic).await?, "XTRIM created the topic");
    Ok(())
}

/// A MAXLEN beyond a signed 64-bit integer is refused, even on a missing key. redis-cli:
/// `XTRIM missing MAXLEN 9223372036854775808` → ERR value is not an integer or out of range.
pub async fn maxlen_beyond_the_integer_range_is_rejected(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("trim-range")?;
    let result = backend.trim(&topic, &Trim::maxlen(1 << 63)).await;
    expect_error_text(
        result,
        "ERR value is not an integer or out of range",
        "XTRIM MAXLEN 9223372036854775808",
    )
}

/// LIMIT needs `~` in XTRIM, and the refused trim removes nothing. redis-cli: 3 entries;
/// `XTRIM k MINID 5 LIMIT 10` → ERR syntax error, LIMIT cannot be used without the special ~ option; XLEN → 3.
pub async fn limit_without_approx_is_a_syntax_error_in_xtrim(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("trim-limit")?;
    add_numbered(backend.as_ref(), &topic, 3).await?;
    let result = backend.trim(&topic, &Trim::minid(id(5, 0)).limit(10)).await;
    expect_error_text(
        result,
        "ERR syntax error, LIMIT cannot be used without the special ~ option",
        "XTRIM k MINID 5 LIMIT 10",
    )?;
    ensure_eq!(backend.len(&topic).await?, 3, "XLEN after the refused XTRIM");
    Ok(())
}

/// LIMIT needs `~` in XADD too, and the refused XADD appends nothing (the key is not created). redis-cli:
/// `XADD k MAXLEN 1 LIMIT 5 1-1 f v` → ERR syntax error, LIMIT cannot be used without the special ~ option;
/// `EXISTS k` → 0.
pub async fn limit_without_approx_is_a_syntax_error_in_xadd(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("xadd-limit")?;
    let options = AppendOptions::new().id(id(1, 1)).trim(Trim::maxlen(1).limit(5));
    let result = backend.append(&topic, pairs(&[("f", "v")]), &options).await;
    expect_error_text(
        result,
        "ERR syntax error, LIMIT cannot be used without the special ~ option",
        "XADD k MAXLEN 1 LIMIT 5 1-1",
    )?;
    ensure!(
        !exists(backend.as_ref(), &topic).await?,
        "the refused XADD created the topic"
    );
    Ok(())
}

/// Five entries `1-1 n 1 … 5-1 n 5`, then `XDEL k 5-1 3-1 9-9` → 2 (9-9 was never there).
async fn five_with_two_deleted(backend: &dyn Backend) -> Result<Topic, Failure> {
    let topic = topic("deletes")?;
    add_numbered(backend, &topic, 5).await?;
    ensure_eq!(
        backend.delete(&topic, &[id(5, 1), id(3, 1), id(9, 9)]).await?,
        2,
        "XDEL k 5-1 3-1 9-9"
    );
    Ok(topic)
}

/// XDEL removes the listed entries that exist and counts only those; an id deleted already, or a missing key,
/// counts 0. redis-cli: 5 entries; `XDEL k 5-1 3-1 9-9` → 2; `XRANGE k - +` → 1-1 2-1 4-1; `XDEL k 5-1` → 0;
/// `XDEL missing 1-1` → 0.
pub async fn delete_counts_only_the_entries_it_removes(backend: Arc<dyn Backend>) -> CheckResult {
    let stream = five_with_two_deleted(backend.as_ref()).await?;
    let left = backend.range(&stream, RangeBound::MIN, RangeBound::MAX, None).await?;
    ensure_eq!(ids(&left), ["1-1", "2-1", "4-1"], "XRANGE k - + after the XDEL");
    ensure_eq!(backend.delete(&stream, &[id(5, 1)]).await?, 0, "XDEL k 5-1 again");
    let missing = topic("no-such-topic")?;
    ensure_eq!(backend.delete(&missing, &[id(1, 1)]).await?, 0, "XDEL missing 1-1");
    Ok(())
}

/// Deleting the top keeps the last generated id, and the largest deleted id is recorded. redis-cli: 5 entries;
/// `XDEL k 5-1 3-1 9-9` → 2; XINFO STREAM: length 3, last-generated-id 5-1, max-deleted-entry-id 5-1,
/// entries-added 5, last-entry 4-1.
pub async fn delete_keeps_the_last_id_and_records_the_largest_deleted_id(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = five_with_two_deleted(backend.as_ref()).await?;
    let info = backend.stream_info(&topic).await?;
    ensure_eq!(info.length, 3, "length");
    ensure_eq!(info.last_generated_id, id(5, 1), "last-generated-id");
    ensure_eq!(info.max_deleted_entry_id, id(5, 1), "max-deleted-entry-id");
    ensure_eq!(info.entries_added, 5, "entries-added");
    ensure_eq!(info.last_entry.map(|e| e.id), Some(id(4, 1)), "last-entry");
    Ok(())
}

/// max-deleted-entry-id never goes down: deleting a smaller id later leaves it. redis-cli: 5 entries;
/// `XDEL k 5-1 3-1 9-9` → 2; `XDEL k 5-1` → 0; `XDEL k 1-1` → 1; XINFO STREAM max-deleted-entry-id 5-1.
pub async fn max_deleted_id_never_decreases(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = five_with_two_deleted(backend.as_ref()).await?;
    ensure_eq!(backend.delete(&topic, &[id(5, 1)]).await?, 0, "XDEL k 5-1 again");
    ensure_eq!(backend.delete(&topic, &[id(1, 1)]).await?, 1, "XDEL k 1-1");
    ensure_eq!(
        backend.stream_info(&topic).await?.max_deleted_entry_id,
        id(5, 1),
        "max-deleted-entry-id after deleting 1-1"
    );
    Ok(())
}

/// Deleting every entry leaves an empty stream that still exists, with its ids. redis-cli: `XADD k 1-1 n 1`,
/// `XADD k 2-1 n 2`; `XDEL k 1-1 2-1` → 2; XINFO STREAM: length 0, last-generated-id 2-1, max-deleted-entry-id
/// 2-1, entries-added 2, first-entry and last-entry nil; `EXISTS k` → 1.
pub async fn deleting_every_entry_keeps_the_empty_stream(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("delete-all")?;
    add_numbered(backend.as_ref(), &topic, 2).await?;
    ensure_eq!(
        backend.delete(&topic, &[id(1, 1), id(2, 1)]).await?,
        2,
        "XDEL k 1-1 2-1"
    );
    let info = backend.stream_info(&topic).await?;
    ensure_eq!(
        (
            info.length,
            info.last_generated_id,
            info.max_deleted_entry_id,
            info.entries_added
        ),
        (0, id(2, 1), id(2, 1), 2),
        "XINFO STREAM (length, last-generated-id, max-deleted-entry-id, entries-added)"
    );
    ensure_eq!(
        (info.first_entry, info.last_entry),
        (None, None),
        "first-entry and last-entry"
    );
    ensure!(
        exists(backend.as_ref(), &topic).await?,
        "the emptied stream no longer exists"
    );
    Ok(())
}

/// XDEL with no id is refused by its arity, on an existing topic or a missing one, and deletes nothing:
/// `XDEL k` → `ERR wrong number of arguments for 'xdel' command`.
pub async fn delete_of_no_ids_is_an_arity_error(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("xdel-arity")?;
    fill(backend.as_ref(), &topic, 2).await?;
    let arity = "ERR wrong number of arguments for 'xdel' command";
    expect_error_text(backend.delete(&topic, &[]).await, arity, "XDEL with no id")?;
    let missing = super::support::topic("xdel-arity-missing")?;
    expect_error_text(
        backend.delete(&missing, &[]).await,
        arity,
        "XDEL of a missing topic with no id",
    )?;
    ensure_eq!(backend.len(&topic).await?, 2, "XLEN after the refused XDEL");
    Ok(())
}

/// An exact MAXLEN on XADD trims after appending, down to exactly that many entries. redis-cli: 3 entries
/// `1-1 … 3-1`; `XADD k MAXLEN 2 4-1 f v` → 4-1; `XRANGE k - +` → 3-1, 4-1.
pub async fn xadd_with_exact_maxlen_keeps_the_newest_entries(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("xadd-maxlen")?;
    add_numbered(backend.as_ref(), &topic, 3).await?;
    let options = AppendOptions::new().id(id(4, 1)).trim(Trim::maxlen(2));
    let added = backend.append(&topic, pairs(&[("f", "v")]), &options).await?;
    ensure_eq!(added, Some(id(4, 1)), "XADD k MAXLEN 2 4-1");
    let left = backend.range(&topic, RangeBound::MIN, RangeBound::MAX, None).await?;
    ensure_eq!(ids(&left), ["3-1", "4-1"], "XRANGE k - + after the XADD");
    Ok(())
}

/// DEL answers whether the topic existed, and removes it. redis-cli: `XADD k 1-1 n 1`; `DEL k` → 1; `DEL k` → 0;
/// `EXISTS k` → 0; `XLEN k` → 0.
pub async fn drop_topic_reports_whether_the_topic_existed(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("del")?;
    add_numbered(backend.as_ref(), &topic, 1).await?;
    ensure!(backend.drop_topic(&topic).await?, "DEL of an existing topic answered 0");
    ensure!(!backend.drop_topic(&topic).await?, "DEL of a deleted topic answered 1");
    ensure!(!exists(backend.as_ref(), &topic).await?, "the topic exists after DEL");
    ensure_eq!(backend.len(&topic).await?, 0, "XLEN after DEL");
    Ok(())
}
