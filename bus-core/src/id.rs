//! Stream entry ids (`<ms>-<seq>`) and the argument forms Redis accepts for them.
//!
//! Redis parses ids differently depending on the argument: XADD accepts `*` and `ms-*`, XRANGE accepts `-`, `+`
//! and exclusive `(` bounds, XREAD accepts `$`, XREADGROUP accepts `>`, and XACK/XDEL/XCLAIM reject `-` and `+`.
//! Each form has its own type here so a backend cannot accept an argument Redis would refuse, and every parser
//! reproduces Redis 7.0's `streamGenericParseIDOrReply` including its number parsing quirks (see [`parse_u64`]).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};

/// The id of a stream entry: milliseconds and a sequence number, ordered lexicographically.
///
/// Printed and parsed exactly like Redis: `1712345678901-0`. Parsing a bare `ms` fills the sequence with 0
/// (use [`RangeBound`] for range ends, where Redis fills it with `u64::MAX`).
///
/// ```
/// use bus_core::EntryId;
/// let id: EntryId = "1712345678901-3".parse().unwrap();
/// assert_eq!((id.ms, id.seq), (1712345678901, 3));
/// assert_eq!(id.to_string(), "1712345678901-3");
/// assert!(EntryId::new(5, 0) < EntryId::new(5, 1));
/// assert!("0-x".parse::<EntryId>().is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct EntryId {
    /// Milliseconds part (Unix time in milliseconds for generated ids).
    pub ms: u64,
    /// Sequence number within the millisecond.
    pub seq: u64,
}

impl EntryId {
    /// The smallest id, `0-0`. No entry can have it.
    pub const MIN: EntryId = EntryId { ms: 0, seq: 0 };
    /// The largest id, `18446744073709551615-18446744073709551615`.
    pub const MAX: EntryId = EntryId {
        ms: u64::MAX,
        seq: u64::MAX,
    };

    /// Builds an id from its two parts.
    pub const fn new(ms: u64, seq: u64) -> Self {
        EntryId { ms, seq }
    }

    /// The next id in order, or `None` after [`EntryId::MAX`] (Redis's `streamIncrID`).
    pub fn next(self) -> Option<EntryId> {
        match (self.seq.checked_add(1), self.ms.checked_add(1)) {
            (Some(seq), _) => Some(EntryId::new(self.ms, seq)),
            (None, Some(ms)) => Some(EntryId::new(ms, 0)),
            (None, None) => None,
        }
    }

    /// The previous id in order, or `None` before [`EntryId::MIN`] (Redis's `streamDecrID`).
    pub fn prev(self) -> Option<EntryId> {
        match (self.seq.checked_sub(1), self.ms.checked_sub(1)) {
            (Some(seq), _) => Some(EntryId::new(self.ms, seq)),
            (None, Some(ms)) => Some(EntryId::new(ms, u64::MAX)),
            (None, None) => None,
        }
    }

    /// Parses a strict id (`ms` or `ms-seq`; `-` and `+` rejected), as XACK, XDEL, XCLAIM, XREAD and XGROUP CREATE do.
    /// A bare `ms` gets sequence `missing_seq`.
    pub fn parse_strict(text: &str, missing_seq: u64) -> Result<EntryId> {
        match parse_generic(text, missing_seq, true)? {
            Parsed::Full(id) => Ok(id),
            Parsed::AutoSeq(_) => Err(Error::invalid_id()),
        }
    }

    /// Parses an id where Redis also accepts `-` (0-0) and `+` (max), as XGROUP SETID and range bounds do.
    pub fn parse_lenient(text: &str, missing_seq: u64) -> Result<EntryId> {
        match parse_generic(text, missing_seq, false)? {
            Parsed::Full(id) => Ok(id),
            Parsed::AutoSeq(_) => Err(Error::invalid_id()),
        }
    }
}

impl fmt::Display for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

impl fmt::Debug for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EntryId({self})")
    }
}

impl FromStr for EntryId {
    type Err = Error;

    /// Parses `ms-seq` or `ms` (sequence 0), rejecting `-`, `+` and `ms-*`.
    fn from_str(s: &str) -> Result<Self> {
        EntryId::parse_strict(s, 0)
    }
}

