//! What the stream commands share: Redis 7.0's parser of XADD's and XTRIM's options
//! (`streamParseAddOrTrimArgsOrReply`, same order of checks and texts), id and interval arguments, the lookups
//! of a stream key and a group in Redis's order (missing, WRONGTYPE, no such group), and the reply shape of
//! entries.

use bus_core::{AppendId, Backend, Entry, EntryId, GroupEntry, RangeBound, ReadReply, Topic, Trim};
use bus_memory::{KeyType, MemoryBackend};
use bytes::Bytes;

use crate::command::{CommandSpec, Handler, c_str, doc, existing_topic, integer, is, syntax_error};
use crate::resp::Reply;

/// The options of XADD (`xadd`) or XTRIM, and where XADD's id is.
#[derive(Debug)]
pub(crate) struct AddTrimArgs {
    pub(crate) trim: Option<Trim>,
    pub(crate) no_mkstream: bool,
    pub(crate) id: AppendId,
    /// The index of the id argument (XADD); the fields follow it.
    pub(crate) id_index: usize,
}

fn error(text: &str) -> Reply {
    Reply::error(format!("ERR {text}"))
}

/// The argument as text for bus-core's id parsers (bytes that are not UTF-8 are no id).
pub(crate) fn utf8(arg: &[u8]) -> Result<&str, Reply> {
    std::str::from_utf8(arg).map_err(|_| Reply::from(bus_core::Error::invalid_id()))
}

/// A strict id (`ms` or `ms-seq`; no `-`, `+`, `*`), as `streamParseStrictIDOrReply` reads it.
pub(crate) fn strict_id(arg: &[u8]) -> Result<EntryId, Reply> {
    Ok(EntryId::parse_strict(utf8(arg)?, 0)?)
}

/// The HELP subcommand of XGROUP and XINFO.
pub(crate) const fn help_subcommand(run: Handler) -> CommandSpec {
    CommandSpec::new(
        "help",
        2,
        &["loading", "stale"],
        &["@stream", "@slow"],
        doc(
            "Show helpful text about the different subcommands",
            "5.0.0",
            "stream",
            "O(1)",
        ),
        run,
    )
}

/// An interval bound (`-`, `+`, `ms[-seq]` or `(ms[-seq]`), as `streamParseIntervalIDOrReply` reads it, with
/// the exclusive form resolved as Redis does right after parsing (`invalid start ID for the interval`).
pub(crate) fn interval(arg: &[u8], start: bool) -> Result<RangeBound, Reply> {
    let text = utf8(arg)?;
    let parsed = if start {
        RangeBound::parse_start(text)
    } else {
        RangeBound::parse_end(text)
    }?;
    if start {
        parsed.resolve_start()?;
    } else {
        parsed.resolve_end()?;
    }
    Ok(parsed)
}

/// The stream at a key argument: `None` when the key is missing (or cannot be named here), `WRONGTYPE` when it
/// holds another type, as Redis's `lookupKey` followed by `checkType`.
pub(crate) fn stream_key(db: &MemoryBackend, arg: &[u8]) -> Result<Option<Topic>, Reply> {
    let Some(topic) = existing_topic(arg) else {
        return Ok(None);
    };
    match db.key_type(&topic) {
        None => Ok(None),
        Some(KeyType::Stream) => Ok(Some(topic)),
        Some(_) => Err(Reply::from(bus_core::Error::WrongType {
            topic: topic.as_str().to_owned(),
        })),
    }
}

/// Whether the stream has a group of this name (a name that is not UTF-8 names none).
pub(crate) async fn has_group(db: &MemoryBackend, topic: &Topic, group: &[u8]) -> Result<bool, Reply> {
    let Ok(group) = std::str::from_utf8(group) else {
        return Ok(false);
    };
    Ok(db.groups_info(topic).await?.iter().any(|info| info.name == group))
}

/// The stream at `key` if it has the group, else `NOGROUP No such key '<key>' or consumer group '<group>'`
/// followed by `suffix` (XPENDING, XCLAIM, XAUTOCLAIM; XREADGROUP adds its own words).
pub(crate) async fn stream_with_group(
    db: &MemoryBackend,
    key: &[u8],
    group: &[u8],
    suffix: &str,
) -> Result<Topic, Reply> {
    if let Some(topic) = stream_key(db, key)?
        && has_group(db, &topic, group).await?
    {
        return Ok(topic);
    }
    Err(Reply::error(format!(
        "NOGROUP No such key '{}' or consumer group '{}'{suffix}",
        c_str(key, usize::MAX),
        c_str(group, usize::MAX)
    )))
}

/// `NOGROUP No such consumer group '<group>' for key name '<key>'` (XGROUP, XINFO CONSUMERS).
pub(crate) fn no_such_group(key: &[u8], group: &[u8]) -> Reply {
    Reply::error(format!(
        "NOGROUP No such consumer group '{}' for key name '{}'",
        c_str(group, usize::MAX),
        c_str(key, usize::MAX)
    ))
}

/// A group or consumer name argument as bus-memory names it (bytes that are not UTF-8 replaced).
pub(crate) fn name(arg: &[u8]) -> String {
    String::from_utf8_lossy(arg).into_owned()
}

