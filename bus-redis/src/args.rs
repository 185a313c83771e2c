//! How bus-core's arguments and option types are written as Redis command arguments.
//!
//! The same arguments travel two ways: as a command of their own (`XADD key MAXLEN = 10 * …`) and as the
//! `ARGV` of an index script, which passes them on to the XADD or XTRIM it runs (see [`crate::scripts`]).
//! Writing them in one place keeps both ways byte for byte the same, so the scripts accept exactly what
//! the commands accept and Redis answers both with the same errors. The writers that serve both ways take a
//! `push` callback, called once per argument; the others build a whole [`Cmd`].
//!
//! Option types arrive validated (bus-core's `validate` methods run first), so nothing here checks them.

use std::fmt::Display;
use std::time::Duration;

use bus_core::message::{ID_FIELD, PAYLOAD_FIELD};
use bus_core::{
    AppendOptions, AutoClaimOptions, ClaimOptions, EntryId, Fields, GroupCursor, Message, PendingQuery, RangeBound,
    ReadCursor, ReadGroupOptions, Topic, Trim, TrimStrategy,
};
use redis::Cmd;
use uuid::Uuid;

use crate::keys;

/// Milliseconds of a duration for a Redis argument, saturating.
pub(crate) fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// `BLOCK` milliseconds of a duration: rounded up, at least 1 (0 would block forever).
pub(crate) fn block_ms(duration: Duration) -> u64 {
    let ms = millis(duration);
    let ms = if Duration::from_millis(ms) < duration {
        ms.saturating_add(1)
    } else {
        ms
    };
    ms.max(1)
}

/// Writes the trim arguments (`MAXLEN|MINID =|~ threshold [LIMIT n]`) through `push`.
pub(crate) fn push_trim(trim: &Trim, push: &mut impl FnMut(&[u8])) {
    let (name, threshold) = match trim.strategy {
        TrimStrategy::MaxLen(len) => ("MAXLEN", len.to_string()),
        TrimStrategy::MinId(id) => ("MINID", id.to_string()),
    };
    push(name.as_bytes());
    push(if trim.approx { b"~" } else { b"=" });
    push(threshold.as_bytes());
    if let Some(limit) = trim.limit {
        push(b"LIMIT");
        push(limit.to_string().as_bytes());
    }
}

/// Writes the arguments of XADD between the key and the fields (`[NOMKSTREAM] [trim] id`) through `push`.
fn push_xadd_head(options: &AppendOptions, push: &mut impl FnMut(&[u8])) {
    if options.no_mkstream {
        push(b"NOMKSTREAM");
    }
    if let Some(trim) = &options.trim {
        push_trim(trim, push);
    }
    push(options.id.to_string().as_bytes());
}

/// Writes the arguments of XADD after the key through `push`, field values without an intermediate copy.
pub(crate) fn push_xadd(options: &AppendOptions, fields: &Fields, push: &mut impl FnMut(&[u8])) {
    push_xadd_head(options, push);
    for (name, value) in fields.iter() {
        push(name);
        push(value);
    }
}

/// XADD of raw fields.
pub(crate) fn xadd(key: &str, fields: &Fields, options: &AppendOptions) -> Cmd {
    let mut cmd = redis::cmd("XADD");
    cmd.arg(key);
    push_xadd(options, fields, &mut |arg| {
        cmd.arg(arg);
    });
    cmd
}

/// XADD of a message's envelope (`id` = canonical UUID text, `payload` = JSON) and its headers, written straight
/// from the message: the same command as XADD of [`Message::to_fields`], without building the fields first.
pub(crate) fn xadd_message(key: &str, message: &Message, options: &AppendOptions) -> Cmd {
    let mut cmd = redis::cmd("XADD");
    cmd.arg(key);
    push_xadd_head(options, &mut |arg| {
        cmd.arg(arg);
    });
    let mut uuid = Uuid::encode_buffer();
    cmd.arg(ID_FIELD)
        .arg(message.id().hyphenated().encode_lower(&mut uuid).as_bytes())
        .arg(PAYLOAD_FIELD)
        .arg(message.payload());
    for (name, value) in message.headers() {
        cmd.arg(name).arg(value);
    }
    cmd
}

