//! [`Command`]: one variant per CLI command, with typed arguments; the clap definitions (so `--help` and the
//! parser are one definition) and the `Display` that prints a command back in the same syntax.

use std::fmt;

use bus_core::{AppendId, EntryId, Error, GroupCursor, GroupStart, RangeBound, ReadCursor, Topic, Trim, Uuid};
use clap::{Args, Subcommand};

/// One command of the `bus` CLI and shell.
///
/// Arguments follow the Redis command they map to, in Redis's order; options are long flags. Parsing goes through
/// clap ([`crate::parse_line`]); `Display` prints the command back so that parsing the printed line gives the same
/// command.
#[derive(Clone, Debug, PartialEq, Eq, Subcommand)]
#[allow(
    missing_docs,
    reason = "the fields' doc comments are clap's help texts; the variants document the commands"
)]
pub enum Command {
    /// Publish a bus message (canonical UUID in field `id`, JSON in field `payload`), idempotently by UUID.
    ///
    /// Prints {"entry_id":…,"id":…,"duplicate":…} (`duplicate` is true when the topic already held the UUID and
    /// nothing was appended), or null with --nomkstream on a missing topic.
    Publish {
        /// The topic.
        #[arg(value_parser = parse_topic)]
        topic: Topic,
        /// The payload, as JSON text (stored as given).
        json: String,
        /// The message UUID (canonical form); a fresh random one by default.
        #[arg(long, value_parser = parse_uuid)]
        id: Option<Uuid>,
        /// The entry id: `*` (default), `MS-*` or `MS-SEQ`.
        #[arg(long, value_parser = parse_append_id)]
        entry_id: Option<AppendId>,
        #[command(flatten)]
        trim: TrimArgs,
        /// Do nothing (and print null) when the topic does not exist.
        #[arg(long)]
        nomkstream: bool,
    },
    /// Append a raw field map (XADD), as a foreign producer writes it. Prints the entry id.
    AppendRaw {
        /// The topic.
        #[arg(value_parser = parse_topic)]
        topic: Topic,
        /// Field names and values, alternating: FIELD VALUE [FIELD VALUE …].
        #[arg(value_name = "FIELD VALUE", required = true, num_args = 1..)]
        fields: Vec<String>,
        /// The entry id: `*` (default), `MS-*` or `MS-SEQ`.
        #[arg(long, value_parser = parse_append_id)]
        entry_id: Option<AppendId>,
        #[command(flatten)]
        trim: TrimArgs,
        /// Do nothing (and print null) when the topic does not exist.
        #[arg(long)]
        nomkstream: bool,
    },
    /// Entries from START to END in id order (XRANGE). Prints an array of entries.
    Range {
        /// The topic.
        #[arg(value_parser = parse_topic)]
        topic: Topic,
        /// `-`, an id, or `(id` (exclusive).
        #[arg(value_parser = parse_start)]
        start: RangeBound,
        /// `+`, an id, or `(id` (exclusive).
        #[arg(value_parser = parse_end)]
        end: RangeBound,
        /// At most this many entries.
        #[arg(long)]
        count: Option<u64>,
    },
    /// Entries from END down to START (XREVRANGE). Prints an array of entries.
    Revrange {
        /// The topic.
        #[arg(value_parser = parse_topic)]
        topic: Topic,
        /// `+`, an id, or `(id` (exclusive).
        #[arg(value_parser = parse_end)]
        end: RangeBound,
        /// `-`, an id, or `(id` (exclusive).
        #[arg(value_parser = parse_start)]
        start: RangeBound,
        /// At most this many entries.
        #[arg(long)]
        count: Option<u64>,
    },
    /// The last entries of a topic, oldest first; with --follow, then every new entry, one line each.
    Tail {
        /// The topic.
        #[arg(value_parser = parse_topic)]
        topic: Topic,
        /// How many of the last entries (default 10).
        #[arg(long)]
        count: Option<u64>,
        /// Keep printing new entries as they arrive, one JSON line per entry (not in the shell).
        #[arg(long)]
        follow: bool,
    },
    /// Entries after a cursor (XREAD). Prints an array (empty when nothing is there), or null when a block timed out.
    Read {
        /// The topic.
        #[arg(value_parser = parse_topic)]
        topic: Topic,
        /// An entry id, a message UUID (after the entry holding it), `$` (only new entries) or `0` (from the start).
        #[arg(value_parser = parse_read_from)]
        cursor: ReadFrom,
        /// At most this many entries.
        #[arg(long)]
        count: Option<u64>,
        /// Wait up to this many milliseconds for entries (0: forever).
        #[arg(long, value_name = "MS")]
        block: Option<u64>,
    },
    /// The entry id of a message UUID, or null.
    Lookup {
        /// The topic.
        #[arg(value_parser = parse_topic)]
        topic: Topic,
        /// The message UUID.
        #[arg(value_parser = parse_uuid)]
        uuid: Uuid,
    },
    /// The number of entries (XLEN; 0 for a missing topic).
    Len {
        /// The topic.
        #[arg(value_parser = parse_topic)]
        topic: Topic,
    },
    /// Delete entries (XDEL). Prints how many were removed.
    Del {
        /// The topic.
        #[arg(value_parser = parse_topic)]
        topic: Topic,
        /// Entry ids.
        #[arg(value_name = "ID", required = true, num_args = 1.., value_parser = parse_id)]
        ids: Vec<EntryId>,
    },
    /// Trim a topic (XTRIM). Prints how many entries were removed.
    #[command(group(clap::ArgGroup::new("strategy").required(true).args(["maxlen", "minid"])))]
    Trim {
        /// The topic.
        #[arg(value_parser = parse_topic)]
        topic: Topic,
        #[command(flatten)]
        trim: TrimArgs,
    },
    /// Delete a topic with its groups (DEL). Prints true if it existed.
    Drop {
        /// The topic.
        #[arg(value_parser = parse_topic)]
        topic: Topic,
    },
    /// Create a consumer group (XGROUP CREATE). Prints true.
    GroupCreate {
        /// The topic.
        #[arg(value_parser = parse_topic)]
        topic: Topic,
        /// The group.
        group: String,
        /// The last delivered id: an id (`0`: deliver everything) or `$` (only new entries).
        #[arg(value_parser = parse_group_start)]
        start: GroupStart,
        /// Create the topic when it does not exist.
        #[arg(long)]
        mkstream: bool,
        /// How many entries the group is considered to have read (lag bookkeeping).
        #[arg(long)]
        entries_read: Option<u64>,
    },
    /// Destroy a consumer group (XGROUP DESTROY). Prints true if it existed.
    GroupDestroy {
        /// The topic.
        #[arg(value_parser = parse_topic)]
        topic: Topic,
        /// The group.
        group: String,
    },
    /// Set a group's last delivered id (XGROUP SETID). Prints true.
    GroupSetid {
        /// The topic.
        #[arg(value_parser = parse_topic)]
        topic: Topic,
        /// The group.
        group: String,
        /// An id or `$`.
        #[arg(value_parser = parse_setid)]
        id: GroupStart,
        /// How many entries the group is considered to have read.
        #[arg(long)]
        entries_read: Option<u64>,
    },
    /// Create a consumer in a group (XGROUP CREATECONSUMER). Prints true if it was created.
    ConsumerCreate {
        /// The topic.
        #[arg(value_parser = parse_topic)]
        topic: Topic,
        /// The group.
        group: String,
        /// The consumer.
        consumer: String,
    },
    /// Delete a consumer (XGROUP DELCONSUMER). Prints how many pending entries it still owned (they are dropped).
    ConsumerDelete {
        /// The topic.
        #[arg(value_parser = parse_topic)]
        topic: Topic,
        /// The group.
        group: String,
        /// The consumer.
        consumer: String,
    },
    /// Read as a group consumer (XREADGROUP). Prints an array (empty when nothing is there), or null when a block
    /// timed out.
    ReadGroup {
        /// The topic.
        #[arg(value_parser = parse_topic)]
        topic: Topic,
        /// The group.
        group: String,
        /// The consumer.
        consumer: String,
        /// `>` for new entries, or an id to read the consumer's own pending history after it.
        #[arg(value_parser = parse_group_cursor)]
        cursor: GroupCursor,
        /// At most this many entries.
        #[arg(long)]
        count: Option<u64>,
        /// Wait up to this many milliseconds for new entries (0: forever).
        #[arg(long, value_name = "MS")]
        block: Option<u64>,
        /// Do not add delivered entries to the pending list.
        #[arg(long)]
        noack: bool,
    },
    /// Acknowledge entries (XACK). Prints how many were pending.
    Ack {
        /// The topic.
        #[arg(value_parser = parse_topic)]
        topic: Topic,
        /// The group.
        group: String,
        /// Entry ids.
        #[arg(value_name = "ID", required = true, num_args = 1.., value_parser = parse_id)]
        ids: Vec<EntryId>,
    },
    /// A group's pending entries (XPENDING).
    ///
    /// Without a range: {"count":N,"min":…,"max":…,"consumers":{"name":N}}. With START END COUNT: an array of
    /// {"entry_id","consumer","idle_ms","delivery_count"}.
    Pending {
        /// The topic.
        #[arg(value_parser = parse_topic)]
        topic: Topic,
        /// The group.
        group: String,
        /// `-`, an id, or `(id`.
        #[arg(value_parser = parse_start, requires = "end")]
        start: Option<RangeBound>,
        /// `+`, an id, or `(id`.
        #[arg(value_parser = parse_end, requires = "count")]
        end: Option<RangeBound>,
        /// At most this many entries.
        #[arg(requires = "start")]
        count: Option<u64>,
        /// Only this consumer's entries.
        #[arg(long, requires = "start")]
        consumer: Option<String>,
        /// Only entries idle at least this many milliseconds.
        #[arg(long, value_name = "MS", requires = "start")]
        idle: Option<u64>,
    },
    /// Take over pending entries (XCLAIM). Prints the claimed entries (their ids with --justid).
    Claim {
        /// The topic.
        #[arg(value_parser = parse_topic)]
        topic: Topic,
        /// The group.
        group: String,
        /// The consumer that takes the entries.
        consumer: String,
        /// Only entries idle at least this many milliseconds.
        min_idle_ms: u64,
        /// Entry ids.
        #[arg(value_name = "ID", required = true, num_args = 1.., value_parser = parse_id)]
        ids: Vec<EntryId>,
        /// Set the claimed entries' idle time to this many milliseconds.
        #[arg(long, value_name = "MS")]
        idle: Option<u64>,
        /// Set their last delivery to this Unix time in milliseconds.
        #[arg(long, value_name = "MS")]
        time: Option<u64>,
        /// Set their delivery count.
        #[arg(long)]
        retrycount: Option<u64>,
        /// Claim ids that are not pending too (if they exist).
        #[arg(long)]
        force: bool,
        /// Return ids only, without incrementing delivery counts.
        #[arg(long)]
        justid: bool,
        /// Raise the group's last delivered id to this id if it is below.
        #[arg(long, value_parser = parse_id)]
        lastid: Option<EntryId>,
    },
    /// Scan the pending list and take over idle entries (XAUTOCLAIM).
    ///
    /// Prints {"next":…,"claimed":[…],"deleted":[…]}.
    Autoclaim {
        /// The topic.
        #[arg(value_parser = parse_topic)]
        topic: Topic,
        /// The group.
        group: String,
        /// The consumer that takes the entries.
        consumer: String,
        /// Only entries idle at least this many milliseconds.
        min_idle_ms: u64,
        /// Where the scan starts: `-`, an id, or `(id`.
        #[arg(value_parser = parse_start)]
        start: RangeBound,
        /// Claim at most this many entries (default 100).
        #[arg(long)]
        count: Option<u64>,
        /// Return ids only, without incrementing delivery counts.
        #[arg(long)]
        justid: bool,
    },
    /// Stream information (XINFO STREAM).
    Info {
        /// The topic.
        #[arg(value_parser = parse_topic)]
        topic: Topic,
    },
    /// The topic's consumer groups (XINFO GROUPS).
    Groups {
        /// The topic.
        #[arg(value_parser = parse_topic)]
        topic: Topic,
    },
    /// A group's consumers (XINFO CONSUMERS).
    Consumers {
        /// The topic.
        #[arg(value_parser = parse_topic)]
        topic: Topic,
        /// The group.
        group: String,
    },
}

