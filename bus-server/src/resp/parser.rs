//! The request parser: Redis 7.0's `processMultibulkBuffer` and `processInlineBuffer`, incremental over a
//! [`BytesMut`] that the connection fills as bytes arrive.
//!
//! A request that starts with `*` is a multibulk (`*<n>\r\n` then `n` times `$<len>\r\n<bytes>\r\n`); anything
//! else is an inline line. The parser consumes what it has parsed and keeps its position inside a multibulk
//! across calls, so any split of a byte stream into chunks yields the same requests. It reproduces Redis's
//! quirks: headers are found with `strchr` (a NUL byte before the `\r` hides it), the two bytes after a bulk are
//! skipped without being checked, and an empty or non-positive multibulk is an empty request (ignored).
//!
//! Memory stays bounded by the limits: a header line may not exceed [`INLINE_MAX_SIZE`] without its line ending,
//! a bulk is read only once its bytes have arrived (nothing is reserved from a length the client announces), and
//! an argument vector is preallocated for at most 1024 arguments.

use bytes::{Buf, Bytes, BytesMut};

use super::inline::split_args;
use super::number::parse_i64;

/// Redis's `PROTO_INLINE_MAX_SIZE`: the longest inline request, and the longest a multibulk or bulk header may
/// grow before its `\r` arrives.
pub const INLINE_MAX_SIZE: usize = 64 * 1024;

/// The most arguments an unauthenticated client may send in one multibulk.
pub const UNAUTHENTICATED_MAX_ARGS: i64 = 10;

/// The longest bulk an unauthenticated client may send.
pub const UNAUTHENTICATED_MAX_BULK: i64 = 16384;

/// Arguments preallocated for a multibulk, whatever it announces (Redis's cap of 1024).
const PREALLOCATED_ARGS: usize = 1024;

/// The parser's limits: `proto-max-bulk-len` (512 MB by default); multibulk lengths are capped at `i32::MAX`
/// as Redis caps them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParserLimits {
    /// The longest bulk argument accepted.
    pub max_bulk_len: i64,
}

impl Default for ParserLimits {
    fn default() -> Self {
        ParserLimits {
            max_bulk_len: 512 * 1024 * 1024,
        }
    }
}

/// A protocol error: the text of the error reply (without `-ERR `); the connection is closed after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProtocolError {
    /// `*<n>` is not a number, or above `i32::MAX`.
    InvalidMultibulkLength,
    /// `$<n>` is not a number, negative, or above `proto-max-bulk-len`.
    InvalidBulkLength,
    /// A multibulk argument does not start with `$` (the byte found).
    ExpectedDollar(u8),
    /// An inline line has an unterminated quote, or a closing quote followed by a non-space.
    UnbalancedQuotes,
    /// An inline line longer than [`INLINE_MAX_SIZE`] without a line ending.
    TooBigInlineRequest,
    /// A multibulk header longer than [`INLINE_MAX_SIZE`] without its `\r`.
    TooBigMultibulkCount,
    /// A bulk header longer than [`INLINE_MAX_SIZE`] without its `\r`.
    TooBigBulkCount,
    /// More than [`UNAUTHENTICATED_MAX_ARGS`] arguments before authentication.
    UnauthenticatedMultibulkLength,
    /// A bulk above [`UNAUTHENTICATED_MAX_BULK`] bytes before authentication.
    UnauthenticatedBulkLength,
}

impl ProtocolError {
    /// The error reply, exactly as Redis 7.0 words it.
    pub fn message(self) -> String {
        let what = match self {
            ProtocolError::InvalidMultibulkLength => "invalid multibulk length".to_owned(),
            ProtocolError::InvalidBulkLength => "invalid bulk length".to_owned(),
            ProtocolError::ExpectedDollar(byte) => format!("expected '$', got '{}'", char::from(byte)),
            ProtocolError::UnbalancedQuotes => "unbalanced quotes in request".to_owned(),
            ProtocolError::TooBigInlineRequest => "too big inline request".to_owned(),
            ProtocolError::TooBigMultibulkCount => "too big mbulk count string".to_owned(),
            ProtocolError::TooBigBulkCount => "too big bulk count string".to_owned(),
            ProtocolError::UnauthenticatedMultibulkLength => "unauthenticated multibulk length".to_owned(),
            ProtocolError::UnauthenticatedBulkLength => "unauthenticated bulk length".to_owned(),
        };
        format!("ERR Protocol error: {what}")
    }
}

