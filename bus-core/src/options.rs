//! Options of the [`Backend`](crate::Backend) operations, as builders that can grow without breaking callers.
//!
//! Each option mirrors a Redis argument and keeps its semantics; the `validate` methods reproduce the checks
//! (and messages) Redis applies before touching any key, so every backend rejects the same calls the same way.

use std::time::Duration;

use crate::error::{Error, Result};
use crate::id::{AppendId, EntryId, RangeBound};

/// The largest value Redis accepts where it parses a signed 64-bit integer (MAXLEN, LIMIT, ENTRIESREAD, …).
pub const MAX_REDIS_INTEGER: u64 = i64::MAX as u64;

/// Entries per node in Redis's stream representation with `stream-node-max-bytes 0` (the default
/// `stream-node-max-entries`). Approximate trimming removes whole nodes only.
pub const NODE_MAX_ENTRIES: u64 = 100;

/// Default work bound of approximate trimming when no LIMIT is given (`100 * stream-node-max-entries`).
pub const DEFAULT_APPROX_TRIM_LIMIT: u64 = 100 * NODE_MAX_ENTRIES;

fn check_integer(value: u64) -> Result<()> {
    if value > MAX_REDIS_INTEGER {
        return Err(Error::invalid_argument("ERR value is not an integer or out of range"));
    }
    Ok(())
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// A BLOCK timeout as Redis parses it: milliseconds in a signed 64-bit integer.
fn check_block(block: Option<Duration>) -> Result<()> {
    match block {
        Some(block) if millis(block) > MAX_REDIS_INTEGER => {
            Err(Error::invalid_argument("ERR timeout is not an integer or out of range"))
        }
        _ => Ok(()),
    }
}

/// Redis's arity error, `ERR wrong number of arguments for '<command>' command` (`command` in lower case).
pub fn arity_error(command: &str) -> Error {
    Error::invalid_argument(format!("ERR wrong number of arguments for '{command}' command"))
}

/// Checks that a command taking a list of ids (XDEL, XACK, XCLAIM: `command` in lower case) got at least one:
/// Redis rejects the call by its arity, before looking at the key.
///
/// ```
/// use bus_core::{EntryId, options::validate_ids};
/// assert!(validate_ids(&[EntryId::new(1, 0)], "xdel").is_ok());
/// assert_eq!(validate_ids(&[], "xack").unwrap_err().to_string(), "ERR wrong number of arguments for 'xack' command");
/// ```
pub fn validate_ids(ids: &[EntryId], command: &str) -> Result<()> {
    if ids.is_empty() {
        return Err(arity_error(command));
    }
    Ok(())
}

/// A read of no topic: Redis's arity error when the command line would be too short for its arity (`words`
/// option words before STREAMS, against the `minimum` words beyond them), its syntax error otherwise.
fn check_topics(topics: usize, words: usize, minimum: usize, command: &str) -> Result<()> {
    match topics {
        0 if words < minimum => Err(arity_error(command)),
        0 => Err(Error::syntax()),
        _ => Ok(()),
    }
}

/// Checks the COUNT of XRANGE and XREVRANGE as Redis parses it (a signed 64-bit integer; `None` or 0 is
/// accepted).
///
/// ```
/// use bus_core::options::{validate_count, MAX_REDIS_INTEGER};
/// assert!(validate_count(Some(MAX_REDIS_INTEGER)).is_ok());
/// let err = validate_count(Some(MAX_REDIS_INTEGER + 1)).unwrap_err();
/// assert_eq!(err.to_string(), "ERR value is not an integer or out of range");
/// ```
pub fn validate_count(count: Option<u64>) -> Result<()> {
    count.map_or(Ok(()), check_integer)
}

/// What a trim keeps: the newest N entries, or the entries at or above an id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TrimStrategy {
    /// `MAXLEN n`: keep at most n entries.
    MaxLen(u64),
    /// `MINID id`: remove entries with an id below this one.
    MinId(EntryId),
}