/// Trimming options (`--maxlen N | --minid ID`, `--approx`, `--limit N`), as XADD and XTRIM take them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Args)]
pub struct TrimArgs {
    /// Keep at most N entries.
    #[arg(long, value_name = "N", conflicts_with = "minid")]
    pub maxlen: Option<u64>,
    /// Remove entries with an id below ID.
    #[arg(long, value_name = "ID", value_parser = parse_minid)]
    pub minid: Option<EntryId>,
    /// Trim approximately (`~`): whole nodes only, cheaper.
    #[arg(long)]
    pub approx: bool,
    /// With --approx, remove at most about N entries (0: no bound).
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,
}

impl TrimArgs {
    /// The options of a trim.
    pub fn from_trim(trim: Option<&Trim>) -> TrimArgs {
        let Some(trim) = trim else {
            return TrimArgs::default();
        };
        let (maxlen, minid) = match trim.strategy {
            bus_core::TrimStrategy::MaxLen(n) => (Some(n), None),
            bus_core::TrimStrategy::MinId(id) => (None, Some(id)),
        };
        TrimArgs {
            maxlen,
            minid,
            approx: trim.approx,
            limit: trim.limit,
        }
    }

    /// The trim these options ask for, if any; `--approx` or `--limit` without a strategy is an error.
    pub fn to_trim(&self) -> Result<Option<Trim>, Error> {
        let mut trim = match (self.maxlen, self.minid) {
            (Some(n), None) => Trim::maxlen(n),
            (None, Some(id)) => Trim::minid(id),
            (Some(_), Some(_)) => return Err(Error::syntax()),
            (None, None) => {
                if self.approx || self.limit.is_some() {
                    return Err(Error::invalid_argument(
                        "ERR syntax error, --approx and --limit need --maxlen or --minid",
                    ));
                }
                return Ok(None);
            }
        };
        if self.approx {
            trim = trim.approx();
        }
        if let Some(limit) = self.limit {
            trim = trim.limit(limit);
        }
        Ok(Some(trim))
    }

