//! XGROUP CREATE, SETID, DESTROY, CREATECONSUMER and DELCONSUMER: where a group starts, what it has read, and
//! its consumers.

use std::sync::Arc;
use std::time::Duration;

use bus_core::{Backend, ConsumerDelete, EntryId, Error, GroupCreateOptions, GroupStart};

use super::support::*;
use crate::{CheckResult, Failure, ensure, ensure_eq};

/// Redis's answer to every XGROUP subcommand on a missing key (CREATE without MKSTREAM included).
const NO_KEY_FOR_XGROUP: &str = "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.";

/// An explicit group position, written as redis-cli takes it (`"0"`, `"2-1"`).
fn at(text: &str) -> Result<GroupStart, Failure> {
    Ok(GroupStart::Id(eid(text)?))
}

/// `XGROUP CREATE k <group> <start>` on an existing topic.
async fn create(backend: &dyn Backend, topic: &bus_core::Topic, group: &str, start: GroupStart) -> CheckResult {
    backend
        .group_create(topic, group, start, &GroupCreateOptions::new())
        .await?;
    Ok(())
}

/// Every XGROUP subcommand answers the same error on a missing key, and none of them creates it.
///
/// redis-cli: `XGROUP CREATE missing g1 $`, `XGROUP SETID missing g1 0`, `XGROUP CREATECONSUMER missing g c1`,
/// `XGROUP DELCONSUMER missing g c1` and `XGROUP DESTROY missing g4` → each `ERR The XGROUP subcommand requires the
/// key to exist. …`; `EXISTS missing` → 0.
pub async fn xgroup_subcommands_need_the_topic(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = topic("nokey")?;
    let plain = GroupCreateOptions::new();
    expect_error_text(
        b.group_create(&t, "g1", GroupStart::Last, &plain).await,
        NO_KEY_FOR_XGROUP,
        "XGROUP CREATE without MKSTREAM on a missing key",
    )?;
    expect_error_text(
        b.group_set_id(&t, "g1", at("0")?, None).await,
        NO_KEY_FOR_XGROUP,
        "XGROUP SETID on a missing key",
    )?;
    expect_error_text(
        b.consumer_create(&t, "g", "c1").await,
        NO_KEY_FOR_XGROUP,
        "XGROUP CREATECONSUMER on a missing key",
    )?;
    expect_error_text(
        b.consumer_delete(&t, "g", "c1").await,
        NO_KEY_FOR_XGROUP,
        "XGROUP DELCONSUMER on a missing key",
    )?;
    expect_error_text(
        b.group_destroy(&t, "g4").await,
        NO_KEY_FOR_XGROUP,
        "XGROUP DESTROY on a missing key",
    )?;
    ensure!(!exists(b, &t).await?, "a refused XGROUP created {t}");
    Ok(())
}

/// MKSTREAM creates the missing key as an empty stream that holds the group.
///
/// redis-cli: `XGROUP CREATE k g1 $ MKSTREAM` → OK; `EXISTS k` → 1; `XLEN k` → 0.
pub async fn create_with_mkstream_makes_an_empty_topic(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = topic("g")?;
    let mk = GroupCreateOptions::new().mkstream();
    b.group_create(&t, "g1", GroupStart::Last, &mk).await?;
    ensure!(exists(b, &t).await?, "XGROUP CREATE … MKSTREAM did not create {t}");
    ensure_eq!(b.len(&t).await?, 0, "XLEN after XGROUP CREATE … MKSTREAM");
    Ok(())
}

/// Group names are unique per key: creating one again fails with BUSYGROUP, with or without MKSTREAM, and leaves
/// the group where it was.
///
/// redis-cli: `XGROUP CREATE k g1 $ MKSTREAM` → OK; `XGROUP CREATE k g1 0` and `XGROUP CREATE k g1 0 MKSTREAM` →
/// `BUSYGROUP Consumer Group name already exists`; `XINFO GROUPS k` → g1 last-delivered-id 0-0.
pub async fn create_of_an_existing_group_is_busygroup(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = topic("g")?;
    let mk = GroupCreateOptions::new().mkstream();
    b.group_create(&t, "g1", GroupStart::Last, &mk).await?;
    for options in [GroupCreateOptions::new(), mk] {
        let what = format!("XGROUP CREATE of an existing group ({options:?})");
        let err = expect_err(b.group_create(&t, "g1", at("0")?, &options).await, &what)?;
        ensure!(matches!(err, Error::GroupExists { .. }), "{what}: {err:?}");
        ensure_eq!(
            err.to_string(),
            "BUSYGROUP Consumer Group name already exists",
            "error of {what}"
        );
    }
    let info = b.groups_info(&t).await?;
    ensure_eq!(
        info.first().map(|g| g.last_delivered_id),
        Some(EntryId::MIN),
        "g1's position after the refused creates"
    );
    Ok(())
}