impl Serialize for EntryId {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for EntryId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Outcome of the generic parser: a full id, or `ms-*` (sequence to be generated).
enum Parsed {
    Full(EntryId),
    AutoSeq(u64),
}

/// Redis's `streamGenericParseIDOrReply`: the one parser behind every id argument.
fn parse_generic(text: &str, missing_seq: u64, strict: bool) -> Result<Parsed> {
    // Redis copies the argument into a 128-byte buffer and refuses anything longer.
    if text.len() > 127 {
        return Err(Error::invalid_id());
    }
    match text {
        "-" | "+" if strict => return Err(Error::invalid_id()),
        "-" => return Ok(Parsed::Full(EntryId::MIN)),
        "+" => return Ok(Parsed::Full(EntryId::MAX)),
        _ => {}
    }
    let (ms_text, seq_text) = match text.split_once('-') {
        Some((ms, seq)) => (ms, Some(seq)),
        None => (text, None),
    };
    let ms = parse_u64(ms_text).ok_or_else(Error::invalid_id)?;
    match seq_text {
        None => Ok(Parsed::Full(EntryId::new(ms, missing_seq))),
        Some("*") => Ok(Parsed::AutoSeq(ms)),
        Some(seq) => {
            let seq = parse_u64(seq).ok_or_else(Error::invalid_id)?;
            Ok(Parsed::Full(EntryId::new(ms, seq)))
        }
    }
}

/// Parses an unsigned number exactly like Redis's `string2ull`, quirks included.
///
/// Redis first tries its strict `string2ll` (canonical decimal, no leading zeros, no sign but `-`) and rejects
/// negative results; when that fails it falls back to C's `strtoull`, which skips leading white space, accepts a
/// `+` or `-` sign and leading zeros, and negates modulo 2^64 on `-`. So `+7`, ` 7` and `007` are 7, `-1` is
/// invalid, but `-0` is 0 and `-01` is 18446744073709551615. Values above `u64::MAX` are invalid.
///
/// ```
/// use bus_core::id::parse_u64;
/// assert_eq!(parse_u64("42"), Some(42));
/// assert_eq!(parse_u64("+42"), Some(42));
/// assert_eq!(parse_u64("-1"), None);
/// assert_eq!(parse_u64("-01"), Some(u64::MAX));
/// assert_eq!(parse_u64("18446744073709551616"), None);
/// ```
pub fn parse_u64(text: &str) -> Option<u64> {
    if let Some(value) = parse_i64_strict(text) {
        return u64::try_from(value).ok();
    }
    parse_strtoull(text)
}

/// Redis's `string2ll`: optional `-`, then a canonical decimal (no leading zeros), within `i64`. Listpacks
/// decide with the same rule (`lpStringToInt64`) whether a string is stored as an integer.
///
/// ```
/// use bus_core::id::parse_i64_strict;
/// assert_eq!(parse_i64_strict("-42"), Some(-42));
/// assert_eq!(parse_i64_strict("-9223372036854775808"), Some(i64::MIN));
/// for not_canonical in ["042", "-0", "+1", " 1", "", "-"] {
///     assert_eq!(parse_i64_strict(not_canonical), None);
/// }
/// ```
pub fn parse_i64_strict(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    if bytes == b"0" {
        return Some(0);
    }
    let (negative, digits) = match bytes.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, bytes),
    };
    match digits.first() {
        Some(b'1'..=b'9') => {}
        _ => return None,
    }
    let mut magnitude: u64 = 0;
    for &b in digits {
        if !b.is_ascii_digit() {
            return None;
        }
        magnitude = magnitude.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    if negative {
        if magnitude == 1u64 << 63 {
            Some(i64::MIN)
        } else {
            i64::try_from(magnitude).ok().map(|v| -v)
        }
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// C's `strtoull(s, &end, 10)` with Redis's checks: the whole string consumed, no `ERANGE`.
fn parse_strtoull(text: &str) -> Option<u64> {
    let trimmed = text.trim_start_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r']);
    let (negative, digits) = match trimmed.as_bytes().split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, trimmed.as_bytes()),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut value: u64 = 0;
    for &b in digits {
        value = value.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(if negative { value.wrapping_neg() } else { value })
}

/// The id argument of an append (XADD): generated, partially generated or explicit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum AppendId {
    /// `*`: the backend generates `<now ms>-<seq>`, never going backwards.
    #[default]
    Auto,
    /// `ms-*`: the given milliseconds with the next free sequence number.
    AutoSeq(u64),
    /// `ms-seq` (or `ms`, sequence 0): exactly this id, which must be above the stream's last id.
    Explicit(EntryId),
}

impl FromStr for AppendId {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        if s == "*" {
            return Ok(AppendId::Auto);
        }
        match parse_generic(s, 0, true)? {
            Parsed::Full(id) => Ok(AppendId::Explicit(id)),
            Parsed::AutoSeq(ms) => Ok(AppendId::AutoSeq(ms)),
        }
    }
}

