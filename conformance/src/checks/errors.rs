//! The typed side of errors: each [`Error`] variant a backend returns carries the right fields (the topic under
//! the name it was given, never a backend's key; the group; the topic's last id; the command whose wording
//! applies), and [`Error::kind`] and [`Error::is_retryable`] classify it as `bus-core/src/error.rs` documents.
//! Every error here is a final answer of Redis's semantics (or, for the `Bus`'s cursor and envelope errors, of
//! what the backend answered), so none is retryable. `Display` is Redis's text as in the other families (the bus's
//! own for its errors); it is asserted beside the fields it is built from. Timeouts, connection failures and the other `Backend` errors are a
//! server's and are certified by bus-redis's own tests.

use std::sync::Arc;
use std::time::Duration;

use bus_core::{
    AppendOptions, AutoClaimOptions, Backend, ClaimOptions, EntryId, Error, GroupCommand, GroupCreateOptions,
    GroupCursor, GroupStart, PendingQuery, RangeBound, ReadGroupOptions, Topic, TopicCommand, Trim,
};

use super::support::*;
use crate::{CheckResult, Failure, ensure, ensure_eq};

/// Fails unless `err` reads `message`, is of kind `kind` and is not retryable.
fn ensure_classified(err: &Error, message: &str, kind: &str, what: &str) -> CheckResult {
    ensure_eq!(err.to_string(), message.to_owned(), "error of {what}");
    ensure_eq!(err.kind(), kind, "kind() of the error of {what}");
    ensure!(!err.is_retryable(), "the error of {what} is retryable: {err:?}");
    Ok(())
}

/// Fails unless `err` is the variant of kind `kind`, its `fields` (what the caller took from that variant, `None`
/// for another) are `expected`, it reads `message` and it is final.
fn ensure_typed<F: PartialEq + std::fmt::Debug>(
    err: &Error,
    fields: Option<F>,
    expected: F,
    message: &str,
    kind: &str,
    what: &str,
) -> CheckResult {
    let Some(fields) = fields else {
        return Err(Failure(format!("{what} failed with {err:?}; Redis answers {message}")));
    };
    ensure_eq!(fields, expected, "the fields of the {kind} error of {what}");
    ensure_classified(err, message, kind, what)
}

/// Fails unless the call failed with NOGROUP for `(topic, group, command)`, worded `message`.
fn ensure_no_group<T: std::fmt::Debug>(
    result: bus_core::Result<T>,
    (topic, group, command): (&Topic, &str, GroupCommand),
    message: &str,
    what: &str,
) -> CheckResult {
    let err = expect_err(result, what)?;
    let fields = match &err {
        Error::NoGroup { topic, group, command } => Some((topic.clone(), group.clone(), *command)),
        _ => None,
    };
    let expected = (topic.to_string(), group.to_owned(), command);
    ensure_typed(&err, fields, expected, message, "no_group", what)
}

/// Fails unless the call failed with "no such topic" for `(topic, command)`, worded `message`.
fn ensure_no_such_topic<T: std::fmt::Debug>(
    result: bus_core::Result<T>,
    (topic, command): (&Topic, TopicCommand),
    message: &str,
    what: &str,
) -> CheckResult {
    let err = expect_err(result, what)?;
    let fields = match &err {
        Error::NoSuchTopic { topic, command } => Some((topic.clone(), *command)),
        _ => None,
    };
    ensure_typed(
        &err,
        fields,
        (topic.to_string(), command),
        message,
        "no_such_topic",
        what,
    )
}

/// `XREADGROUP … STREAMS <topics> > >…` for group `g`, consumer `c`.
async fn read_new(
    backend: &dyn Backend,
    topics: &[&Topic],
    options: &ReadGroupOptions,
) -> bus_core::Result<bus_core::ReadReply<bus_core::GroupEntry>> {
    let cursors: Vec<(Topic, GroupCursor)> = topics.iter().map(|t| ((*t).clone(), GroupCursor::New)).collect();
    backend.read_group("g", "c", &cursors, options).await
}