/// A group starts at `$` (the last id when it is created) or at an explicit id, with ENTRIESREAD if given; XINFO
/// GROUPS derives the lag from that (nil when it cannot tell).
///
/// redis-cli: `XGROUP CREATE k g1 $ MKSTREAM`; `XADD k 1-1 n 1`, `2-1 n 2`, `3-1 n 3`; `XGROUP CREATE k g2 $`;
/// `XGROUP CREATE k g3 0 ENTRIESREAD 1`; `XGROUP CREATE k g4 2-1`; `XINFO GROUPS k` → g1 0-0 entries-read nil
/// lag 3; g2 3-1 nil lag 0; g3 0-0 1 lag 2; g4 2-1 nil lag nil.
pub async fn create_positions_give_redis_entries_read_and_lag(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = topic("g")?;
    let mk = GroupCreateOptions::new().mkstream();
    b.group_create(&t, "g1", GroupStart::Last, &mk).await?;
    add_numbered(b, &t, 3).await?;
    create(b, &t, "g2", GroupStart::Last).await?;
    b.group_create(&t, "g3", at("0")?, &GroupCreateOptions::new().entries_read(1))
        .await?;
    create(b, &t, "g4", at("2-1")?).await?;
    let info: Vec<_> = b
        .groups_info(&t)
        .await?
        .into_iter()
        .map(|g| (g.name, g.last_delivered_id.to_string(), g.entries_read, g.lag))
        .collect();
    ensure_eq!(
        info,
        vec![
            ("g1".to_owned(), "0-0".to_owned(), None, Some(3)),
            ("g2".to_owned(), "3-1".to_owned(), None, Some(0)),
            ("g3".to_owned(), "0-0".to_owned(), Some(1), Some(2)),
            ("g4".to_owned(), "2-1".to_owned(), None, None),
        ],
        "XINFO GROUPS (name, last-delivered-id, entries-read, lag)"
    );
    Ok(())
}

/// SETID moves the group to an id or to `$`, and sets entries-read to its ENTRIESREAD or forgets it (nil).
///
/// redis-cli: 3 entries `1-1 … 3-1`; `XGROUP CREATE k g1 0 ENTRIESREAD 2`; `XGROUP CREATE k g2 $`;
/// `XGROUP SETID k g2 1-1 ENTRIESREAD 1` → g2 1-1, entries-read 1, lag 2; `XGROUP SETID k g1 $` → g1 3-1,
/// entries-read nil, lag 0.
pub async fn setid_moves_the_group_and_sets_entries_read(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = topic("g")?;
    add_numbered(b, &t, 3).await?;
    b.group_create(&t, "g1", at("0")?, &GroupCreateOptions::new().entries_read(2))
        .await?;
    create(b, &t, "g2", GroupStart::Last).await?;
    b.group_set_id(&t, "g2", at("1-1")?, Some(1)).await?;
    b.group_set_id(&t, "g1", GroupStart::Last, None).await?;
    let info: Vec<_> = b
        .groups_info(&t)
        .await?
        .into_iter()
        .map(|g| (g.name, g.last_delivered_id, g.entries_read, g.lag))
        .collect();
    ensure_eq!(
        info,
        vec![
            ("g1".to_owned(), id(3, 1), None, Some(0)),
            ("g2".to_owned(), id(1, 1), Some(1), Some(2)),
        ],
        "XINFO GROUPS (name, last-delivered-id, entries-read, lag) after the SETIDs"
    );
    Ok(())
}

/// SETID, CREATECONSUMER and DELCONSUMER on an existing key but a missing group answer NOGROUP, naming both.
///
/// redis-cli: `XADD k 1-1 n 1`; `XGROUP SETID k nog 0`, `XGROUP CREATECONSUMER k nog c1` and
/// `XGROUP DELCONSUMER k nog c1` → each `NOGROUP No such consumer group 'nog' for key name 'k'`.
pub async fn xgroup_subcommands_name_a_missing_group(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = topic("g")?;
    add_numbered(b, &t, 1).await?;
    let message = "NOGROUP No such consumer group 'nog' for key name 'conformance:g'";
    let err = expect_err(b.group_set_id(&t, "nog", at("0")?, None).await, "XGROUP SETID k nog 0")?;
    ensure!(matches!(err, Error::NoGroup { .. }), "XGROUP SETID k nog 0: {err:?}");
    ensure_eq!(err.to_string(), message, "error of XGROUP SETID k nog 0");
    expect_error_text(
        b.consumer_create(&t, "nog", "c1").await,
        message,
        "XGROUP CREATECONSUMER k nog c1",
    )?;
    expect_error_text(
        b.consumer_delete(&t, "nog", "c1").await,
        message,
        "XGROUP DELCONSUMER k nog c1",
    )?;
    Ok(())
}

