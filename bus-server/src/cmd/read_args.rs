//! The options of XREAD and XREADGROUP, parsed by one loop as Redis 7.0's `xreadCommand` parses both: BLOCK,
//! COUNT, STREAMS (the rest: keys then ids, balanced), GROUP and NOACK (refused by XREAD with their own
//! errors); anything else, or no STREAMS, is a syntax error; XREADGROUP without GROUP is refused after that.

use std::time::Duration;

use bytes::Bytes;

use crate::command::{BeginSearch, FindKeys, KeySpec, integer, integer_or, is, syntax_error};
use crate::resp::Reply;

/// The key spec of XREAD and XREADGROUP: the keys after STREAMS (searched from `start_from`), the first half of
/// what follows it.
pub(crate) const fn streams_keys(start_from: i64) -> KeySpec {
    KeySpec {
        notes: None,
        flags: &["RO", "access"],
        begin: BeginSearch::Keyword {
            keyword: "STREAMS",
            start_from,
        },
        find: FindKeys::Range {
            last_key: -1,
            key_step: 1,
            limit: 2,
        },
    }
}

/// XREAD's or XREADGROUP's command line, parsed.
#[derive(Debug)]
pub(crate) struct ReadArgs<'a> {
    /// COUNT (0, or a negative count, means no limit).
    pub(crate) count: u64,
    /// BLOCK, `None` without it (zero: forever).
    pub(crate) block: Option<Duration>,
    /// GROUP's group and consumer (XREADGROUP).
    pub(crate) group: Option<(&'a Bytes, &'a Bytes)>,
    pub(crate) no_ack: bool,
    pub(crate) keys: &'a [Bytes],
    pub(crate) ids: &'a [Bytes],
}

/// Parses the command line of XREAD (`group_read` false) or XREADGROUP.
pub(crate) fn parse(args: &[Bytes], group_read: bool) -> Result<ReadArgs<'_>, Reply> {
    let mut parsed = ReadArgs {
        count: 0,
        block: None,
        group: None,
        no_ack: false,
        keys: &[],
        ids: &[],
    };
    let mut streams = None;
    let mut i = 1;
    while i < args.len() {
        let more = args.len() - i - 1;
        let option = &args[i];
        if is(option, "BLOCK") && more > 0 {
            i += 1;
            let ms = integer_or(&args[i], "ERR timeout is not an integer or out of range")?;
            let ms = u64::try_from(ms).map_err(|_| Reply::error("ERR timeout is negative"))?;
            parsed.block = Some(Duration::from_millis(ms));
        } else if is(option, "COUNT") && more > 0 {
            i += 1;
            parsed.count = u64::try_from(integer(&args[i])?).unwrap_or(0);
        } else if is(option, "STREAMS") && more > 0 {
            if !more.is_multiple_of(2) {
                return Err(Reply::error(
                    "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
                ));
            }
            streams = Some(i + 1);
            break;
        } else if is(option, "GROUP") && more >= 2 {
            if !group_read {
                return Err(Reply::error(
                    "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            parsed.group = Some((&args[i + 1], &args[i + 2]));
            i += 2;
        } else if is(option, "NOACK") {
            if !group_read {
                return Err(Reply::error(
                    "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            parsed.no_ack = true;
        } else {
            return Err(syntax_error());
        }
        i += 1;
    }
    let Some(first) = streams else {
        return Err(syntax_error());
    };
    if group_read && parsed.group.is_none() {
        return Err(Reply::error("ERR Missing GROUP option for XREADGROUP"));
    }
    let keys = (args.len() - first) / 2;
    parsed.keys = &args[first..first + keys];
    parsed.ids = &args[first + keys..];
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(args: &[&str]) -> Vec<Bytes> {
        args.iter().map(|arg| Bytes::copy_from_slice(arg.as_bytes())).collect()
    }

    fn error(args: &[&str], group_read: bool) -> Reply {
        match parse(&words(args), group_read) {
            Ok(parsed) => panic!("parsed: {parsed:?}"),
            Err(reply) => reply,
        }
    }

    #[test]
    fn both_commands_share_the_loop() {
        let args = words(&[
            "XREADGROUP",
            "GROUP",
            "g",
            "c",
            "COUNT",
            "-5",
            "NOACK",
            "STREAMS",
            "a",
            "b",
            ">",
            "0",
        ]);
        let parsed = parse(&args, true).unwrap();
        assert_eq!(parsed.count, 0);
        assert!(parsed.no_ack);
        assert_eq!(
            parsed.group.map(|(g, c)| (g.as_ref(), c.as_ref())),
            Some((&b"g"[..], &b"c"[..]))
        );
        assert_eq!(parsed.keys, &words(&["a", "b"])[..]);
        assert_eq!(parsed.ids, &words(&[">", "0"])[..]);
        assert_eq!(
            error(&["XREAD", "NOACK", "STREAMS", "a", "0"], false),
            Reply::error("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.")
        );
        assert_eq!(
            error(&["XREADGROUP", "COUNT", "1", "STREAMS", "a", "0"], true),
            Reply::error("ERR Missing GROUP option for XREADGROUP")
        );
        assert_eq!(
            error(&["XREADGROUP", "GROUP", "g", "c", "a", "0"], true),
            syntax_error()
        );
        assert_eq!(
            error(&["XREAD", "BLOCK", "-1", "STREAMS", "a", "0"], false),
            Reply::error("ERR timeout is negative")
        );
    }
}