/// A trim request (XTRIM, or the trimming part of XADD).
///
/// ```
/// use bus_core::Trim;
/// let exact = Trim::maxlen(1000);
/// let cheap = Trim::maxlen(1000).approx().limit(500);
/// assert!(exact.validate().is_ok() && cheap.validate().is_ok());
/// assert!(Trim::maxlen(10).limit(5).validate().is_err()); // LIMIT needs `~`, as in Redis
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Trim {
    /// What to keep.
    pub strategy: TrimStrategy,
    /// `~`: remove only whole nodes, possibly keeping more than asked (cheaper).
    pub approx: bool,
    /// `LIMIT n`: with `~`, remove at most about n entries per call; 0 means no bound.
    pub limit: Option<u64>,
}

impl Trim {
    /// `MAXLEN = n`.
    pub fn maxlen(len: u64) -> Trim {
        Trim {
            strategy: TrimStrategy::MaxLen(len),
            approx: false,
            limit: None,
        }
    }

    /// `MINID = id`.
    pub fn minid(id: EntryId) -> Trim {
        Trim {
            strategy: TrimStrategy::MinId(id),
            approx: false,
            limit: None,
        }
    }

    /// Switches to approximate trimming (`~`).
    pub fn approx(mut self) -> Trim {
        self.approx = true;
        self
    }

    /// Bounds the work of approximate trimming (`LIMIT n`).
    pub fn limit(mut self, limit: u64) -> Trim {
        self.limit = Some(limit);
        self
    }

    /// The checks Redis makes while parsing the arguments.
    pub fn validate(&self) -> Result<()> {
        if let TrimStrategy::MaxLen(len) = self.strategy {
            check_integer(len)?;
        }
        if let Some(limit) = self.limit {
            check_integer(limit)?;
            if !self.approx {
                return Err(Error::invalid_argument(
                    "ERR syntax error, LIMIT cannot be used without the special ~ option",
                ));
            }
        }
        Ok(())
    }

    /// The work bound in force: the given LIMIT, or Redis's default for `~` (with the default
    /// `stream-node-max-entries`), or none (0) for exact trims.
    pub fn effective_limit(&self) -> u64 {
        self.effective_limit_with(DEFAULT_APPROX_TRIM_LIMIT)
    }

    /// [`Trim::effective_limit`] where a `~` without LIMIT is bounded by `default_approx` (Redis derives it from
    /// `stream-node-max-entries`).
    pub fn effective_limit_with(&self, default_approx: u64) -> u64 {
        match (self.approx, self.limit) {
            (false, _) => 0,
            (true, Some(limit)) => limit,
            (true, None) => default_approx,
        }
    }
}

/// Options of an append (XADD).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AppendOptions {
    /// The id to use; generated by default.
    pub id: AppendId,
    /// `NOMKSTREAM`: do nothing (and return `None`) when the topic does not exist.
    pub no_mkstream: bool,
    /// Trim after appending.
    pub trim: Option<Trim>,
}

impl AppendOptions {
    /// Defaults: generated id, create the topic, no trimming.
    pub fn new() -> AppendOptions {
        AppendOptions::default()
    }

    /// Uses this id (`*`, `ms-*` or explicit).
    pub fn id(mut self, id: impl Into<AppendId>) -> AppendOptions {
        self.id = id.into();
        self
    }

    /// Does not create a missing topic.
    pub fn no_mkstream(mut self) -> AppendOptions {
        self.no_mkstream = true;
        self
    }

    /// Trims after appending.
    pub fn trim(mut self, trim: Trim) -> AppendOptions {
        self.trim = Some(trim);
        self
    }

    /// The checks Redis makes before touching the key.
    pub fn validate(&self) -> Result<()> {
        if let Some(trim) = &self.trim {
            trim.validate()?;
        }
        if self.id == AppendId::Explicit(EntryId::MIN) {
            return Err(Error::invalid_argument(
                "ERR The ID specified in XADD must be greater than 0-0",
            ));
        }
        Ok(())
    }
}