impl fmt::Display for AppendId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppendId::Auto => f.write_str("*"),
            AppendId::AutoSeq(ms) => write!(f, "{ms}-*"),
            AppendId::Explicit(id) => id.fmt(f),
        }
    }
}

impl From<EntryId> for AppendId {
    fn from(id: EntryId) -> Self {
        AppendId::Explicit(id)
    }
}

/// One end of a range query (XRANGE, XREVRANGE, XPENDING, XAUTOCLAIM's start).
///
/// `-` and `+` are [`EntryId::MIN`] and [`EntryId::MAX`]; a bare `ms` means `ms-0` as a start and
/// `ms-18446744073709551615` as an end, which is why the parsers take the role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RangeBound {
    /// The id itself is included.
    Inclusive(EntryId),
    /// `(id`: the id itself is excluded.
    Exclusive(EntryId),
}

impl RangeBound {
    /// `-`: from the very first entry.
    pub const MIN: RangeBound = RangeBound::Inclusive(EntryId::MIN);
    /// `+`: up to the very last entry.
    pub const MAX: RangeBound = RangeBound::Inclusive(EntryId::MAX);

    /// Parses a range start (`-`, `ms`, `ms-seq`, `(ms`, `(ms-seq`).
    pub fn parse_start(text: &str) -> Result<RangeBound> {
        Self::parse(text, 0)
    }

    /// Parses a range end (`+`, `ms`, `ms-seq`, `(ms`, `(ms-seq`).
    pub fn parse_end(text: &str) -> Result<RangeBound> {
        Self::parse(text, u64::MAX)
    }

    /// Redis's `streamParseIntervalIDOrReply`: `(` switches to the strict parser.
    fn parse(text: &str, missing_seq: u64) -> Result<RangeBound> {
        match text.strip_prefix('(') {
            Some(rest) if !rest.is_empty() => Ok(RangeBound::Exclusive(EntryId::parse_strict(rest, missing_seq)?)),
            _ => Ok(RangeBound::Inclusive(EntryId::parse_lenient(text, missing_seq)?)),
        }
    }

    /// The inclusive id this bound starts at, or `None` when the range is empty (`(` + max).
    /// Fails like Redis with `invalid start ID for the interval`.
    pub fn resolve_start(self) -> Result<EntryId> {
        match self {
            RangeBound::Inclusive(id) => Ok(id),
            RangeBound::Exclusive(id) => id
                .next()
                .ok_or_else(|| Error::invalid_argument("ERR invalid start ID for the interval")),
        }
    }

    /// The inclusive id this bound ends at. Fails like Redis with `invalid end ID for the interval`.
    pub fn resolve_end(self) -> Result<EntryId> {
        match self {
            RangeBound::Inclusive(id) => Ok(id),
            RangeBound::Exclusive(id) => id
                .prev()
                .ok_or_else(|| Error::invalid_argument("ERR invalid end ID for the interval")),
        }
    }
}

impl fmt::Display for RangeBound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RangeBound::Inclusive(EntryId::MIN) => f.write_str("-"),
            RangeBound::Inclusive(EntryId::MAX) => f.write_str("+"),
            RangeBound::Inclusive(id) => id.fmt(f),
            RangeBound::Exclusive(id) => write!(f, "({id}"),
        }
    }
}

impl From<EntryId> for RangeBound {
    fn from(id: EntryId) -> Self {
        RangeBound::Inclusive(id)
    }
}