/// `XRANGE key from to [COUNT n]`, or the same for `XREVRANGE` (which takes the end first).
pub(crate) fn range(command: &str, key: &str, from: impl Display, to: impl Display, count: Option<u64>) -> Cmd {
    let mut cmd = redis::cmd(command);
    cmd.arg(key).arg(from.to_string()).arg(to.to_string());
    if let Some(count) = count {
        cmd.arg("COUNT").arg(count);
    }
    cmd
}

/// `[COUNT n] [BLOCK ms]`, in that order (XREAD and XREADGROUP).
fn push_count_block(cmd: &mut Cmd, count: Option<u64>, block_ms: Option<u64>) {
    if let Some(count) = count {
        cmd.arg("COUNT").arg(count);
    }
    if let Some(ms) = block_ms {
        cmd.arg("BLOCK").arg(ms);
    }
}

/// `STREAMS key… id…` of a multi-topic read.
fn push_streams<C: Display>(cmd: &mut Cmd, prefix: &str, cursors: &[(Topic, C)]) {
    cmd.arg("STREAMS");
    for (topic, _) in cursors {
        cmd.arg(keys::stream(prefix, topic.as_str()));
    }
    for (_, cursor) in cursors {
        cmd.arg(cursor.to_string());
    }
}

/// `XREAD [COUNT n] [BLOCK ms] STREAMS key… id…`.
pub(crate) fn xread(prefix: &str, cursors: &[(Topic, ReadCursor)], count: Option<u64>, block_ms: Option<u64>) -> Cmd {
    let mut cmd = redis::cmd("XREAD");
    push_count_block(&mut cmd, count, block_ms);
    push_streams(&mut cmd, prefix, cursors);
    cmd
}

/// `XREADGROUP GROUP group consumer [COUNT n] [BLOCK ms] [NOACK] STREAMS key… id…`.
pub(crate) fn xreadgroup(
    prefix: &str,
    group: &str,
    consumer: &str,
    cursors: &[(Topic, GroupCursor)],
    options: &ReadGroupOptions,
    block_ms: Option<u64>,
) -> Cmd {
    let mut cmd = redis::cmd("XREADGROUP");
    cmd.arg("GROUP").arg(group).arg(consumer);
    push_count_block(&mut cmd, options.count, block_ms);
    if options.no_ack {
        cmd.arg("NOACK");
    }
    push_streams(&mut cmd, prefix, cursors);
    cmd
}

/// `XGROUP CREATE|SETID key group id [MKSTREAM] [ENTRIESREAD n]`.
pub(crate) fn xgroup_position(
    subcommand: &str,
    key: &str,
    group: &str,
    id: impl Display,
    mkstream: bool,
    entries_read: Option<u64>,
) -> Cmd {
    let mut cmd = redis::cmd("XGROUP");
    cmd.arg(subcommand).arg(key).arg(group).arg(id.to_string());
    if mkstream {
        cmd.arg("MKSTREAM");
    }
    if let Some(entries_read) = entries_read {
        cmd.arg("ENTRIESREAD").arg(entries_read);
    }
    cmd
}

/// `XPENDING key group [IDLE ms] start end count [consumer]`.
pub(crate) fn xpending(key: &str, group: &str, query: &PendingQuery) -> Cmd {
    let mut cmd = redis::cmd("XPENDING");
    cmd.arg(key).arg(group);
    if let Some(idle) = query.min_idle {
        cmd.arg("IDLE").arg(millis(idle));
    }
    cmd.arg(query.start.to_string())
        .arg(query.end.to_string())
        .arg(query.count);
    if let Some(consumer) = &query.consumer {
        cmd.arg(consumer.as_str());
    }
    cmd
}