/// Spawns a `XREADGROUP GROUP g c BLOCK 0 STREAMS <topics> > >…`, waiting for it to block.
async fn blocked_read_of(
    backend: &Arc<dyn Backend>,
    topics: &[&Topic],
) -> tokio::task::JoinHandle<bus_core::Result<()>> {
    let backend = backend.clone();
    let topics: Vec<Topic> = topics.iter().map(|t| (*t).clone()).collect();
    let reader = tokio::spawn(async move {
        let topics: Vec<&Topic> = topics.iter().collect();
        let options = ReadGroupOptions::new().block(Duration::ZERO);
        read_new(backend.as_ref(), &topics, &options).await.map(drop)
    });
    tokio::time::sleep(LET_BLOCK).await;
    reader
}

/// XREADGROUP's NOGROUP names the first topic of the read that lacks the group, with the group and the
/// XREADGROUP wording; the other topics do not matter.
///
/// redis-cli: `XADD has 1-1 n 1`; `XGROUP CREATE has g 0`; `XADD lacks 1-1 n 1`;
/// `XREADGROUP GROUP g c STREAMS has lacks > >` and `… STREAMS lacks has > >` → `NOGROUP No such key 'lacks' or
/// consumer group 'g' in XREADGROUP with GROUP option`; `… STREAMS missing lacks > >` names `missing`.
pub async fn no_group_of_xreadgroup_names_the_topic_lacking_the_group(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let (has, lacks, missing) = (topic("has")?, topic("lacks")?, topic("missing")?);
    fill(b, &has, 1).await?;
    group_at_zero(b, &has).await?;
    fill(b, &lacks, 1).await?;
    let options = ReadGroupOptions::new();
    for (topics, named) in [
        ([&has, &lacks], &lacks),
        ([&lacks, &has], &lacks),
        ([&missing, &lacks], &missing),
    ] {
        let what = format!("XREADGROUP GROUP g c STREAMS {} {} > >", topics[0], topics[1]);
        let message = format!("NOGROUP No such key '{named}' or consumer group 'g' in XREADGROUP with GROUP option");
        let result = read_new(b, &topics, &options).await;
        ensure_no_group(result, (named, "g", GroupCommand::ReadGroup), &message, &what)?;
    }
    Ok(())
}

/// XPENDING, XCLAIM and XAUTOCLAIM answer NOGROUP in their shared wording, naming the topic and the group, for a
/// missing group and for a missing topic alike.
///
/// redis-cli: `XADD k 1-1 n 1`; `XPENDING k nog`, `XPENDING k nog - + 10`, `XCLAIM k nog c 0 1-1` and
/// `XAUTOCLAIM k nog c 0 0` → `NOGROUP No such key 'k' or consumer group 'nog'`; the same on a missing key name
/// it.
pub async fn no_group_of_the_pending_commands_names_topic_and_group(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let (existing, missing) = (topic("pending-nogroup")?, topic("pending-nokey")?);
    fill(b, &existing, 1).await?;
    for t in [&existing, &missing] {
        let message = format!("NOGROUP No such key '{t}' or consumer group 'nog'");
        let expected = (t, "nog", GroupCommand::Pending);
        let summary = b.pending_summary(t, "nog").await;
        ensure_no_group(summary, expected, &message, &format!("XPENDING {t} nog"))?;
        let listed = b.pending(t, "nog", &PendingQuery::all(10)).await;
        ensure_no_group(listed, expected, &message, &format!("XPENDING {t} nog - + 10"))?;
        let claimed = b
            .claim(t, "nog", "c", Duration::ZERO, &[id(1, 0)], &ClaimOptions::new())
            .await;
        ensure_no_group(claimed, expected, &message, &format!("XCLAIM {t} nog c 0 1-0"))?;
        let options = AutoClaimOptions::new();
        let auto = b
            .auto_claim(t, "nog", "c", Duration::ZERO, RangeBound::MIN, &options)
            .await;
        ensure_no_group(auto, expected, &message, &format!("XAUTOCLAIM {t} nog c 0 0"))?;
    }
    Ok(())
}