    fn push(&self, line: &mut Line) {
        line.opt("--maxlen", self.maxlen);
        line.opt("--minid", self.minid);
        line.flag("--approx", self.approx);
        line.opt("--limit", self.limit);
    }
}

/// Where a plain read starts: a Redis cursor (`$` or an entry id), or after the entry holding a message UUID.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReadFrom {
    /// `$` or an entry id, as XREAD takes it.
    Cursor(ReadCursor),
    /// After the entry holding this message (looked up first).
    Message(Uuid),
}

impl fmt::Display for ReadFrom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadFrom::Cursor(cursor) => cursor.fmt(f),
            ReadFrom::Message(uuid) => uuid.hyphenated().fmt(f),
        }
    }
}

impl std::str::FromStr for ReadFrom {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        if let Some(uuid) = bus_core::message::parse_canonical_uuid(s.as_bytes()) {
            return Ok(ReadFrom::Message(uuid));
        }
        Ok(ReadFrom::Cursor(s.parse()?))
    }
}

fn parse_topic(s: &str) -> Result<Topic, Error> {
    Topic::new(s)
}

fn parse_read_from(s: &str) -> Result<ReadFrom, Error> {
    s.parse()
}

fn parse_uuid(s: &str) -> Result<Uuid, Error> {
    Uuid::try_parse(s).map_err(|err| Error::invalid_argument(format!("invalid message UUID {s:?}: {err}")))
}

