//! What the stream commands share: Redis 7.0's parser of XADD's and XTRIM's options
//! (`streamParseAddOrTrimArgsOrReply`, same order of checks and texts), id arguments, and the reply shape of
//! entries.

use bus_core::{AppendId, Entry, EntryId, Trim};
use bytes::Bytes;

use crate::command::{integer, is, syntax_error};
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
fn utf8(arg: &[u8]) -> Result<&str, Reply> {
    std::str::from_utf8(arg).map_err(|_| Reply::from(bus_core::Error::invalid_id()))
}

/// A strict id (`ms` or `ms-seq`; no `-`, `+`, `*`), as `streamParseStrictIDOrReply` reads it.
pub(crate) fn strict_id(arg: &[u8]) -> Result<EntryId, Reply> {
    Ok(EntryId::parse_strict(utf8(arg)?, 0)?)
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