/// XGROUP SETID, CREATECONSUMER and DELCONSUMER, XINFO CONSUMERS and the idle-consumer delete answer NOGROUP in
/// the admin wording, naming the topic and the group.
///
/// redis-cli: `XADD k 1-1 n 1`; `XGROUP SETID k nog 0`, `XGROUP CREATECONSUMER k nog c`, `XGROUP DELCONSUMER k nog
/// c` and `XINFO CONSUMERS k nog` → `NOGROUP No such consumer group 'nog' for key name 'k'`.
pub async fn no_group_of_the_admin_commands_names_topic_and_group(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = topic("admin-nogroup")?;
    fill(b, &t, 1).await?;
    let message = format!("NOGROUP No such consumer group 'nog' for key name '{t}'");
    let expected = (&t, "nog", GroupCommand::Admin);
    let start = GroupStart::Id(EntryId::MIN);
    ensure_no_group(
        b.group_set_id(&t, "nog", start, None).await,
        expected,
        &message,
        "XGROUP SETID",
    )?;
    let created = b.consumer_create(&t, "nog", "c").await;
    ensure_no_group(created, expected, &message, "XGROUP CREATECONSUMER")?;
    let deleted = b.consumer_delete(&t, "nog", "c").await;
    ensure_no_group(deleted, expected, &message, "XGROUP DELCONSUMER")?;
    ensure_no_group(b.consumers_info(&t, "nog").await, expected, &message, "XINFO CONSUMERS")?;
    let idle = b.consumer_delete_if_idle(&t, "nog", "c", Duration::ZERO).await;
    ensure_no_group(idle, expected, &message, "the idle-consumer delete")
}

/// A reader blocked on a group that is destroyed gets NOGROUP in the blocked wording, naming the group and the
/// topic whose group went away, also when it was blocked on several topics.
///
/// redis-cli: `XGROUP CREATE a g $ MKSTREAM`, `XGROUP CREATE b g $ MKSTREAM`; `XREADGROUP GROUP g c BLOCK 0
/// STREAMS a b > >` in the background; `XGROUP DESTROY b g` → the reader gets `NOGROUP the consumer group this
/// client was blocked on no longer exists`.
pub async fn no_group_of_a_destroyed_group_names_the_topic_of_the_blocked_read(
    backend: Arc<dyn Backend>,
) -> CheckResult {
    let b = backend.as_ref();
    let (a, t) = (topic("destroyed-a")?, topic("destroyed-b")?);
    for topics in [vec![&t], vec![&a, &t]] {
        for each in &topics {
            let mk = GroupCreateOptions::new().mkstream();
            b.group_create(each, "g", GroupStart::Last, &mk).await?;
        }
        let what = format!(
            "XREADGROUP BLOCK 0 on {} topics, then XGROUP DESTROY {t} g",
            topics.len()
        );
        let reader = blocked_read_of(&backend, &topics).await;
        ensure!(b.group_destroy(&t, "g").await?, "XGROUP DESTROY {t} g answered 0");
        let message = "NOGROUP the consumer group this client was blocked on no longer exists";
        ensure_no_group(
            released(reader, &what).await?,
            (&t, "g", GroupCommand::Blocked),
            message,
            &what,
        )?;
        for each in &topics {
            b.drop_topic(each).await?;
        }
    }
    Ok(())
}

/// BUSYGROUP names the topic and the group that exists, with or without MKSTREAM.
///
/// redis-cli: `XGROUP CREATE k g $ MKSTREAM`; `XGROUP CREATE k g 0` and `XGROUP CREATE k g 0 MKSTREAM` →
/// `BUSYGROUP Consumer Group name already exists`.
pub async fn group_exists_names_the_topic_and_the_group(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = topic("busygroup")?;
    let mk = GroupCreateOptions::new().mkstream();
    b.group_create(&t, "g", GroupStart::Last, &mk).await?;
    for options in [GroupCreateOptions::new(), mk] {
        let what = format!("XGROUP CREATE of an existing group ({options:?})");
        let err = expect_err(
            b.group_create(&t, "g", GroupStart::Id(EntryId::MIN), &options).await,
            &what,
        )?;
        let fields = match &err {
            Error::GroupExists { topic, group } => Some((topic.clone(), group.clone())),
            _ => None,
        };
        let expected = (t.to_string(), "g".to_owned());
        let message = "BUSYGROUP Consumer Group name already exists";
        ensure_typed(&err, fields, expected, message, "group_exists", &what)?;
    }
    Ok(())
}