/// Parses from argument 2 on, as Redis does for XADD (`xadd`) and XTRIM.
pub(crate) fn parse_add_or_trim(args: &[Bytes], xadd: bool) -> Result<AddTrimArgs, Reply> {
    let mut strategy: Option<(bool, Strategy)> = None;
    let (mut limit, mut no_mkstream, mut id) = (None, false, AppendId::Auto);
    let mut i = 2;
    while i < args.len() {
        let more = args.len() - 1 - i;
        let option = &args[i];
        if xadd && option.as_ref() == b"*" {
            break;
        } else if (is(option, "MAXLEN") || is(option, "MINID")) && more > 0 {
            if strategy.is_some() {
                return Err(error(
                    "syntax error, MAXLEN and MINID options at the same time are not compatible",
                ));
            }
            let next = args[i + 1].as_ref();
            let approx = more >= 2 && next == b"~";
            if more >= 2 && (next == b"~" || next == b"=") {
                i += 1;
            }
            let value = &args[i + 1];
            let parsed = if is(option, "MAXLEN") {
                let len = integer(value)?;
                let len = u64::try_from(len).map_err(|_| error("The MAXLEN argument must be >= 0."))?;
                Strategy::MaxLen(len)
            } else {
                Strategy::MinId(strict_id(value)?)
            };
            strategy = Some((approx, parsed));
            i += 1;
        } else if is(option, "LIMIT") && more > 0 {
            let value = integer(&args[i + 1])?;
            limit = Some(u64::try_from(value).map_err(|_| error("The LIMIT argument must be >= 0."))?);
            i += 1;
        } else if xadd && is(option, "NOMKSTREAM") {
            no_mkstream = true;
        } else if xadd {
            id = utf8(option)?.parse::<AppendId>()?;
            break;
        } else {
            return Err(syntax_error());
        }
        i += 1;
    }
    let trim = match (strategy, limit) {
        (None, Some(_)) => {
            return Err(error(
                "syntax error, LIMIT cannot be used without specifying a trimming strategy",
            ));
        }
        (None, None) if !xadd => return Err(error("syntax error, XTRIM must be called with a trimming strategy")),
        (None, None) => None,
        (Some((false, _)), Some(_)) => {
            return Err(error("syntax error, LIMIT cannot be used without the special ~ option"));
        }
        (Some((approx, strategy)), limit) => {
            let mut trim = match strategy {
                Strategy::MaxLen(len) => Trim::maxlen(len),
                Strategy::MinId(id) => Trim::minid(id),
            };
            if approx {
                trim = trim.approx();
            }
            if let Some(limit) = limit {
                trim = trim.limit(limit);
            }
            Some(trim)
        }
    };
    Ok(AddTrimArgs {
        trim,
        no_mkstream,
        id,
        id_index: i,
    })
}

#[derive(Debug, Clone, Copy)]
enum Strategy {
    MaxLen(u64),
    MinId(EntryId),
}

/// An entry id as Redis replies it (a bulk string).
pub(crate) fn id_reply(id: EntryId) -> Reply {
    Reply::bulk(id.to_string())
}

/// An entry as Redis replies it: `[id, [field, value, …]]` (an array in RESP3 too).
pub(crate) fn entry_reply(entry: &Entry) -> Reply {
    let mut fields = Vec::with_capacity(entry.fields.len() * 2);
    for (name, value) in entry.fields.iter() {
        fields.push(Reply::Bulk(name.clone()));
        fields.push(Reply::Bulk(value.clone()));
    }
    Reply::Array(vec![id_reply(entry.id), Reply::Array(fields)])
}

/// A list of entries.
pub(crate) fn entries_reply(entries: &[Entry]) -> Reply {
    Reply::Array(entries.iter().map(entry_reply).collect())
}

/// A list of ids.
pub(crate) fn ids_reply(ids: &[EntryId]) -> Reply {
    Reply::Array(ids.iter().copied().map(id_reply).collect())
}

/// A group read's entry: an entry, or `[id, nil]` for a pending entry deleted since its delivery.
pub(crate) fn group_entry_reply(entry: &GroupEntry) -> Reply {
    match entry {
        GroupEntry::Present(entry) => entry_reply(entry),
        GroupEntry::Deleted(id) => Reply::Array(vec![id_reply(*id), Reply::NullArray]),
    }
}

/// A read's reply (XREAD, XREADGROUP): a map of key to entries (RESP2: an array of `[key, entries]`), or a
/// null array when nothing came.
pub(crate) fn streams_reply<E>(read: ReadReply<E>, entry: fn(&E) -> Reply) -> Reply {
    match read {
        ReadReply::Topics(topics) if !topics.is_empty() => Reply::Pairs(
            topics
                .into_iter()
                .map(|topic| {
                    (
                        Reply::bulk(Bytes::copy_from_slice(topic.topic.as_str().as_bytes())),
                        Reply::Array(topic.entries.iter().map(entry).collect()),
                    )
                })
                .collect(),
        ),
        _ => Reply::NullArray,
    }
}

/// A count as an integer reply.
pub(crate) fn count_reply(count: u64) -> Reply {
    Reply::Integer(i64::try_from(count).unwrap_or(i64::MAX))
}