/// Where a plain read (XREAD) starts: strictly after an id, or `$` (only entries appended from now on).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReadCursor {
    /// Entries with an id strictly greater than this one.
    After(EntryId),
    /// `$`: entries appended after the call started (only meaningful when blocking).
    New,
}

impl FromStr for ReadCursor {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        if s == "$" {
            return Ok(ReadCursor::New);
        }
        Ok(ReadCursor::After(EntryId::parse_strict(s, 0)?))
    }
}

impl fmt::Display for ReadCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadCursor::After(id) => id.fmt(f),
            ReadCursor::New => f.write_str("$"),
        }
    }
}

/// What a group read (XREADGROUP) asks for: new entries (`>`) or the consumer's own pending history.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GroupCursor {
    /// `>`: entries never delivered to the group; they become pending for the consumer (unless NOACK).
    New,
    /// The consumer's pending entries with an id strictly greater than this one.
    History(EntryId),
}

impl FromStr for GroupCursor {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            ">" => Ok(GroupCursor::New),
            "$" => Err(Error::invalid_argument(
                "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.",
            )),
            _ => Ok(GroupCursor::History(EntryId::parse_strict(s, 0)?)),
        }
    }
}

impl fmt::Display for GroupCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GroupCursor::New => f.write_str(">"),
            GroupCursor::History(id) => id.fmt(f),
        }
    }
}

/// The position of a consumer group (XGROUP CREATE / SETID): an id, or `$` (the stream's last id).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GroupStart {
    /// The group's last-delivered id becomes this id; `0` delivers the whole stream.
    Id(EntryId),
    /// `$`: the stream's last generated id, so only entries appended later are delivered.
    Last,
}

impl GroupStart {
    /// Parses the id of XGROUP SETID, which (unlike CREATE) also accepts `-` and `+`.
    pub fn parse_setid(s: &str) -> Result<Self> {
        if s == "$" {
            return Ok(GroupStart::Last);
        }
        Ok(GroupStart::Id(EntryId::parse_lenient(s, 0)?))
    }
}

impl FromStr for GroupStart {
    type Err = Error;

    /// Parses the id of XGROUP CREATE: `$` or a strict id (`-` and `+` rejected).
    fn from_str(s: &str) -> Result<Self> {
        if s == "$" {
            return Ok(GroupStart::Last);
        }
        Ok(GroupStart::Id(EntryId::parse_strict(s, 0)?))
    }
}

impl fmt::Display for GroupStart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GroupStart::Id(id) => id.fmt(f),
            GroupStart::Last => f.write_str("$"),
        }
    }
}

