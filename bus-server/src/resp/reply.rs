//! Replies and their encodings: one [`Reply`] value, written as RESP2 or RESP3 depending on what the client
//! chose with `HELLO`, the way Redis 7.0's `addReply*` functions write them.
//!
//! | reply | RESP3 | RESP2 |
//! |---|---|---|
//! | [`Reply::Null`] | `_` | `$-1` (null bulk) |
//! | [`Reply::NullArray`] | `_` | `*-1` |
//! | [`Reply::Map`] | `%n` | flat array of `2n` |
//! | [`Reply::Pairs`] | `%n` | array of `n` two-element arrays (XREAD) |
//! | [`Reply::Set`] | `~n` | array |
//! | [`Reply::Double`] | `,` | bulk string |
//! | [`Reply::Boolean`] | `#t`/`#f` | integer 1/0 |
//! | [`Reply::Verbatim`] | `=len\r\ntxt:…` | bulk string of the text |

use bytes::{BufMut, Bytes, BytesMut};

/// The protocol a client speaks (`HELLO 2` or `HELLO 3`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Protocol {
    /// RESP2, the default of every new connection.
    #[default]
    Resp2,
    /// RESP3.
    Resp3,
}

impl Protocol {
    /// The protocol's number, as `HELLO` and `CLIENT INFO` show it.
    pub fn number(self) -> i64 {
        match self {
            Protocol::Resp2 => 2,
            Protocol::Resp3 => 3,
        }
    }
}

/// One reply.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// `+OK`: a status line.
    Simple(Bytes),
    /// `-ERR …`: the whole text, starting with its code (`ERR`, `WRONGTYPE`, `NOAUTH`, …).
    Error(Bytes),
    /// `:n`.
    Integer(i64),
    /// `$len`: a binary-safe string.
    Bulk(Bytes),
    /// A missing value (RESP2's null bulk).
    Null,
    /// A missing array (RESP2's null array, as XREAD's timeout).
    NullArray,
    /// An array.
    Array(Vec<Reply>),
    /// Key/value pairs (RESP2: a flat array).
    Map(Vec<(Reply, Reply)>),
    /// Key/value pairs that RESP2 sends as an array of `[key, value]` arrays (XREAD's streams).
    Pairs(Vec<(Reply, Reply)>),
    /// An unordered collection (RESP2: an array).
    Set(Vec<Reply>),
    /// A floating point number (RESP2: its text as a bulk).
    Double(f64),
    /// A boolean (RESP2: integer 1 or 0).
    Boolean(bool),
    /// Text with its format (`txt`), as INFO and CLIENT LIST send it (RESP2: a bulk).
    Verbatim(Bytes),
}

impl Reply {
    /// `+OK`.
    pub fn ok() -> Reply {
        Reply::simple("OK")
    }

    /// A status line.
    pub fn simple(text: &'static str) -> Reply {
        Reply::Simple(Bytes::from_static(text.as_bytes()))
    }

    /// An error reply of a full text (`ERR …`, `NOAUTH …`).
    pub fn error(text: impl Into<String>) -> Reply {
        Reply::Error(Bytes::from(text.into()))
    }

    /// A bulk string.
    pub fn bulk(bytes: impl Into<Bytes>) -> Reply {
        Reply::Bulk(bytes.into())
    }

    /// An array of bulk strings.
    pub fn bulks<B: Into<Bytes>>(items: impl IntoIterator<Item = B>) -> Reply {
        Reply::Array(items.into_iter().map(|item| Reply::Bulk(item.into())).collect())
    }

    /// Whether this is an error reply (the statistics count them).
    pub fn is_error(&self) -> bool {
        matches!(self, Reply::Error(_))
    }

    /// Writes the reply in the client's protocol.
    pub fn encode(&self, protocol: Protocol, out: &mut BytesMut) {
        let resp3 = protocol == Protocol::Resp3;
        match self {
            Reply::Simple(text) => line(out, b'+', text),
            Reply::Error(text) => line(out, b'-', text),
            Reply::Integer(n) => header(out, b':', *n),
            Reply::Bulk(bytes) => bulk(out, bytes),
            Reply::Null if resp3 => out.put_slice(b"_\r\n"),
            Reply::Null => out.put_slice(b"$-1\r\n"),
            Reply::NullArray if resp3 => out.put_slice(b"_\r\n"),
            Reply::NullArray => out.put_slice(b"*-1\r\n"),
            Reply::Array(items) => {
                header(out, b'*', len(items.len()));
                items.iter().for_each(|item| item.encode(protocol, out));
            }
            Reply::Set(items) => {
                header(out, if resp3 { b'~' } else { b'*' }, len(items.len()));
                items.iter().for_each(|item| item.encode(protocol, out));
            }
            Reply::Map(pairs) => {
                if resp3 {
                    header(out, b'%', len(pairs.len()));
                } else {
                    header(out, b'*', len(pairs.len()).saturating_mul(2));
                }
                for (key, value) in pairs {
                    key.encode(protocol, out);
                    value.encode(protocol, out);
                }
            }
            Reply::Pairs(pairs) => {
                header(out, if resp3 { b'%' } else { b'*' }, len(pairs.len()));
                for (key, value) in pairs {
                    if !resp3 {
                        out.put_slice(b"*2\r\n");
                    }
                    key.encode(protocol, out);
                    value.encode(protocol, out);
                }
            }
            Reply::Double(value) if resp3 => line(out, b',', format_double(*value).as_bytes()),
            Reply::Double(value) => bulk(out, format_double(*value).as_bytes()),
            Reply::Boolean(value) if resp3 => out.put_slice(if *value { b"#t\r\n" } else { b"#f\r\n" }),
            Reply::Boolean(value) => header(out, b':', i64::from(*value)),
            Reply::Verbatim(text) if resp3 => {
                header(out, b'=', len(text.len() + 4));
                out.put_slice(b"txt:");
                out.put_slice(text);
                out.put_slice(b"\r\n");
            }
            Reply::Verbatim(text) => bulk(out, text),
        }
    }
}