/// Fails unless the call failed because its explicit id is not above `last_id`, the top of `topic`.
fn ensure_id_not_greater<T: std::fmt::Debug>(
    result: bus_core::Result<T>,
    topic: &Topic,
    last_id: EntryId,
    what: &str,
) -> CheckResult {
    let err = expect_err(result, what)?;
    let fields = match &err {
        Error::IdNotGreater { topic, last_id } => Some((topic.clone(), *last_id)),
        _ => None,
    };
    let message = "ERR The ID specified in XADD is equal or smaller than the target stream top item";
    ensure_typed(
        &err,
        fields,
        (topic.to_string(), last_id),
        message,
        "id_not_greater",
        what,
    )
}

/// An explicit id at or below the top fails naming the topic and its last generated id, whether appended,
/// published or published in a batch (where the first message takes the id and the second fails).
///
/// redis-cli: `XADD k 5-1 n 1`, `XADD k 7-1 n 2`; `XDEL k 7-1`; `XADD k 6-1 f v` → `ERR The ID specified in XADD
/// is equal or smaller than the target stream top item`; XINFO STREAM last-generated-id 7-1.
pub async fn id_not_greater_names_the_topic_and_its_last_id(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = topic("not-greater")?;
    add(b, &t, "5-1", fields(1)).await?;
    add(b, &t, "7-1", fields(2)).await?;
    b.delete(&t, &[id(7, 1)]).await?;
    let at_6 = AppendOptions::new().id(id(6, 1));
    ensure_id_not_greater(b.append(&t, fields(3), &at_6).await, &t, id(7, 1), "XADD 6-1")?;
    let published = b.publish(&t, &message(1)?, &at_6).await;
    ensure_id_not_greater(published, &t, id(7, 1), "publish at 6-1")?;
    let fresh = topic("not-greater-batch")?;
    let batch = [message(2)?, message(3)?];
    let at_5 = AppendOptions::new().id(id(5, 1));
    let published = b.publish_batch(&fresh, &batch, &at_5).await;
    ensure_id_not_greater(published, &fresh, id(5, 1), "publish_batch of two messages at 5-1")
}

/// A topic whose last id is the maximum refuses every append naming it, appended or published.
///
/// redis-cli: `XADD k 18446744073709551615-18446744073709551615 f v`; `XADD k * f v` → `ERR The stream has
/// exhausted the last possible ID, unable to add more items`.
pub async fn id_exhausted_names_the_topic(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = topic("exhausted")?;
    b.append(&t, fields(1), &AppendOptions::new().id(EntryId::MAX)).await?;
    let results = [
        (b.append(&t, fields(2), &AppendOptions::new()).await.map(drop), "XADD *"),
        (
            b.publish(&t, &message(1)?, &AppendOptions::new()).await.map(drop),
            "publish",
        ),
    ];
    for (result, what) in results {
        let err = expect_err(result, what)?;
        let named = match &err {
            Error::IdExhausted { topic } => Some(topic.clone()),
            _ => None,
        };
        let text = "ERR The stream has exhausted the last possible ID, unable to add more items";
        ensure_typed(&err, named, t.to_string(), text, "id_exhausted", what)?;
    }
    Ok(())
}

/// XINFO STREAM, GROUPS and CONSUMERS and the idle-consumer delete of a missing key fail naming the topic, in
/// XINFO's wording.
///
/// redis-cli: `XINFO STREAM missing`, `XINFO GROUPS missing`, `XINFO CONSUMERS missing g` → `ERR no such key`.
pub async fn no_such_topic_of_xinfo_names_the_topic(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = topic("xinfo-nokey")?;
    let expected = (&t, TopicCommand::Info);
    let message = "ERR no such key";
    ensure_no_such_topic(b.stream_info(&t).await, expected, message, "XINFO STREAM")?;
    ensure_no_such_topic(b.groups_info(&t).await, expected, message, "XINFO GROUPS")?;
    ensure_no_such_topic(b.consumers_info(&t, "g").await, expected, message, "XINFO CONSUMERS")?;
    let idle = b.consumer_delete_if_idle(&t, "g", "c", Duration::ZERO).await;
    ensure_no_such_topic(idle, expected, message, "the idle-consumer delete")
}