/// An ENTRIESREAD beyond a signed 64-bit integer is refused, and the refused SETID leaves the group alone.
///
/// redis-cli: `XADD k 1-1 n 1`; `XGROUP CREATE k g1 0`; `XGROUP SETID k g1 1-1 ENTRIESREAD 9223372036854775808` →
/// `ERR value is not an integer or out of range`; `XINFO GROUPS k` → g1 last-delivered-id 0-0.
pub async fn setid_rejects_entries_read_out_of_range(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = topic("g")?;
    add_numbered(b, &t, 1).await?;
    create(b, &t, "g1", at("0")?).await?;
    expect_error_text(
        b.group_set_id(&t, "g1", at("1-1")?, Some(1 << 63)).await,
        "ERR value is not an integer or out of range",
        "XGROUP SETID … ENTRIESREAD 2^63",
    )?;
    let info = b.groups_info(&t).await?;
    ensure_eq!(
        info.first().map(|g| g.last_delivered_id),
        Some(EntryId::MIN),
        "g1's position after the refused SETID"
    );
    Ok(())
}

/// CREATECONSUMER answers whether it created the consumer.
///
/// redis-cli: `XADD k 1-1 n 1`, `2-1 n 2`; `XGROUP CREATE k g 0`; `XGROUP CREATECONSUMER k g c1` → 1; again → 0.
pub async fn createconsumer_reports_whether_it_created(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = numbered_with_group(b, "c", 2).await?;
    ensure!(
        b.consumer_create(&t, "g", "c1").await?,
        "the first CREATECONSUMER answered 0"
    );
    ensure!(
        !b.consumer_create(&t, "g", "c1").await?,
        "the second CREATECONSUMER answered 1"
    );
    Ok(())
}

/// DELCONSUMER answers how many entries the consumer had pending, and those entries leave the group's pending
/// list with it.
///
/// redis-cli: `XADD k 1-1 n 1`, `2-1 n 2`; `XGROUP CREATE k g 0`; `XREADGROUP GROUP g c1 STREAMS k >`;
/// `XGROUP DELCONSUMER k g c1` → 2; `XPENDING k g` → 0; `XINFO CONSUMERS k g` → empty.
pub async fn delconsumer_drops_the_consumers_pending_entries(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = delivered_to_c1(b, "c", 2).await?;
    ensure_eq!(b.consumer_delete(&t, "g", "c1").await?, 2, "XGROUP DELCONSUMER k g c1");
    ensure_eq!(b.pending_summary(&t, "g").await?.count, 0, "XPENDING count after it");
    let consumers = b.consumers_info(&t, "g").await?;
    ensure!(consumers.is_empty(), "XINFO CONSUMERS after it: {consumers:?}");
    Ok(())
}

/// DELCONSUMER of a consumer the group does not have answers 0.
///
/// redis-cli: `XADD k 1-1 n 1`, `2-1 n 2`; `XGROUP CREATE k g 0`; `XGROUP DELCONSUMER k g nobody` → 0.
pub async fn delconsumer_of_an_unknown_consumer_answers_zero(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = numbered_with_group(b, "c", 2).await?;
    ensure_eq!(
        b.consumer_delete(&t, "g", "nobody").await?,
        0,
        "XGROUP DELCONSUMER k g nobody"
    );
    Ok(())
}

/// DESTROY answers whether the group existed, and removes it.
///
/// redis-cli: `XADD k 1-1 n 1`; `XGROUP CREATE k g4 0`; `XGROUP DESTROY k g4` → 1; again → 0; `XINFO GROUPS k` →
/// empty.
pub async fn destroy_reports_whether_the_group_existed(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = topic("g")?;
    add_numbered(b, &t, 1).await?;
    create(b, &t, "g4", at("0")?).await?;
    ensure!(b.group_destroy(&t, "g4").await?, "the first XGROUP DESTROY answered 0");
    ensure!(
        !b.group_destroy(&t, "g4").await?,
        "the second XGROUP DESTROY answered 1"
    );
    let groups = b.groups_info(&t).await?;
    ensure!(groups.is_empty(), "XINFO GROUPS after DESTROY: {groups:?}");
    Ok(())
}

