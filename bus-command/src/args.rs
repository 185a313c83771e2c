//! Arguments several commands share: the value parsers of the id forms, the trimming options and the append
//! options, each with its printed form.

use std::time::Duration;

use bus_core::{AppendId, AppendOptions, EntryId, Error, GroupStart, RangeBound, Trim, TrimStrategy, Uuid};
use clap::Args;

use crate::line::Line;

/// A message UUID, in any form `uuid` parses (printed back hyphenated).
pub(crate) fn parse_uuid(s: &str) -> Result<Uuid, Error> {
    Uuid::try_parse(s).map_err(|err| Error::invalid_argument(format!("invalid message UUID {s:?}: {err}")))
}

/// XTRIM's MINID, which (like a range bound) also accepts `-` and `+`.
pub(crate) fn parse_minid(s: &str) -> Result<EntryId, Error> {
    EntryId::parse_lenient(s, 0)
}

/// A range start: `-`, an id, or `(id`.
pub(crate) fn parse_start(s: &str) -> Result<RangeBound, Error> {
    RangeBound::parse_start(s)
}

/// A range end: `+`, an id, or `(id`.
pub(crate) fn parse_end(s: &str) -> Result<RangeBound, Error> {
    RangeBound::parse_end(s)
}

/// XGROUP SETID's id, which (unlike CREATE's) also accepts `-` and `+`.
pub(crate) fn parse_setid(s: &str) -> Result<GroupStart, Error> {
    GroupStart::parse_setid(s)
}

/// Milliseconds as the CLI takes them.
pub(crate) fn millis(ms: u64) -> Duration {
    Duration::from_millis(ms)
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
    /// The options of a trim (none for `None`).
    pub fn from_trim(trim: Option<&Trim>) -> TrimArgs {
        let Some(trim) = trim else {
            return TrimArgs::default();
        };
        let (maxlen, minid) = match trim.strategy {
            TrimStrategy::MaxLen(n) => (Some(n), None),
            TrimStrategy::MinId(id) => (None, Some(id)),
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

    pub(crate) fn push(&self, line: &mut Line) {
        line.opt("--maxlen", self.maxlen)
            .opt("--minid", self.minid)
            .flag("--approx", self.approx)
            .opt("--limit", self.limit);
    }
}

/// The options of the appending commands (`append`, `publish`, `publish-batch`): the entry id, trimming and
/// NOMKSTREAM, as XADD takes them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Args)]
pub struct AppendArgs {
    /// The entry id: `*` (default), `MS-*` or `MS-SEQ`.
    #[arg(long)]
    pub entry_id: Option<AppendId>,
    /// Trimming after the append.
    #[command(flatten)]
    pub trim: TrimArgs,
    /// Do nothing (and print null) when the topic does not exist.
    #[arg(long)]
    pub nomkstream: bool,
}

impl AppendArgs {
    /// The options of an append with this id (`*` is printed as no `--entry-id`), trim and NOMKSTREAM.
    pub fn new(id: AppendId, trim: Option<&Trim>, nomkstream: bool) -> AppendArgs {
        AppendArgs {
            entry_id: (id != AppendId::Auto).then_some(id),
            trim: TrimArgs::from_trim(trim),
            nomkstream,
        }
    }

    /// The append options these arguments ask for.
    pub fn to_options(&self) -> Result<AppendOptions, Error> {
        let mut options = AppendOptions::new().id(self.entry_id.unwrap_or_default());
        if let Some(trim) = self.trim.to_trim()? {
            options = options.trim(trim);
        }
        if self.nomkstream {
            options = options.no_mkstream();
        }
        Ok(options)
    }

    pub(crate) fn push(&self, line: &mut Line) {
        line.opt("--entry-id", self.entry_id);
        self.trim.push(line);
        line.flag("--nomkstream", self.nomkstream);
    }
}