/// Options of a plain read (XREAD).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReadOptions {
    /// `COUNT n`: at most n entries per topic; `None` or 0 means no limit (as in Redis).
    pub count: Option<u64>,
    /// `BLOCK ms`: wait this long for entries when there are none; [`Duration::ZERO`] waits forever.
    pub block: Option<Duration>,
}

impl ReadOptions {
    /// Non-blocking, unlimited.
    pub fn new() -> ReadOptions {
        ReadOptions::default()
    }

    /// At most n entries per topic.
    pub fn count(mut self, count: u64) -> ReadOptions {
        self.count = Some(count);
        self
    }

    /// Blocks up to this long ([`Duration::ZERO`]: forever).
    pub fn block(mut self, block: Duration) -> ReadOptions {
        self.block = Some(block);
        self
    }

    /// The checks Redis makes while parsing XREAD's options: COUNT and BLOCK must fit a signed 64-bit integer.
    ///
    /// ```
    /// use std::time::Duration;
    /// use bus_core::ReadOptions;
    /// assert!(ReadOptions::new().count(10).block(Duration::from_secs(5)).validate().is_ok());
    /// let forever_and_more = ReadOptions::new().block(Duration::from_millis(u64::MAX));
    /// assert_eq!(
    ///     forever_and_more.validate().unwrap_err().to_string(),
    ///     "ERR timeout is not an integer or out of range"
    /// );
    /// ```
    pub fn validate(&self) -> Result<()> {
        validate_count(self.count)?;
        check_block(self.block)
    }

    /// The check Redis makes of an XREAD over `topics` topics: none is an error (the arity error, or a syntax
    /// error once COUNT or BLOCK make the command long enough), as `XREAD STREAMS` and `XREAD COUNT 1 STREAMS`.
    pub fn validate_topics(&self, topics: usize) -> Result<()> {
        let words = 2 * usize::from(self.count.is_some()) + 2 * usize::from(self.block.is_some());
        check_topics(topics, words, 2, "xread")
    }
}

/// Options of a group read (XREADGROUP).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReadGroupOptions {
    /// `COUNT n`: at most n entries per topic; `None` or 0 means no limit.
    pub count: Option<u64>,
    /// `BLOCK ms`: wait this long for new entries (only with `>`); [`Duration::ZERO`] waits forever.
    pub block: Option<Duration>,
    /// `NOACK`: delivered entries are not added to the pending list.
    pub no_ack: bool,
}

impl ReadGroupOptions {
    /// Non-blocking, unlimited, acknowledged.
    pub fn new() -> ReadGroupOptions {
        ReadGroupOptions::default()
    }

    /// At most n entries per topic.
    pub fn count(mut self, count: u64) -> ReadGroupOptions {
        self.count = Some(count);
        self
    }

    /// Blocks up to this long ([`Duration::ZERO`]: forever).
    pub fn block(mut self, block: Duration) -> ReadGroupOptions {
        self.block = Some(block);
        self
    }

    /// Skips the pending list.
    pub fn no_ack(mut self) -> ReadGroupOptions {
        self.no_ack = true;
        self
    }

    /// The checks Redis makes while parsing XREADGROUP's options (COUNT, then BLOCK), as [`ReadOptions::validate`].
    pub fn validate(&self) -> Result<()> {
        validate_count(self.count)?;
        check_block(self.block)
    }

    /// The check Redis makes of an XREADGROUP over `topics` topics, as [`ReadOptions::validate_topics`] (NOACK
    /// counts one word).
    pub fn validate_topics(&self, topics: usize) -> Result<()> {
        let words =
            2 * usize::from(self.count.is_some()) + 2 * usize::from(self.block.is_some()) + usize::from(self.no_ack);
        check_topics(topics, words, 2, "xreadgroup")
    }
}