/// A multibulk in progress.
#[derive(Debug)]
struct Multibulk {
    remaining: usize,
    args: Vec<Bytes>,
    /// The length of the bulk whose header was read and whose bytes have not all arrived.
    bulk_len: Option<usize>,
}

/// The incremental parser of one connection.
///
/// ```
/// use bytes::BytesMut;
/// use bus_server::resp::{ParserLimits, RequestParser};
/// let mut parser = RequestParser::new(ParserLimits::default());
/// let mut buf = BytesMut::from(&b"*2\r\n$4\r\nECHO\r\n$2\r\nh"[..]);
/// assert_eq!(parser.next_request(&mut buf, true), Ok(None)); // waits for the rest
/// buf.extend_from_slice(b"i\r\nPING\r\n");
/// let echo = parser.next_request(&mut buf, true).unwrap().unwrap();
/// assert_eq!(echo, vec![&b"ECHO"[..], &b"hi"[..]]);
/// let ping = parser.next_request(&mut buf, true).unwrap().unwrap();
/// assert_eq!(ping, vec![&b"PING"[..]]);
/// ```
#[derive(Debug)]
pub struct RequestParser {
    limits: ParserLimits,
    multibulk: Option<Multibulk>,
}

/// Where Redis's `strchr(pos, byte)` stops: the index of `byte`, or `None` when a NUL byte or the end of the
/// buffer comes first.
fn strchr(buf: &[u8], byte: u8) -> Option<usize> {
    buf.iter()
        .position(|&b| b == byte || b == 0)
        .filter(|&at| buf[at] == byte)
}

impl RequestParser {
    /// A parser between requests.
    pub fn new(limits: ParserLimits) -> RequestParser {
        RequestParser {
            limits,
            multibulk: None,
        }
    }