fn parse_append_id(s: &str) -> Result<AppendId, Error> {
    s.parse()
}

fn parse_id(s: &str) -> Result<EntryId, Error> {
    s.parse()
}

fn parse_minid(s: &str) -> Result<EntryId, Error> {
    EntryId::parse_lenient(s, 0)
}

fn parse_start(s: &str) -> Result<RangeBound, Error> {
    RangeBound::parse_start(s)
}

fn parse_end(s: &str) -> Result<RangeBound, Error> {
    RangeBound::parse_end(s)
}

fn parse_group_start(s: &str) -> Result<GroupStart, Error> {
    s.parse()
}

fn parse_setid(s: &str) -> Result<GroupStart, Error> {
    GroupStart::parse_setid(s)
}

fn parse_group_cursor(s: &str) -> Result<GroupCursor, Error> {
    s.parse()
}

/// A command line being printed: the command name, its positional arguments and its options.
struct Line {
    name: &'static str,
    positionals: Vec<String>,
    options: Vec<String>,
}

impl Line {
    fn new(name: &'static str) -> Line {
        Line {
            name,
            positionals: Vec::new(),
            options: Vec::new(),
        }
    }

    fn pos(&mut self, value: impl fmt::Display) -> &mut Line {
        self.positionals.push(value.to_string());
        self
    }