/// Options of group creation (XGROUP CREATE).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct GroupCreateOptions {
    /// `MKSTREAM`: create the topic (empty) when missing.
    pub mkstream: bool,
    /// `ENTRIESREAD n`: how many entries the group is considered to have read (lag bookkeeping).
    pub entries_read: Option<u64>,
}

impl GroupCreateOptions {
    /// Defaults: the topic must exist; entries-read unknown.
    pub fn new() -> GroupCreateOptions {
        GroupCreateOptions::default()
    }

    /// Creates the topic when missing.
    pub fn mkstream(mut self) -> GroupCreateOptions {
        self.mkstream = true;
        self
    }

    /// Sets the entries-read counter.
    pub fn entries_read(mut self, entries_read: u64) -> GroupCreateOptions {
        self.entries_read = Some(entries_read);
        self
    }

    /// The checks Redis makes while parsing XGROUP CREATE: ENTRIESREAD must fit a signed 64-bit integer.
    pub fn validate(&self) -> Result<()> {
        validate_entries_read(self.entries_read)
    }
}

/// Checks an ENTRIESREAD value (XGROUP CREATE, XGROUP SETID) as Redis parses it.
///
/// ```
/// use bus_core::options::{validate_entries_read, MAX_REDIS_INTEGER};
/// assert!(validate_entries_read(Some(MAX_REDIS_INTEGER)).is_ok());
/// assert!(validate_entries_read(Some(MAX_REDIS_INTEGER + 1)).is_err());
/// ```
pub fn validate_entries_read(entries_read: Option<u64>) -> Result<()> {
    entries_read.map_or(Ok(()), check_integer)
}

/// A detailed pending query (XPENDING with a range).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PendingQuery {
    /// First id (inclusive or exclusive).
    pub start: RangeBound,
    /// Last id (inclusive or exclusive).
    pub end: RangeBound,
    /// At most this many entries.
    pub count: u64,
    /// Only entries owned by this consumer.
    pub consumer: Option<String>,
    /// `IDLE ms`: only entries idle at least this long.
    pub min_idle: Option<Duration>,
}

impl PendingQuery {
    /// All pending entries from `start` to `end`, at most `count`.
    pub fn new(start: RangeBound, end: RangeBound, count: u64) -> PendingQuery {
        PendingQuery {
            start,
            end,
            count,
            consumer: None,
            min_idle: None,
        }
    }

    /// The whole pending list, at most `count` entries.
    pub fn all(count: u64) -> PendingQuery {
        PendingQuery::new(RangeBound::MIN, RangeBound::MAX, count)
    }

    /// Only this consumer's entries.
    pub fn consumer(mut self, consumer: impl Into<String>) -> PendingQuery {
        self.consumer = Some(consumer.into());
        self
    }

    /// Only entries idle at least this long.
    pub fn min_idle(mut self, idle: Duration) -> PendingQuery {
        self.min_idle = Some(idle);
        self
    }

    /// The checks Redis makes while parsing XPENDING's extended form, in its order: IDLE, the start and end ids
    /// (an exclusive bound at the smallest or largest id cannot be resolved), then COUNT.
    ///
    /// ```
    /// use bus_core::{PendingQuery, RangeBound, EntryId};
    /// assert!(PendingQuery::all(10).validate().is_ok());
    /// let past_the_end = PendingQuery::new(RangeBound::Exclusive(EntryId::MAX), RangeBound::MAX, 10);
    /// assert!(past_the_end.validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<()> {
        self.min_idle.map_or(Ok(()), |idle| check_integer(millis(idle)))?;
        self.start.resolve_start()?;
        self.end.resolve_end()?;
        check_integer(self.count)
    }
}