fn len(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn header(out: &mut BytesMut, kind: u8, n: i64) {
    out.put_u8(kind);
    out.put_slice(n.to_string().as_bytes());
    out.put_slice(b"\r\n");
}

/// A line reply; `\r` and `\n` become spaces, as Redis sanitizes error texts built from client input.
fn line(out: &mut BytesMut, kind: u8, text: &[u8]) {
    out.put_u8(kind);
    out.extend(text.iter().map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }));
    out.put_slice(b"\r\n");
}

fn bulk(out: &mut BytesMut, bytes: &[u8]) {
    header(out, b'$', len(bytes.len()));
    out.put_slice(bytes);
    out.put_slice(b"\r\n");
}

/// A double as Redis prints it: `%.17g`, and `inf`/`-inf`/`nan`.
pub fn format_double(value: f64) -> String {
    if value.is_nan() {
        return "nan".to_owned();
    }
    if value.is_infinite() {
        return if value > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    if value == 0.0 {
        return if value.is_sign_negative() { "-0" } else { "0" }.to_owned();
    }
    // `%.17g`: 17 significant digits, scientific when the exponent is below -4 or at least 17, trailing zeros
    // dropped.
    let scientific = format!("{value:.16e}");
    let Some((mantissa, exponent)) = scientific.split_once('e') else {
        return scientific;
    };
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if !(-4..17).contains(&exponent) {
        let mantissa = trim_zeros(mantissa);
        let sign = if exponent < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exponent.unsigned_abs());
    }
    let decimals = usize::try_from(16 - exponent).unwrap_or(0);
    trim_zeros(&format!("{value:.decimals$}")).to_owned()
}

fn trim_zeros(text: &str) -> &str {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(reply: &Reply, protocol: Protocol) -> Vec<u8> {
        let mut out = BytesMut::new();
        reply.encode(protocol, &mut out);
        out.to_vec()
    }

    #[test]
    fn each_type_in_both_protocols() {
        let map = Reply::Map(vec![(Reply::bulk("a"), Reply::Integer(1))]);
        assert_eq!(encoded(&map, Protocol::Resp3), b"%1\r\n$1\r\na\r\n:1\r\n");
        assert_eq!(encoded(&map, Protocol::Resp2), b"*2\r\n$1\r\na\r\n:1\r\n");
        let pairs = Reply::Pairs(vec![(Reply::bulk("a"), Reply::Integer(1))]);
        assert_eq!(encoded(&pairs, Protocol::Resp3), b"%1\r\n$1\r\na\r\n:1\r\n");
        assert_eq!(encoded(&pairs, Protocol::Resp2), b"*1\r\n*2\r\n$1\r\na\r\n:1\r\n");
        let set = Reply::Set(vec![Reply::simple("x")]);
        assert_eq!(encoded(&set, Protocol::Resp3), b"~1\r\n+x\r\n");
        assert_eq!(encoded(&set, Protocol::Resp2), b"*1\r\n+x\r\n");
        assert_eq!(encoded(&Reply::Null, Protocol::Resp2), b"$-1\r\n");
        assert_eq!(encoded(&Reply::NullArray, Protocol::Resp2), b"*-1\r\n");
        assert_eq!(encoded(&Reply::NullArray, Protocol::Resp3), b"_\r\n");
        assert_eq!(encoded(&Reply::Boolean(true), Protocol::Resp3), b"#t\r\n");
        assert_eq!(encoded(&Reply::Boolean(false), Protocol::Resp2), b":0\r\n");
        assert_eq!(encoded(&Reply::Double(1.5), Protocol::Resp3), b",1.5\r\n");
        assert_eq!(encoded(&Reply::Double(1.5), Protocol::Resp2), b"$3\r\n1.5\r\n");
        let text = Reply::Verbatim(Bytes::from_static(b"a:1\n"));
        assert_eq!(encoded(&text, Protocol::Resp3), b"=8\r\ntxt:a:1\n\r\n");
        assert_eq!(encoded(&text, Protocol::Resp2), b"$4\r\na:1\n\r\n");
        assert_eq!(encoded(&Reply::error("ERR a\r\nb"), Protocol::Resp2), b"-ERR a  b\r\n");
    }

    #[test]
    fn doubles_print_as_percent_17g() {
        assert_eq!(format_double(0.1), "0.10000000000000001");
        assert_eq!(format_double(100.0), "100");
        assert_eq!(format_double(1e20), "1e+20");
        assert_eq!(format_double(1.5e-7), "1.4999999999999999e-07");
        assert_eq!(format_double(f64::NEG_INFINITY), "-inf");
        assert_eq!(format_double(-2.25), "-2.25");
    }
}