/// Every XGROUP subcommand on a missing key fails naming the topic, in XGROUP's wording.
///
/// redis-cli: `XGROUP CREATE missing g $`, `XGROUP SETID missing g 0`, `XGROUP CREATECONSUMER missing g c`,
/// `XGROUP DELCONSUMER missing g c` and `XGROUP DESTROY missing g` → `ERR The XGROUP subcommand requires the key
/// to exist. …`.
pub async fn no_such_topic_of_xgroup_names_the_topic(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = topic("xgroup-nokey")?;
    let expected = (&t, TopicCommand::Group);
    let message = "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.";
    let created = b
        .group_create(&t, "g", GroupStart::Last, &GroupCreateOptions::new())
        .await;
    ensure_no_such_topic(created, expected, message, "XGROUP CREATE")?;
    let moved = b.group_set_id(&t, "g", GroupStart::Id(EntryId::MIN), None).await;
    ensure_no_such_topic(moved, expected, message, "XGROUP SETID")?;
    let consumer = b.consumer_create(&t, "g", "c").await;
    ensure_no_such_topic(consumer, expected, message, "XGROUP CREATECONSUMER")?;
    let deleted = b.consumer_delete(&t, "g", "c").await;
    ensure_no_such_topic(deleted, expected, message, "XGROUP DELCONSUMER")?;
    ensure_no_such_topic(b.group_destroy(&t, "g").await, expected, message, "XGROUP DESTROY")
}

/// A reader blocked on a group whose topic is deleted fails naming that topic, also when it was blocked on
/// several.
///
/// redis-cli: `XGROUP CREATE a g $ MKSTREAM`, `XGROUP CREATE b g $ MKSTREAM`; `XREADGROUP GROUP g c BLOCK 0
/// STREAMS a b > >` in the background; `DEL b` → the reader gets `UNBLOCKED the stream key no longer exists`.
pub async fn topic_deleted_names_the_deleted_topic(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let (a, t) = (topic("deleted-a")?, topic("deleted-b")?);
    for topics in [vec![&t], vec![&a, &t]] {
        for each in &topics {
            let mk = GroupCreateOptions::new().mkstream();
            b.group_create(each, "g", GroupStart::Last, &mk).await?;
        }
        let what = format!("XREADGROUP BLOCK 0 on {} topics, then DEL {t}", topics.len());
        let reader = blocked_read_of(&backend, &topics).await;
        ensure!(b.drop_topic(&t).await?, "DEL {t} answered 0");
        let err = expect_err(released(reader, &what).await?, &what)?;
        let named = match &err {
            Error::TopicDeleted { topic } => Some(topic.clone()),
            _ => None,
        };
        let message = "UNBLOCKED the stream key no longer exists";
        ensure_typed(&err, named, t.to_string(), message, "topic_deleted", &what)?;
        b.drop_topic(&a).await?;
    }
    Ok(())
}

/// Arguments Redis refuses with a plain `ERR` are invalid arguments: interval bounds past the id space, LIMIT
/// without `~`, XDEL of no id.
///
/// redis-cli: `XRANGE k (18446744073709551615-18446744073709551615 +` → `ERR invalid start ID for the interval`;
/// `XTRIM k MAXLEN 1 LIMIT 5` → `ERR syntax error, LIMIT cannot be used without the special ~ option`; `XDEL k` →
/// `ERR wrong number of arguments for 'xdel' command`.
pub async fn refused_arguments_are_invalid_arguments(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = topic("invalid-arguments")?;
    fill(b, &t, 1).await?;
    let results = [
        (
            b.range(&t, RangeBound::Exclusive(EntryId::MAX), RangeBound::MAX, None)
                .await
                .map(drop),
            "ERR invalid start ID for the interval",
            "XRANGE k (<max id> +",
        ),
        (
            b.trim(&t, &Trim::maxlen(1).limit(5)).await.map(drop),
            "ERR syntax error, LIMIT cannot be used without the special ~ option",
            "XTRIM k MAXLEN 1 LIMIT 5",
        ),
        (
            b.delete(&t, &[]).await.map(drop),
            "ERR wrong number of arguments for 'xdel' command",
            "XDEL k",
        ),
    ];
    for (result, message, what) in results {
        let err = expect_err(result, what)?;
        ensure!(
            matches!(err, Error::InvalidArgument { .. }),
            "{what} failed with {err:?}, not InvalidArgument"
        );
        ensure_classified(&err, message, "invalid_argument", what)?;
    }
    Ok(())
}