/// The conditional consumer delete removes only consumers that own nothing and were idle long enough.
pub async fn idle_consumer_delete_spares_consumers_with_pending_entries(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("idle-consumers")?;
    fill(backend.as_ref(), &topic, 2).await?;
    group_at_zero(backend.as_ref(), &topic).await?;
    deliver_all(backend.as_ref(), &topic, "busy").await?;
    backend.consumer_create(&topic, "g", "quiet").await?;
    let outcome = backend
        .consumer_delete_if_idle(&topic, "g", "busy", Duration::ZERO)
        .await?;
    ensure_eq!(outcome, ConsumerDelete::HasPending(2), "a consumer owning entries");
    let outcome = backend.consumer_delete_if_idle(&topic, "g", "quiet", HOUR).await?;
    ensure!(
        matches!(outcome, ConsumerDelete::NotIdle(idle) if idle < HOUR),
        "a recent consumer: {outcome:?}"
    );
    let outcome = backend
        .consumer_delete_if_idle(&topic, "g", "quiet", Duration::ZERO)
        .await?;
    ensure_eq!(outcome, ConsumerDelete::Deleted, "an idle consumer owning nothing");
    let outcome = backend
        .consumer_delete_if_idle(&topic, "g", "quiet", Duration::ZERO)
        .await?;
    ensure_eq!(outcome, ConsumerDelete::NoSuchConsumer, "deleting it again");
    let names: Vec<String> = backend
        .consumers_info(&topic, "g")
        .await?
        .into_iter()
        .map(|c| c.name)
        .collect();
    ensure_eq!(names, vec!["busy".to_owned()], "consumers left");
    let missing = backend
        .consumer_delete_if_idle(&topic, "nope", "busy", Duration::ZERO)
        .await;
    let Err(err) = missing else {
        return Err(Failure("a missing group was not reported".into()));
    };
    ensure_eq!(
        err.to_string(),
        "NOGROUP No such consumer group 'nope' for key name 'conformance:idle-consumers'",
        "error for a missing group"
    );
    Ok(())
}

/// An ENTRIESREAD beyond a signed 64-bit integer is refused before the key is looked at: no group is created, and
/// MKSTREAM creates no key.
///
/// redis-cli: `XADD k 1-1 n 1`; `XGROUP CREATE k e 0 ENTRIESREAD 9223372036854775808` (or
/// 18446744073709551615) → `ERR value is not an integer or out of range`; `XINFO GROUPS k` → empty;
/// `XGROUP CREATE missing e 0 MKSTREAM ENTRIESREAD 9223372036854775808` → the same error; `EXISTS missing` → 0.
pub async fn create_rejects_entries_read_out_of_range(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let (t, missing) = (topic("create-range")?, topic("create-range-missing")?);
    add_numbered(b, &t, 1).await?;
    let message = "ERR value is not an integer or out of range";
    for entries_read in [1 << 63, u64::MAX] {
        let options = GroupCreateOptions::new().entries_read(entries_read);
        let what = format!("XGROUP CREATE k e 0 ENTRIESREAD {entries_read}");
        expect_error_text(b.group_create(&t, "e", at("0")?, &options).await, message, &what)?;
        let mk = options.mkstream();
        let what = format!("XGROUP CREATE missing e 0 MKSTREAM ENTRIESREAD {entries_read}");
        expect_error_text(b.group_create(&missing, "e", at("0")?, &mk).await, message, &what)?;
    }
    let groups = b.groups_info(&t).await?;
    ensure!(groups.is_empty(), "XINFO GROUPS after the refused creates: {groups:?}");
    ensure!(
        !exists(b, &missing).await?,
        "a refused XGROUP CREATE … MKSTREAM created the key"
    );
    Ok(())
}

/// A consumer CREATECONSUMER made is listed with nothing pending (and idle since its creation, well under an hour
/// on a real clock), and DELCONSUMER of it answers 0 and removes it.
///
/// redis-cli: `XADD k 1-1 n 1`; `XGROUP CREATE k g 0`; `XGROUP CREATECONSUMER k g c1`; `XINFO CONSUMERS k g` → c1
/// pending 0 idle 5; `XGROUP DELCONSUMER k g c1` → 0; `XINFO CONSUMERS k g` → empty.
pub async fn a_created_consumer_is_listed_with_nothing_pending(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = numbered_with_group(b, "created", 1).await?;
    b.consumer_create(&t, "g", "c1").await?;
    let consumers: Vec<_> = b
        .consumers_info(&t, "g")
        .await?
        .into_iter()
        .map(|c| (c.name, c.pending, c.idle < HOUR))
        .collect();
    ensure_eq!(
        consumers,
        vec![("c1".to_owned(), 0, true)],
        "XINFO CONSUMERS (name, pending, idle under an hour)"
    );
    ensure_eq!(b.consumer_delete(&t, "g", "c1").await?, 0, "XGROUP DELCONSUMER k g c1");
    let consumers = b.consumers_info(&t, "g").await?;
    ensure!(consumers.is_empty(), "XINFO CONSUMERS after DELCONSUMER: {consumers:?}");
    Ok(())
}
