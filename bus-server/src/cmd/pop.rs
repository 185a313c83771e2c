//! `LPOP key [count]` and `RPOP key [count]`: pop from either end of a list. Without a count the reply is one
//! element (null for a missing key); with one, an array (a null array for a missing key). Redis checks, in this
//! order: at most one count (an arity error otherwise), a count that is a non-negative integer, the key's type.

use bus_memory::ListEnd;
use bytes::Bytes;

use crate::client::Client;
use crate::command::{CmdResult, CommandSpec, KeySpec, arity_error, doc, handler, integer_or};
use crate::keyspace;
use crate::resp::Reply;

const FLAGS: &[&str] = &["write", "fast"];
const ACL: &[&str] = &["@write", "@list", "@fast"];
const KEYS: &[KeySpec] = &[KeySpec::first(&["RW", "access", "delete"])];
const COMPLEXITY: &str = "O(N) where N is the number of elements returned";

pub(crate) const LPOP: CommandSpec = CommandSpec::new(
    "lpop",
    -2,
    FLAGS,
    ACL,
    doc(
        "Removes and answers the first elements of a list.",
        "1.0.0",
        "list",
        COMPLEXITY,
    ),
    handler!(lpop),
)
.keys((1, 1, 1), KEYS);

pub(crate) const RPOP: CommandSpec = CommandSpec::new(
    "rpop",
    -2,
    FLAGS,
    ACL,
    doc(
        "Removes and answers the last elements of a list.",
        "1.0.0",
        "list",
        COMPLEXITY,
    ),
    handler!(rpop),
)
.keys((1, 1, 1), KEYS);

async fn lpop(client: &mut Client, args: &[Bytes]) -> CmdResult {
    pop(client, args, ListEnd::Left, "lpop")
}

async fn rpop(client: &mut Client, args: &[Bytes]) -> CmdResult {
    pop(client, args, ListEnd::Right, "rpop")
}

fn pop(client: &Client, args: &[Bytes], end: ListEnd, name: &str) -> CmdResult {
    let count = match args {
        [_, _] => None,
        [_, _, count] => {
            let count = integer_or(count, "ERR value is out of range, must be positive")?;
            let count =
                usize::try_from(count).map_err(|_| Reply::error("ERR value is out of range, must be positive"))?;
            Some(count)
        }
        _ => return Err(arity_error(name)),
    };
    let popped = keyspace::read_key(client, &args[1], None, |db, key| db.pop(key, end, count.unwrap_or(1)))?;
    Ok(match (popped, count) {
        (None, None) => Reply::Null,
        (None, Some(_)) => Reply::NullArray,
        (Some(elements), None) => elements.into_iter().next().map_or(Reply::Null, Reply::Bulk),
        (Some(elements), Some(_)) => Reply::bulks(elements),
    })
}