    fn opt(&mut self, name: &str, value: Option<impl fmt::Display>) -> &mut Line {
        if let Some(value) = value {
            let value = value.to_string();
            if value.starts_with('-') {
                // `--consumer -x` would read `-x` as a flag; the attached form is unambiguous.
                self.options.push(format!("{name}={value}"));
            } else {
                self.options.push(name.to_owned());
                self.options.push(value);
            }
        }
        self
    }

    fn flag(&mut self, name: &str, on: bool) -> &mut Line {
        if on {
            self.options.push(name.to_owned());
        }
        self
    }
}

impl fmt::Display for Line {
    /// Positionals first, then options, like the usage lines; when a positional looks like a flag (`-x`), the
    /// options go first and `--` ends them, so the line still parses back to the same command.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)?;
        let quoted =
            |words: &[String]| -> Vec<String> { words.iter().map(|w| format!(" {}", shell_words::quote(w))).collect() };
        let flag_like = self.positionals.iter().any(|p| p.starts_with('-') && p != "-");
        if flag_like {
            f.write_str(&quoted(&self.options).concat())?;
            f.write_str(" --")?;
            f.write_str(&quoted(&self.positionals).concat())
        } else {
            f.write_str(&quoted(&self.positionals).concat())?;
            f.write_str(&quoted(&self.options).concat())
        }
    }
}