/// `XCLAIM key group consumer min-idle id… [IDLE ms] [TIME ms] [RETRYCOUNT n] [FORCE] [JUSTID] [LASTID id]`.
pub(crate) fn xclaim(
    key: &str,
    group: &str,
    consumer: &str,
    min_idle: Duration,
    ids: &[EntryId],
    options: &ClaimOptions,
) -> Cmd {
    let mut cmd = redis::cmd("XCLAIM");
    cmd.arg(key).arg(group).arg(consumer).arg(millis(min_idle));
    for id in ids {
        cmd.arg(id.to_string());
    }
    if let Some(idle) = options.idle {
        cmd.arg("IDLE").arg(millis(idle));
    }
    if let Some(time) = options.time {
        cmd.arg("TIME").arg(time);
    }
    if let Some(count) = options.retry_count {
        cmd.arg("RETRYCOUNT").arg(count);
    }
    if options.force {
        cmd.arg("FORCE");
    }
    if options.just_id {
        cmd.arg("JUSTID");
    }
    if let Some(last_id) = options.last_id {
        cmd.arg("LASTID").arg(last_id.to_string());
    }
    cmd
}

/// `XAUTOCLAIM key group consumer min-idle start COUNT n [JUSTID]`.
pub(crate) fn xautoclaim(
    key: &str,
    group: &str,
    consumer: &str,
    min_idle: Duration,
    start: RangeBound,
    options: &AutoClaimOptions,
) -> Cmd {
    let mut cmd = redis::cmd("XAUTOCLAIM");
    cmd.arg(key)
        .arg(group)
        .arg(consumer)
        .arg(millis(min_idle))
        .arg(start.to_string())
        .arg("COUNT")
        .arg(options.count);
    if options.just_id {
        cmd.arg("JUSTID");
    }
    cmd
}

/// A command followed by a list of entry ids (`XACK key group id…`, `XDEL key id…`).
pub(crate) fn with_ids(mut cmd: Cmd, ids: &[EntryId]) -> Cmd {
    for id in ids {
        cmd.arg(id.to_string());
    }
    cmd
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(cmd: &Cmd) -> Vec<String> {
        cmd.args_iter()
            .map(|arg| match arg {
                redis::Arg::Simple(bytes) => String::from_utf8_lossy(bytes).into_owned(),
                _ => "<not a plain argument>".to_owned(),
            })
            .collect()
    }

    #[test]
    fn block_is_rounded_up_and_never_zero() {
        assert_eq!(block_ms(Duration::from_micros(10)), 1);
        assert_eq!(block_ms(Duration::from_micros(1500)), 2);
        assert_eq!(block_ms(Duration::from_millis(7)), 7);
    }

    #[test]
    fn a_message_is_written_as_its_fields() {
        let plain = Message::from_json(Uuid::new_v4(), r#"{"a":1}"#).unwrap();
        let with_headers = plain.clone().with_header("traceparent", "00-x-y-01").unwrap();
        let options = AppendOptions::new().trim(Trim::maxlen(10));
        for message in [plain, with_headers] {
            assert_eq!(
                xadd_message("k", &message, &options).get_packed_command(),
                xadd("k", &message.to_fields(), &options).get_packed_command()
            );
        }
    }

    #[test]
    fn xadd_arguments() {
        let options = AppendOptions::new()
            .no_mkstream()
            .trim(Trim::maxlen(10).approx().limit(5))
            .id(EntryId::new(5, 1));
        let mut text = Vec::new();
        push_xadd(&options, &Fields::from_pairs([("a", "1")]), &mut |arg| {
            text.push(String::from_utf8_lossy(arg).into_owned());
        });
        assert_eq!(text, ["NOMKSTREAM", "MAXLEN", "~", "10", "LIMIT", "5", "5-1", "a", "1"]);
    }

    #[test]
    fn reads_put_their_options_before_the_streams() {
        let cursors = [
            (Topic::new("a").unwrap(), GroupCursor::New),
            (Topic::new("b").unwrap(), GroupCursor::New),
        ];
        let options = ReadGroupOptions::new().count(3).no_ack();
        assert_eq!(
            words(&xreadgroup("p:", "g", "c", &cursors, &options, Some(5))),
            [
                "XREADGROUP",
                "GROUP",
                "g",
                "c",
                "COUNT",
                "3",
                "BLOCK",
                "5",
                "NOACK",
                "STREAMS",
                "p:a",
                "p:b",
                ">",
                ">"
            ]
        );
        let cursors = [(Topic::new("a").unwrap(), ReadCursor::New)];
        assert_eq!(
            words(&xread("", &cursors, None, Some(1))),
            ["XREAD", "BLOCK", "1", "STREAMS", "a", "$"]
        );
    }
}