impl From<EntryId> for GroupStart {
    fn from(id: EntryId) -> Self {
        GroupStart::Id(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(ms: u64, seq: u64) -> EntryId {
        EntryId::new(ms, seq)
    }

    #[test]
    fn parses_and_prints_like_redis() {
        assert_eq!("5-3".parse::<EntryId>().unwrap(), id(5, 3));
        assert_eq!("5".parse::<EntryId>().unwrap(), id(5, 0));
        assert_eq!(id(1712345678901, 0).to_string(), "1712345678901-0");
        assert_eq!(EntryId::MAX.to_string(), "18446744073709551615-18446744073709551615");
        assert_eq!(
            "18446744073709551615-18446744073709551615".parse::<EntryId>().unwrap(),
            EntryId::MAX
        );
    }

    #[test]
    fn number_quirks_follow_string2ull() {
        // Each of these was checked against `redis-cli XRANGE` on Redis 7.0.15.
        assert_eq!(EntryId::parse_strict("+5-+1", 0).unwrap(), id(5, 1));
        assert_eq!(EntryId::parse_strict("007-01", 0).unwrap(), id(7, 1));
        assert_eq!(EntryId::parse_strict(" 7", 0).unwrap(), id(7, 0));
        assert_eq!(EntryId::parse_strict("5--0", 0).unwrap(), id(5, 0));
        assert_eq!(EntryId::parse_strict("5--01", 0).unwrap(), id(5, u64::MAX));
        for bad in [
            "",
            "5-",
            "-5",
            "5--1",
            "5-x",
            "x",
            "5 ",
            "5-3-",
            "18446744073709551616",
            "5-18446744073709551616",
            "0x10",
            "1.5",
        ] {
            assert!(EntryId::parse_strict(bad, 0).is_err(), "{bad:?} must be rejected");
        }
        assert!(EntryId::parse_strict(&"1".repeat(128), 0).is_err());
    }

    #[test]
    fn special_ids_depend_on_the_argument() {
        assert!(EntryId::parse_strict("-", 0).is_err());
        assert!(EntryId::parse_strict("+", 0).is_err());
        assert_eq!(EntryId::parse_lenient("-", 0).unwrap(), EntryId::MIN);
        assert_eq!(EntryId::parse_lenient("+", 0).unwrap(), EntryId::MAX);
        assert!("5-*".parse::<EntryId>().is_err());
        assert_eq!("5-*".parse::<AppendId>().unwrap(), AppendId::AutoSeq(5));
        assert_eq!("*".parse::<AppendId>().unwrap(), AppendId::Auto);
        assert_eq!("7".parse::<AppendId>().unwrap(), AppendId::Explicit(id(7, 0)));
        assert!("+".parse::<AppendId>().is_err());
        assert_eq!("$".parse::<ReadCursor>().unwrap(), ReadCursor::New);
        assert_eq!(">".parse::<GroupCursor>().unwrap(), GroupCursor::New);
        assert!(
            "$".parse::<GroupCursor>()
                .unwrap_err()
                .to_string()
                .starts_with("ERR The $ ID is meaningless")
        );
        assert_eq!("$".parse::<GroupStart>().unwrap(), GroupStart::Last);
        assert!("-".parse::<GroupStart>().is_err());
        assert_eq!(GroupStart::parse_setid("-").unwrap(), GroupStart::Id(EntryId::MIN));
        assert!("-".parse::<ReadCursor>().is_err());
        assert!("+".parse::<GroupCursor>().is_err());
    }

    #[test]
    fn range_bounds_fill_the_sequence_by_role() {
        assert_eq!(RangeBound::parse_start("5").unwrap(), RangeBound::Inclusive(id(5, 0)));
        assert_eq!(
            RangeBound::parse_end("5").unwrap(),
            RangeBound::Inclusive(id(5, u64::MAX))
        );
        assert_eq!(
            RangeBound::parse_start("(5-1").unwrap(),
            RangeBound::Exclusive(id(5, 1))
        );
        assert_eq!(
            RangeBound::parse_end("(5").unwrap(),
            RangeBound::Exclusive(id(5, u64::MAX))
        );
        assert!(RangeBound::parse_start("(-").is_err());
        assert!(RangeBound::parse_end("(+").is_err());
        assert_eq!(
            RangeBound::parse_start("(").unwrap_err().to_string(),
            Error::invalid_id().to_string()
        );
        assert_eq!(RangeBound::parse_start("-").unwrap(), RangeBound::MIN);
        assert_eq!(RangeBound::parse_end("+").unwrap(), RangeBound::MAX);
    }

    #[test]
    fn exclusive_bounds_at_the_edges_fail_with_redis_wording() {
        let start = RangeBound::Exclusive(EntryId::MAX).resolve_start().unwrap_err();
        assert_eq!(start.to_string(), "ERR invalid start ID for the interval");
        let end = RangeBound::Exclusive(EntryId::MIN).resolve_end().unwrap_err();
        assert_eq!(end.to_string(), "ERR invalid end ID for the interval");
        assert_eq!(
            RangeBound::Exclusive(id(5, u64::MAX)).resolve_start().unwrap(),
            id(6, 0)
        );
        assert_eq!(RangeBound::Exclusive(id(6, 0)).resolve_end().unwrap(), id(5, u64::MAX));
    }

    #[test]
    fn next_and_prev_carry_across_milliseconds() {
        assert_eq!(id(1, u64::MAX).next(), Some(id(2, 0)));
        assert_eq!(EntryId::MAX.next(), None);
        assert_eq!(id(2, 0).prev(), Some(id(1, u64::MAX)));
        assert_eq!(EntryId::MIN.prev(), None);
    }

    #[test]
    fn serde_uses_the_text_form() {
        let json = serde_json::to_string(&id(3, 4)).unwrap();
        assert_eq!(json, "\"3-4\"");
        assert_eq!(serde_json::from_str::<EntryId>(&json).unwrap(), id(3, 4));
    }
}