/// Options of a claim (XCLAIM).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClaimOptions {
    /// `IDLE ms`: set the claimed entries' idle time to this.
    pub idle: Option<Duration>,
    /// `TIME ms`: set their last delivery to this Unix time in milliseconds.
    pub time: Option<u64>,
    /// `RETRYCOUNT n`: set their delivery count to this.
    pub retry_count: Option<u64>,
    /// `FORCE`: create pending entries for ids not pending (if they exist in the stream).
    pub force: bool,
    /// `JUSTID`: return ids only and do not increment delivery counts.
    pub just_id: bool,
    /// `LASTID id`: raise the group's last-delivered id to this if it is below.
    pub last_id: Option<EntryId>,
}

impl ClaimOptions {
    /// Defaults: no overrides.
    pub fn new() -> ClaimOptions {
        ClaimOptions::default()
    }

    /// Sets the idle time of claimed entries.
    pub fn idle(mut self, idle: Duration) -> ClaimOptions {
        self.idle = Some(idle);
        self
    }

    /// Sets the last delivery time (Unix ms) of claimed entries.
    pub fn time(mut self, unix_ms: u64) -> ClaimOptions {
        self.time = Some(unix_ms);
        self
    }

    /// Sets the delivery count of claimed entries.
    pub fn retry_count(mut self, count: u64) -> ClaimOptions {
        self.retry_count = Some(count);
        self
    }

    /// Claims ids that are not pending too (if they exist in the stream).
    pub fn force(mut self) -> ClaimOptions {
        self.force = true;
        self
    }

    /// Returns ids only, without incrementing delivery counts.
    pub fn just_id(mut self) -> ClaimOptions {
        self.just_id = true;
        self
    }

    /// Raises the group's last-delivered id.
    pub fn last_id(mut self, id: EntryId) -> ClaimOptions {
        self.last_id = Some(id);
        self
    }

    /// The checks Redis makes on the numeric options (each a signed 64-bit integer), with XCLAIM's wording.
    ///
    /// ```
    /// use std::time::Duration;
    /// use bus_core::ClaimOptions;
    /// assert!(ClaimOptions::new().retry_count(3).validate().is_ok());
    /// let err = ClaimOptions::new().time(u64::MAX).validate().unwrap_err();
    /// assert_eq!(err.to_string(), "ERR Invalid TIME option argument for XCLAIM");
    /// ```
    pub fn validate(&self) -> Result<()> {
        let check = |value: u64, option: &str| {
            if value > MAX_REDIS_INTEGER {
                return Err(Error::invalid_argument(format!(
                    "ERR Invalid {option} option argument for XCLAIM"
                )));
            }
            Ok(())
        };
        self.idle.map_or(Ok(()), |idle| check(millis(idle), "IDLE"))?;
        self.time.map_or(Ok(()), |time| check(time, "TIME"))?;
        self.retry_count.map_or(Ok(()), |count| check(count, "RETRYCOUNT"))
    }
}

/// Checks the min-idle-time of XCLAIM or XAUTOCLAIM (`command`) as Redis parses it, before anything else: a
/// number of milliseconds that fits a signed 64-bit integer.
///
/// ```
/// use std::time::Duration;
/// use bus_core::options::validate_min_idle;
/// assert!(validate_min_idle(Duration::from_secs(60), "XCLAIM").is_ok());
/// let err = validate_min_idle(Duration::MAX, "XAUTOCLAIM").unwrap_err();
/// assert_eq!(err.to_string(), "ERR Invalid min-idle-time argument for XAUTOCLAIM");
/// ```
pub fn validate_min_idle(min_idle: Duration, command: &str) -> Result<()> {
    if millis(min_idle) > MAX_REDIS_INTEGER {
        return Err(Error::invalid_argument(format!(
            "ERR Invalid min-idle-time argument for {command}"
        )));
    }
    Ok(())
}

/// Options of an automatic claim (XAUTOCLAIM).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AutoClaimOptions {
    /// `COUNT n`: claim at most n entries (Redis's default 100; 0 is rejected).
    pub count: u64,
    /// `JUSTID`: return ids only and do not increment delivery counts.
    pub just_id: bool,
}