/// The errors the `Bus` raises over a backend's answers name the topic as it was given and what was looked for,
/// and are final: a message cursor no entry holds is `UnknownCursor` (topic, UUID); an entry cursor trimmed away
/// is `CursorTrimmed` (topic, cursor, oldest entry left); an entry taken as a message is `Malformed` (topic, entry
/// id, reason) when it lacks the envelope (a foreign producer's `XADD k 5-1 other x`) or was deleted while
/// pending (a history read's nil fields).
pub async fn bus_errors_name_the_topic_and_what_was_looked_for(backend: Arc<dyn Backend>) -> CheckResult {
    let b = backend.as_ref();
    let t = topic("bus-errors")?;
    let bus = bus_core::Bus::from_arc(backend.clone());
    for n in 1..=4 {
        let options = AppendOptions::new().id(id(n, 1));
        bus.publish_message_with(&t, &message(n)?, &options).await?;
    }
    add(b, &t, "5-1", pairs(&[("other", "x")])).await?;

    let stranger = bus_core::Uuid::new_v4();
    let what = "read_after a UUID no entry holds";
    let err = expect_err(
        bus.read_after(&t, bus_core::Cursor::Message(stranger), None).await,
        what,
    )?;
    let fields = match &err {
        Error::UnknownCursor { topic, uuid } => Some((topic.clone(), *uuid)),
        _ => None,
    };
    let text = format!("unknown cursor: topic '{t}' holds no entry with message id {stranger}");
    ensure_typed(&err, fields, (t.to_string(), stranger), &text, "unknown_cursor", what)?;

    ensure_eq!(b.trim(&t, &Trim::maxlen(2)).await?, 3, "XTRIM MAXLEN 2 of five entries");
    let what = "read_after 1-1 once trimmed away";
    let err = expect_err(bus.read_after(&t, bus_core::Cursor::Entry(id(1, 1)), None).await, what)?;
    let fields = match &err {
        Error::CursorTrimmed { topic, cursor, oldest } => Some((topic.clone(), *cursor, *oldest)),
        _ => None,
    };
    let text = format!("cursor 1-1 on topic '{t}' was trimmed away (oldest entry now: 4-1)");
    let expected = (t.to_string(), id(1, 1), Some(id(4, 1)));
    ensure_typed(&err, fields, expected, &text, "cursor_trimmed", what)?;

    let foreign = bus.tail(&t, 1).await?.into_iter().next();
    let foreign = foreign.ok_or_else(|| Failure("tail 1 of a topic holding 4-1 and 5-1 is empty".into()))?;
    let reason = "missing field 'id'";
    let deleted = "the entry was deleted from the stream after delivery";
    group_at_zero(b, &t).await?;
    deliver_all(b, &t, "c").await?;
    b.delete(&t, &[id(4, 1)]).await?;
    let gone = history(b, &t, EntryId::MIN).await?.into_iter().next();
    let gone = gone.ok_or_else(|| Failure("the history read of c after XDEL 4-1 is empty".into()))?;
    for (received, entry_id, reason, what) in [
        (foreign, id(5, 1), reason, "the foreign entry 5-1 taken as a message"),
        (
            bus_core::Received::from_group_entry(gone),
            id(4, 1),
            deleted,
            "the pending entry 4-1, deleted, taken as a message",
        ),
    ] {
        let err = expect_err(received.into_message(&t), what)?;
        let fields = match &err {
            Error::Malformed {
                topic,
                entry_id,
                reason,
            } => Some((topic.clone(), *entry_id, reason.to_string())),
            _ => None,
        };
        let text = format!("malformed entry {entry_id} on topic '{t}': {reason}");
        let expected = (t.to_string(), entry_id, reason.to_owned());
        ensure_typed(&err, fields, expected, &text, "malformed", what)?;
    }
    Ok(())
}
