//! What the server knows about a command: its handler, and the metadata Redis 7.0 publishes through
//! `COMMAND INFO`/`COMMAND DOCS` (name, arity, flags, key positions, ACL categories, tips, key specs).
//!
//! Arity follows Redis: positive means exactly that many words (the name included), negative means at least
//! that many.

use std::future::Future;
use std::pin::Pin;

use bytes::Bytes;

use crate::client::Client;
use crate::resp::Reply;

/// What a handler returns: its reply, or an error reply (so handlers use `?`).
pub(crate) type CmdResult = Result<Reply, Reply>;

/// A handler's future, borrowing the client and the arguments.
pub(crate) type BoxFuture<'a> = Pin<Box<dyn Future<Output = Reply> + Send + 'a>>;

/// A command's implementation: the client and the whole command line (`args[0]` is the name as sent).
pub(crate) type Handler = for<'a> fn(&'a mut Client, &'a [Bytes]) -> BoxFuture<'a>;

/// Turns `async fn run(&mut Client, &[Bytes]) -> CmdResult` into a [`Handler`].
macro_rules! handler {
    ($run:path) => {{
        fn boxed<'a>(
            client: &'a mut $crate::client::Client,
            args: &'a [bytes::Bytes],
        ) -> $crate::command::BoxFuture<'a> {
            Box::pin(async move { $run(client, args).await.unwrap_or_else(|reply| reply) })
        }
        boxed as $crate::command::Handler
    }};
}
pub(crate) use handler;

/// Which side of the server-wide lock a command runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lock {
    /// Shared: commands run concurrently (bus-memory is thread-safe).
    Shared,
    /// Exclusive: nothing else runs meanwhile (EXEC, FLUSHALL, FLUSHDB).
    Exclusive,
    /// None: commands about the connection only, and blocking commands, which take the shared lock themselves
    /// for their non-blocking part (they must never wait while holding it).
    None,
}

/// Where the search for keys starts (`begin_search` of a key spec).
#[derive(Clone, Copy, Debug)]
pub(crate) enum BeginSearch {
    /// At a fixed argument index.
    Index(i64),
    /// After a keyword, searched from `start_from`.
    Keyword { keyword: &'static str, start_from: i64 },
}

/// How keys are found from there (`find_keys` of a key spec).
#[derive(Clone, Copy, Debug)]
pub(crate) enum FindKeys {
    /// A range: the last key (relative, -1: the end), the step, and the limit.
    Range { last_key: i64, key_step: i64, limit: i64 },
}

/// One key spec, as `COMMAND INFO` shows it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct KeySpec {
    pub(crate) notes: Option<&'static str>,
    pub(crate) flags: &'static [&'static str],
    pub(crate) begin: BeginSearch,
    pub(crate) find: FindKeys,
}

impl KeySpec {
    /// The key at argument 1.
    pub(crate) const fn first(flags: &'static [&'static str]) -> KeySpec {
        KeySpec {
            notes: None,
            flags,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }
    }

    /// The key at argument `index`.
    pub(crate) const fn at(index: i64, flags: &'static [&'static str]) -> KeySpec {
        KeySpec {
            begin: BeginSearch::Index(index),
            ..KeySpec::first(flags)
        }
    }

    /// Every argument from 1 on is a key.
    pub(crate) const fn all(flags: &'static [&'static str]) -> KeySpec {
        KeySpec {
            notes: None,
            flags,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                last_key: -1,
                key_step: 1,
                limit: 0,
            },
        }
    }

    /// The same spec with Redis's note.
    pub(crate) const fn noted(self, notes: &'static str) -> KeySpec {
        KeySpec {
            notes: Some(notes),
            ..self
        }
    }
}

/// What `COMMAND DOCS` tells about a command.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Doc {
    pub(crate) summary: &'static str,
    pub(crate) since: &'static str,
    pub(crate) group: &'static str,
    pub(crate) complexity: &'static str,
}

/// A command of the table.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CommandSpec {
    /// The name in lower case (a subcommand's own name, without its container's).
    pub(crate) name: &'static str,
    pub(crate) arity: i32,
    pub(crate) flags: &'static [&'static str],
    /// First key, last key and step, the legacy key positions of `COMMAND INFO`.
    pub(crate) keys: (i64, i64, i64),
    pub(crate) acl: &'static [&'static str],
    pub(crate) tips: &'static [&'static str],
    pub(crate) key_specs: &'static [KeySpec],
    pub(crate) subcommands: &'static [CommandSpec],
    pub(crate) doc: Doc,
    /// `None` for a container (CLIENT, CONFIG, …), whose subcommands run.
    pub(crate) handler: Option<Handler>,
    pub(crate) lock: Lock,
}

impl CommandSpec {
    /// A command with no keys, no tips and no subcommands, running on the shared lock.
    pub(crate) const fn new(
        name: &'static str,
        arity: i32,
        flags: &'static [&'static str],
        acl: &'static [&'static str],
        doc: Doc,
        handler: Handler,
    ) -> CommandSpec {
        CommandSpec {
            name,
            arity,
            flags,
            keys: (0, 0, 0),
            acl,
            tips: &[],
            key_specs: &[],
            subcommands: &[],
            doc,
            handler: Some(handler),
            lock: Lock::Shared,
        }
    }

    /// A container of subcommands (`CLIENT`, `CONFIG`, …): arity -2, flags none, ACL `@slow`.
    pub(crate) const fn container(name: &'static str, doc: Doc, subcommands: &'static [CommandSpec]) -> CommandSpec {
        CommandSpec {
            name,
            arity: -2,
            flags: &[],
            keys: (0, 0, 0),
            acl: &["@slow"],
            tips: &[],
            key_specs: &[],
            subcommands,
            doc,
            handler: None,
            lock: Lock::None,
        }
    }

    /// The same command with key positions and key specs.
    pub(crate) const fn keys(self, keys: (i64, i64, i64), key_specs: &'static [KeySpec]) -> CommandSpec {
        CommandSpec {
            keys,
            key_specs,
            ..self
        }
    }

    /// The same command with Redis's command tips.
    pub(crate) const fn tips(self, tips: &'static [&'static str]) -> CommandSpec {
        CommandSpec { tips, ..self }
    }

    /// The same command on another side of the server-wide lock.
    pub(crate) const fn lock(self, lock: Lock) -> CommandSpec {
        CommandSpec { lock, ..self }
    }

    /// Whether `COMMAND INFO` lists this flag.
    pub(crate) fn has_flag(&self, flag: &str) -> bool {
        self.flags.contains(&flag)
    }

    /// Whether `argc` words satisfy the arity.
    pub(crate) fn arity_accepts(&self, argc: usize) -> bool {
        let argc = i64::try_from(argc).unwrap_or(i64::MAX);
        let arity = i64::from(self.arity);
        if arity >= 0 { argc == arity } else { argc >= -arity }
    }

    /// The subcommand of this name (any case).
    pub(crate) fn subcommand(&self, name: &[u8]) -> Option<&'static CommandSpec> {
        self.subcommands
            .iter()
            .find(|sub| sub.name.as_bytes().eq_ignore_ascii_case(name))
    }
}

/// Doc shorthand for the table: summary, since, group, complexity.
pub(crate) const fn doc(
    summary: &'static str,
    since: &'static str,
    group: &'static str,
    complexity: &'static str,
) -> Doc {
    Doc {
        summary,
        since,
        group,
        complexity,
    }
}