impl Default for AutoClaimOptions {
    fn default() -> Self {
        AutoClaimOptions {
            count: 100,
            just_id: false,
        }
    }
}

impl AutoClaimOptions {
    /// The largest COUNT Redis accepts (`LONG_MAX / 16`).
    pub const MAX_COUNT: u64 = (i64::MAX as u64) / 16;

    /// Defaults: COUNT 100, full entries.
    pub fn new() -> AutoClaimOptions {
        AutoClaimOptions::default()
    }

    /// Claims at most n entries.
    pub fn count(mut self, count: u64) -> AutoClaimOptions {
        self.count = count;
        self
    }

    /// Returns ids only.
    pub fn just_id(mut self) -> AutoClaimOptions {
        self.just_id = true;
        self
    }

    /// The checks Redis makes on COUNT.
    pub fn validate(&self) -> Result<()> {
        if self.count == 0 || self.count > Self::MAX_COUNT {
            return Err(Error::invalid_argument("ERR COUNT must be > 0"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trim_checks_follow_redis() {
        assert!(Trim::maxlen(MAX_REDIS_INTEGER).validate().is_ok());
        let too_big = Trim::maxlen(MAX_REDIS_INTEGER + 1).validate().unwrap_err();
        assert_eq!(too_big.to_string(), "ERR value is not an integer or out of range");
        assert_eq!(
            Trim::maxlen(1).limit(1).validate().unwrap_err().to_string(),
            "ERR syntax error, LIMIT cannot be used without the special ~ option"
        );
        assert_eq!(Trim::maxlen(1).approx().effective_limit(), 10_000);
        assert_eq!(Trim::maxlen(1).approx().limit(0).effective_limit(), 0);
        assert_eq!(Trim::maxlen(1).effective_limit(), 0);
    }

    #[test]
    fn append_rejects_the_zero_id() {
        let err = AppendOptions::new().id(EntryId::MIN).validate().unwrap_err();
        assert_eq!(err.to_string(), "ERR The ID specified in XADD must be greater than 0-0");
        assert!(AppendOptions::new().id(AppendId::AutoSeq(0)).validate().is_ok());
    }

    #[test]
    fn reads_of_no_topic_fail_as_redis_parses_them() {
        let arity = |command: &str| format!("ERR wrong number of arguments for '{command}' command");
        assert_eq!(
            ReadOptions::new().validate_topics(0).unwrap_err().to_string(),
            arity("xread")
        );
        let counted = ReadOptions::new().count(1).validate_topics(0).unwrap_err();
        assert_eq!(counted.to_string(), "ERR syntax error");
        let blocking = ReadOptions::new().block(Duration::from_millis(10));
        assert_eq!(blocking.validate_topics(0).unwrap_err().to_string(), "ERR syntax error");
        assert!(ReadOptions::new().validate_topics(1).is_ok());
        let group = ReadGroupOptions::new();
        assert_eq!(group.validate_topics(0).unwrap_err().to_string(), arity("xreadgroup"));
        assert_eq!(
            group.no_ack().validate_topics(0).unwrap_err().to_string(),
            arity("xreadgroup")
        );
        let counted = ReadGroupOptions::new().count(1).validate_topics(0).unwrap_err();
        assert_eq!(counted.to_string(), "ERR syntax error");
        assert!(ReadGroupOptions::new().validate_topics(2).is_ok());
    }

    #[test]
    fn autoclaim_count_bounds() {
        assert_eq!(
            AutoClaimOptions::new().count(0).validate().unwrap_err().to_string(),
            "ERR COUNT must be > 0"
        );
        assert!(
            AutoClaimOptions::new()
                .count(AutoClaimOptions::MAX_COUNT)
                .validate()
                .is_ok()
        );
        assert!(
            AutoClaimOptions::new()
                .count(AutoClaimOptions::MAX_COUNT + 1)
                .validate()
                .is_err()
        );
    }
}
