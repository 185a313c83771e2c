//! Argument helpers, with the error texts Redis 7.0 answers when an argument is wrong.

use bus_core::Topic;
use bytes::Bytes;

use crate::resp::{Reply, parse_i64};

/// `ERR syntax error`.
pub(crate) fn syntax_error() -> Reply {
    Reply::error("ERR syntax error")
}

/// `ERR value is not an integer or out of range`.
pub(crate) fn not_an_integer() -> Reply {
    Reply::error("ERR value is not an integer or out of range")
}

/// `ERR wrong number of arguments for '<name>' command`, with Redis's full name (`client|setname` for a
/// subcommand).
pub(crate) fn arity_error(full_name: &str) -> Reply {
    Reply::error(format!("ERR wrong number of arguments for '{full_name}' command"))
}

/// Bytes as C's `%.*s` prints them: up to the first NUL, at most `max` bytes.
pub(crate) fn c_str(bytes: &[u8], max: usize) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len()).min(max);
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// `ERR unknown subcommand '<sub>'. Try <COMMAND> HELP.`
pub(crate) fn unknown_subcommand(container: &[u8], sub: &[u8]) -> Reply {
    Reply::error(format!(
        "ERR unknown subcommand '{}'. Try {} HELP.",
        c_str(sub, 128),
        c_str(container, usize::MAX).to_uppercase()
    ))
}

/// `ERR unknown subcommand or wrong number of arguments for '<sub>'. Try <COMMAND> HELP.` (Redis's
/// `addReplySubcommandSyntaxError`, the sub as given).
pub(crate) fn subcommand_syntax_error(args: &[Bytes]) -> Reply {
    let container = args
        .first()
        .map_or_else(String::new, |name| c_str(name, usize::MAX).to_uppercase());
    let sub = args.get(1).map_or_else(String::new, |sub| c_str(sub, usize::MAX));
    Reply::error(format!(
        "ERR unknown subcommand or wrong number of arguments for '{sub}'. Try {container} HELP."
    ))
}

/// `ERR unknown command '<name>', with args beginning with: '<a>' '<b>' ` (the arguments quoted until the list
/// reaches 128 bytes, each cut to what is left of them).
pub(crate) fn unknown_command(args: &[Bytes]) -> Reply {
    let name = args.first().map_or_else(String::new, |name| c_str(name, 128));
    let mut listed = String::new();
    for arg in args.iter().skip(1) {
        if listed.len() >= 128 {
            break;
        }
        let room = 128 - listed.len();
        listed.push('\'');
        listed.push_str(&c_str(arg, room));
        listed.push_str("' ");
    }
    Reply::error(format!(
        "ERR unknown command '{name}', with args beginning with: {listed}"
    ))
}

/// Whether an argument is this keyword (any case).
pub(crate) fn is(arg: &[u8], keyword: &str) -> bool {
    arg.eq_ignore_ascii_case(keyword.as_bytes())
}

/// An integer argument as `getLongLongFromObjectOrReply` parses it.
pub(crate) fn integer(arg: &[u8]) -> Result<i64, Reply> {
    parse_i64(arg).ok_or_else(not_an_integer)
}

/// An integer argument with its own error text (`getLongLongFromObjectOrReply` with a message).
pub(crate) fn integer_or(arg: &[u8], message: &str) -> Result<i64, Reply> {
    parse_i64(arg).ok_or_else(|| Reply::error(message.to_owned()))
}

/// Text of an argument, for messages (invalid UTF-8 replaced).
pub(crate) fn text(arg: &[u8]) -> String {
    String::from_utf8_lossy(arg).into_owned()
}

/// The key of an argument, as bus-memory names it ([`Topic::from_redis_key`]: any UTF-8 text Redis accepts,
/// braces, white space and the empty name included).
///
/// Keys that are not UTF-8 cannot be named (bus-memory's topics are text): such a key cannot exist here, reads
/// treat it as missing and writes answer this error instead of creating it.
pub(crate) fn topic(arg: &[u8]) -> Result<Topic, Reply> {
    std::str::from_utf8(arg)
        .ok()
        .and_then(|name| Topic::from_redis_key(name).ok())
        .ok_or_else(|| {
            Reply::error(format!(
                "ERR bus serve cannot store the key '{}': keys must be UTF-8 text",
                c_str(arg, 128)
            ))
        })
}

/// The key if bus-memory can hold it, `None` for a key that therefore cannot exist.
pub(crate) fn existing_topic(arg: &[u8]) -> Option<Topic> {
    topic(arg).ok()
}

/// The reply of `<COMMAND> HELP` (Redis's `addReplyHelp`): a status line naming the command in upper case, the
/// command's own lines, then the lines of HELP itself.
pub(crate) fn help_reply(args: &[Bytes], lines: &[&'static str]) -> Reply {
    let name = args
        .first()
        .map_or_else(String::new, |name| c_str(name, usize::MAX).to_uppercase());
    let mut items = Vec::with_capacity(lines.len() + 3);
    items.push(Reply::Simple(Bytes::from(format!(
        "{name} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    ))));
    items.extend(lines.iter().map(|line| Reply::simple(line)));
    items.push(Reply::simple("HELP"));
    items.push(Reply::simple("    Prints this help."));
    Reply::Array(items)
}

impl From<bus_core::Error> for Reply {
    fn from(err: bus_core::Error) -> Reply {
        Reply::error(err.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_text(reply: Reply) -> String {
        match reply {
            Reply::Error(text) => String::from_utf8_lossy(&text).into_owned(),
            other => panic!("not an error: {other:?}"),
        }
    }

    #[test]
    fn unknown_command_lists_arguments_as_redis_does() {
        let args: Vec<Bytes> = ["foo", "a", "b"].into_iter().map(Bytes::from).collect();
        assert_eq!(
            error_text(unknown_command(&args)),
            "ERR unknown command 'foo', with args beginning with: 'a' 'b' "
        );
        let long: Vec<Bytes> = vec![Bytes::from("x"), Bytes::from("y".repeat(200)), Bytes::from("z")];
        let text = error_text(unknown_command(&long));
        // The first argument fills the 128 bytes: the second is not listed.
        assert!(text.ends_with(&format!("'{}' ", "y".repeat(128))), "{text}");
    }

    #[test]
    fn unknown_subcommand_upper_cases_the_container() {
        assert_eq!(
            error_text(unknown_subcommand(b"client", b"foo")),
            "ERR unknown subcommand 'foo'. Try CLIENT HELP."
        );
    }
}