    /// Parses the next request out of `buf`, consuming its bytes: `Ok(None)` when more bytes are needed,
    /// `Ok(Some(args))` for a request (empty for an empty line or `*0`, which Redis ignores), an error when the
    /// input is not RESP. `authenticated` selects the tighter limits Redis applies before authentication.
    pub fn next_request(
        &mut self,
        buf: &mut BytesMut,
        authenticated: bool,
    ) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        match self.multibulk.take() {
            Some(multibulk) => self.continue_multibulk(buf, multibulk, authenticated),
            None if buf.is_empty() => Ok(None),
            None if buf[0] == b'*' => self.start_multibulk(buf, authenticated),
            None => Self::inline(buf),
        }
    }

    /// Changes the limits (`CONFIG SET proto-max-bulk-len` applies to the next header read).
    pub fn set_limits(&mut self, limits: ParserLimits) {
        self.limits = limits;
    }

    /// The bytes of a partly parsed request that the parser holds (they count toward the query buffer limit).
    pub fn buffered_len(&self) -> usize {
        self.multibulk
            .as_ref()
            .map_or(0, |multibulk| multibulk.args.iter().map(Bytes::len).sum())
    }

    /// Whether a request is partly parsed (its bytes consumed from the buffer).
    pub fn is_mid_request(&self) -> bool {
        self.multibulk.is_some()
    }

    fn inline(buf: &mut BytesMut) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        let Some(newline) = strchr(buf, b'\n') else {
            if buf.len() > INLINE_MAX_SIZE {
                return Err(ProtocolError::TooBigInlineRequest);
            }
            return Ok(None);
        };
        let end = if newline > 0 && buf[newline - 1] == b'\r' {
            newline - 1
        } else {
            newline
        };
        let args = split_args(&buf[..end]).map_err(|_| ProtocolError::UnbalancedQuotes)?;
        buf.advance(newline + 1);
        Ok(Some(args))
    }

    /// The number in a header line (`*<n>\r\n` or `$<n>\r\n`) at the start of `buf`, consuming the line;
    /// `Ok(None)` while its line ending has not arrived.
    fn header(buf: &mut BytesMut, too_big: ProtocolError) -> Result<Option<Option<i64>>, ProtocolError> {
        let Some(cr) = strchr(buf, b'\r') else {
            if buf.len() > INLINE_MAX_SIZE {
                return Err(too_big);
            }
            return Ok(None);
        };
        // The `\n` must have arrived too (it is skipped, not checked, as Redis does).
        if cr + 2 > buf.len() {
            return Ok(None);
        }
        // A line ending at the very start (`\r\n` where a bulk header belongs) has no number; the caller then
        // reports the missing `$`, as Redis checks the type byte before the number.
        let number = buf.get(1..cr).and_then(parse_i64);
        Ok(Some(number))
    }

    fn start_multibulk(
        &mut self,
        buf: &mut BytesMut,
        authenticated: bool,
    ) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        let Some(count) = Self::header(buf, ProtocolError::TooBigMultibulkCount)? else {
            return Ok(None);
        };
        let count = match count {
            Some(count) if count <= i64::from(i32::MAX) => count,
            _ => return Err(ProtocolError::InvalidMultibulkLength),
        };
        if count > UNAUTHENTICATED_MAX_ARGS && !authenticated {
            return Err(ProtocolError::UnauthenticatedMultibulkLength);
        }
        Self::skip_header(buf);
        let Ok(remaining) = usize::try_from(count) else {
            return Ok(Some(Vec::new()));
        };
        if remaining == 0 {
            return Ok(Some(Vec::new()));
        }
        let multibulk = Multibulk {
            remaining,
            args: Vec::with_capacity(remaining.min(PREALLOCATED_ARGS)),
            bulk_len: None,
        };
        self.continue_multibulk(buf, multibulk, authenticated)
    }

    /// Consumes a header line whose `\r\n` [`Self::header`] found.
    fn skip_header(buf: &mut BytesMut) {
        if let Some(cr) = strchr(buf, b'\r') {
            buf.advance(cr + 2);
        }
    }

    fn continue_multibulk(
        &mut self,
        buf: &mut BytesMut,
        mut multibulk: Multibulk,
        authenticated: bool,
    ) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        while multibulk.remaining > 0 {
            let len = match multibulk.bulk_len {
                Some(len) => len,
                None => {
                    let Some(len) = self.bulk_header(buf, authenticated)? else {
                        self.multibulk = Some(multibulk);
                        return Ok(None);
                    };
                    multibulk.bulk_len = Some(len);
                    len
                }
            };
            if buf.len() < len + 2 {
                self.multibulk = Some(multibulk);
                return Ok(None);
            }
            let arg = buf.split_to(len).freeze();
            buf.advance(2);
            multibulk.args.push(arg);
            multibulk.bulk_len = None;
            multibulk.remaining -= 1;
        }
        Ok(Some(multibulk.args))
    }

    /// Reads a `$<len>\r\n` header; `Ok(None)` while it is incomplete.
    fn bulk_header(&self, buf: &mut BytesMut, authenticated: bool) -> Result<Option<usize>, ProtocolError> {
        let Some(len) = Self::header(buf, ProtocolError::TooBigBulkCount)? else {
            return Ok(None);
        };
        if buf[0] != b'$' {
            return Err(ProtocolError::ExpectedDollar(buf[0]));
        }
        let len = match len {
            Some(len) if len >= 0 && len <= self.limits.max_bulk_len => len,
            _ => return Err(ProtocolError::InvalidBulkLength),
        };
        if len > UNAUTHENTICATED_MAX_BULK && !authenticated {
            return Err(ProtocolError::UnauthenticatedBulkLength);
        }
        Self::skip_header(buf);
        usize::try_from(len)
            .map(Some)
            .map_err(|_| ProtocolError::InvalidBulkLength)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(input: &[u8]) -> (Vec<Vec<Bytes>>, Option<ProtocolError>) {
        let mut parser = RequestParser::new(ParserLimits::default());
        let mut buf = BytesMut::from(input);
        let mut requests = Vec::new();
        loop {
            match parser.next_request(&mut buf, true) {
                Ok(Some(request)) => requests.push(request),
                Ok(None) => return (requests, None),
                Err(err) => return (requests, Some(err)),
            }
        }
    }

    #[test]
    fn errors_are_worded_as_redis_words_them() {
        let cases: [(&[u8], &str); 7] = [
            (b"*x\r\n", "ERR Protocol error: invalid multibulk length"),
            (b"*2147483648\r\n", "ERR Protocol error: invalid multibulk length"),
            (b"*1\r\nx\r\n", "ERR Protocol error: expected '$', got 'x'"),
            (b"*1\r\n$x\r\n", "ERR Protocol error: invalid bulk length"),
            (b"*1\r\n$-1\r\n", "ERR Protocol error: invalid bulk length"),
            (b"*1\r\n$536870913\r\n", "ERR Protocol error: invalid bulk length"),
            (b"PING \"a\r\n", "ERR Protocol error: unbalanced quotes in request"),
        ];
        for (input, message) in cases {
            let (_, err) = parse_all(input);
            assert_eq!(err.map(ProtocolError::message).as_deref(), Some(message), "{input:?}");
        }
    }

    /// Found by the `resp_request` fuzz target: a header `*2\r3\r\n` skips two bytes after its `\r`, leaving
    /// a bare `\r\n` where the first bulk header belongs; parsing its number used to panic.
    #[test]
    fn a_line_ending_where_a_bulk_header_belongs_is_a_missing_dollar() {
        let (requests, err) = parse_all(b"*2\r3\r\n$3\r\nSET\r\n");
        assert!(requests.is_empty());
        assert_eq!(err, Some(ProtocolError::ExpectedDollar(b'\r')));
        assert_eq!(
            ProtocolError::ExpectedDollar(b'\r').message(),
            "ERR Protocol error: expected '$', got '\r'"
        );
    }

    #[test]
    fn quirks_of_redis() {
        // Non-positive multibulks and empty lines are empty requests.
        let (requests, err) = parse_all(b"*-5\r\n\r\n*0\r\nPING\r\n");
        assert_eq!(err, None);
        assert_eq!(requests.len(), 4);
        assert_eq!(requests[3], vec![Bytes::from_static(b"PING")]);
        // The two bytes after a bulk are skipped unchecked.
        let (requests, _) = parse_all(b"*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n");
        assert_eq!(requests.len(), 2);
        // A NUL before the `\r` hides the header: Redis waits.
        let (requests, err) = parse_all(b"*1\r\n\0\r\n");
        assert_eq!((requests.len(), err), (0, None));
    }

    #[test]
    fn long_headers_are_refused_once_past_the_inline_limit() {
        let long = vec![b'1'; INLINE_MAX_SIZE + 1];
        let inline = parse_all(&long).1;
        assert_eq!(inline, Some(ProtocolError::TooBigInlineRequest));
        let mut multibulk = b"*".to_vec();
        multibulk.extend_from_slice(&long);
        assert_eq!(parse_all(&multibulk).1, Some(ProtocolError::TooBigMultibulkCount));
        let mut bulk = b"*1\r\n$".to_vec();
        bulk.extend_from_slice(&long);
        assert_eq!(parse_all(&bulk).1, Some(ProtocolError::TooBigBulkCount));
    }

    #[test]
    fn unauthenticated_limits() {
        let mut parser = RequestParser::new(ParserLimits::default());
        let mut buf = BytesMut::from(&b"*11\r\n"[..]);
        assert_eq!(
            parser.next_request(&mut buf, false),
            Err(ProtocolError::UnauthenticatedMultibulkLength)
        );
        let mut parser = RequestParser::new(ParserLimits::default());
        let mut buf = BytesMut::from(&b"*10\r\n$16385\r\n"[..]);
        assert_eq!(
            parser.next_request(&mut buf, false),
            Err(ProtocolError::UnauthenticatedBulkLength)
        );
        let mut buf = BytesMut::from(&b"*10\r\n$16384\r\n"[..]);
        let mut parser = RequestParser::new(ParserLimits::default());
        assert_eq!(parser.next_request(&mut buf, false), Ok(None));
    }

    #[test]
    fn the_bulk_limit_is_configurable() {
        let mut parser = RequestParser::new(ParserLimits { max_bulk_len: 3 });
        let mut buf = BytesMut::from(&b"*1\r\n$4\r\nPING\r\n"[..]);
        assert_eq!(
            parser.next_request(&mut buf, true),
            Err(ProtocolError::InvalidBulkLength)
        );
    }
}