impl Command {
    /// The command's name, as typed.
    pub fn name(&self) -> &'static str {
        self.line().name
    }

    fn line(&self) -> Line {
        match self {
            Command::Publish {
                topic,
                json,
                id,
                entry_id,
                trim,
                nomkstream,
            } => {
                let mut line = Line::new("publish");
                line.pos(topic).pos(json).opt("--id", *id).opt("--entry-id", *entry_id);
                trim.push(&mut line);
                line.flag("--nomkstream", *nomkstream);
                line
            }
            Command::AppendRaw {
                topic,
                fields,
                entry_id,
                trim,
                nomkstream,
            } => {
                let mut line = Line::new("append-raw");
                line.pos(topic);
                for field in fields {
                    line.pos(field);
                }
                line.opt("--entry-id", *entry_id);
                trim.push(&mut line);
                line.flag("--nomkstream", *nomkstream);
                line
            }
            Command::Range {
                topic,
                start,
                end,
                count,
            } => {
                let mut line = Line::new("range");
                line.pos(topic).pos(start).pos(end).opt("--count", *count);
                line
            }
            Command::Revrange {
                topic,
                end,
                start,
                count,
            } => {
                let mut line = Line::new("revrange");
                line.pos(topic).pos(end).pos(start).opt("--count", *count);
                line
            }
            Command::Tail { topic, count, follow } => {
                let mut line = Line::new("tail");
                line.pos(topic).opt("--count", *count).flag("--follow", *follow);
                line
            }
            Command::Read {
                topic,
                cursor,
                count,
                block,
            } => {
                let mut line = Line::new("read");
                line.pos(topic)
                    .pos(cursor)
                    .opt("--count", *count)
                    .opt("--block", *block);
                line
            }
            Command::Lookup { topic, uuid } => {
                let mut line = Line::new("lookup");
                line.pos(topic).pos(uuid.hyphenated());
                line
            }
            Command::Len { topic } => {
                let mut line = Line::new("len");
                line.pos(topic);
                line
            }
            Command::Del { topic, ids } => {
                let mut line = Line::new("del");
                line.pos(topic);
                for id in ids {
                    line.pos(id);
                }
                line
            }
            Command::Trim { topic, trim } => {
                let mut line = Line::new("trim");
                line.pos(topic);
                trim.push(&mut line);
                line
            }
            Command::Drop { topic } => {
                let mut line = Line::new("drop");
                line.pos(topic);
                line
            }
            Command::GroupCreate {
                topic,
                group,
                start,
                mkstream,
                entries_read,
            } => {
                let mut line = Line::new("group-create");
                line.pos(topic)
                    .pos(group)
                    .pos(start)
                    .flag("--mkstream", *mkstream)
                    .opt("--entries-read", *entries_read);
                line
            }
            Command::GroupDestroy { topic, group } => {
                let mut line = Line::new("group-destroy");
                line.pos(topic).pos(group);
                line
            }
            Command::GroupSetid {
                topic,
                group,
                id,
                entries_read,
            } => {
                let mut line = Line::new("group-setid");
                line.pos(topic).pos(group).pos(id).opt("--entries-read", *entries_read);
                line
            }
            Command::ConsumerCreate { topic, group, consumer } => {
                let mut line = Line::new("consumer-create");
                line.pos(topic).pos(group).pos(consumer);
                line
            }
            Command::ConsumerDelete { topic, group, consumer } => {
                let mut line = Line::new("consumer-delete");
                line.pos(topic).pos(group).pos(consumer);
                line
            }
            Command::ReadGroup {
                topic,
                group,
                consumer,
                cursor,
                count,
                block,
                noack,
            } => {
                let mut line = Line::new("read-group");
                line.pos(topic)
                    .pos(group)
                    .pos(consumer)
                    .pos(cursor)
                    .opt("--count", *count)
                    .opt("--block", *block)
                    .flag("--noack", *noack);
                line
            }
            Command::Ack { topic, group, ids } => {
                let mut line = Line::new("ack");
                line.pos(topic).pos(group);
                for id in ids {
                    line.pos(id);
                }
                line
            }
            Command::Pending {
                topic,
                group,
                start,
                end,
                count,
                consumer,
                idle,
            } => {
                let mut line = Line::new("pending");
                line.pos(topic).pos(group);
                if let Some(start) = start {
                    line.pos(start);
                }
                if let Some(end) = end {
                    line.pos(end);
                }
                if let Some(count) = count {
                    line.pos(count);
                }
                line.opt("--consumer", consumer.as_deref()).opt("--idle", *idle);
                line
            }
            Command::Claim {
                topic,
                group,
                consumer,
                min_idle_ms,
                ids,
                idle,
                time,
                retrycount,
                force,
                justid,
                lastid,
            } => {
                let mut line = Line::new("claim");
                line.pos(topic).pos(group).pos(consumer).pos(min_idle_ms);
                for id in ids {
                    line.pos(id);
                }
                line.opt("--idle", *idle)
                    .opt("--time", *time)
                    .opt("--retrycount", *retrycount)
                    .flag("--force", *force)
                    .flag("--justid", *justid)
                    .opt("--lastid", *lastid);
                line
            }
            Command::Autoclaim {
                topic,
                group,
                consumer,
                min_idle_ms,
                start,
                count,
                justid,
            } => {
                let mut line = Line::new("autoclaim");
                line.pos(topic)
                    .pos(group)
                    .pos(consumer)
                    .pos(min_idle_ms)
                    .pos(start)
                    .opt("--count", *count)
                    .flag("--justid", *justid);
                line
            }
            Command::Info { topic } => {
                let mut line = Line::new("info");
                line.pos(topic);
                line
            }
            Command::Groups { topic } => {
                let mut line = Line::new("groups");
                line.pos(topic);
                line
            }
            Command::Consumers { topic, group } => {
                let mut line = Line::new("consumers");
                line.pos(topic).pos(group);
                line
            }
        }
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.line().fmt(f)
    }
}
