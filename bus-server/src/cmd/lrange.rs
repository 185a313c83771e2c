//! `LRANGE key start stop`: a range of a list's elements (negative indexes from the end, both inclusive); the
//! indexes are parsed before the key is looked at, as Redis does.

use bytes::Bytes;

use crate::client::Client;
use crate::command::{CmdResult, CommandSpec, KeySpec, doc, handler, integer};
use crate::keyspace;
use crate::resp::Reply;

pub(crate) const SPEC: CommandSpec = CommandSpec::new(
    "lrange",
    4,
    &["readonly"],
    &["@read", "@list", "@slow"],
    doc(
        "Answers a range of elements of a list.",
        "1.0.0",
        "list",
        "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.",
    ),
    handler!(run),
)
.keys((1, 1, 1), &[KeySpec::first(&["RO", "access"])]);

async fn run(client: &mut Client, args: &[Bytes]) -> CmdResult {
    let (start, stop) = (integer(&args[2])?, integer(&args[3])?);
    let elements = keyspace::read_key(client, &args[1], Vec::new(), |db, key| db.lrange(key, start, stop))?;
    Ok(Reply::bulks(elements))
}
