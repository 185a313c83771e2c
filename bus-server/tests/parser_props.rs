//! Properties of the request parser: chunking never changes what is parsed, and garbage never panics it nor
//! makes it hold more bytes than its limits allow.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests and their helpers fail by panicking"
)]

use bus_server::resp::{INLINE_MAX_SIZE, ParserLimits, ProtocolError, RequestParser};
use bytes::{Bytes, BytesMut};
use proptest::prelude::*;

/// One request and how it is written on the wire.
#[derive(Debug, Clone)]
struct Request {
    args: Vec<Vec<u8>>,
    inline: bool,
}

impl Request {
    fn encode(&self, out: &mut Vec<u8>) {
        if self.inline {
            // Inline arguments are written double-quoted with every byte escaped as `\xHH`.
            let words: Vec<String> = self
                .args
                .iter()
                .map(|arg| {
                    let escaped: String = arg.iter().map(|b| format!("\\x{b:02x}")).collect();
                    format!("\"{escaped}\"")
                })
                .collect();
            out.extend_from_slice(words.join(" ").as_bytes());
            out.extend_from_slice(b"\r\n");
            return;
        }
        out.extend_from_slice(format!("*{}\r\n", self.args.len()).as_bytes());
        for arg in &self.args {
            out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
            out.extend_from_slice(arg);
            out.extend_from_slice(b"\r\n");
        }
    }
}

fn request() -> impl Strategy<Value = Request> {
    (
        prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 1..6),
        any::<bool>(),
    )
        .prop_map(|(args, inline)| Request { args, inline })
}

/// Feeds `input` in chunks cut at `cuts` (fractions of the length), collecting requests until an error.
fn feed(
    input: &[u8],
    cuts: &[f64],
    limits: ParserLimits,
    authenticated: bool,
) -> (Vec<Vec<Bytes>>, Option<ProtocolError>, usize) {
    let mut positions: Vec<usize> = cuts.iter().map(|f| (f * input.len() as f64) as usize).collect();
    positions.push(input.len());
    positions.sort_unstable();
    let mut parser = RequestParser::new(limits);
    let mut buf = BytesMut::new();
    let (mut start, mut requests, mut max_held) = (0, Vec::new(), 0);
    for end in positions {
        buf.extend_from_slice(&input[start..end.max(start)]);
        start = end.max(start);
        loop {
            match parser.next_request(&mut buf, authenticated) {
                Ok(Some(request)) => requests.push(request),
                Ok(None) => break,
                Err(err) => return (requests, Some(err), max_held),
            }
        }
        max_held = max_held.max(buf.len());
    }
    (requests, None, max_held)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn any_chunking_parses_the_same_requests(
        requests in prop::collection::vec(request(), 1..8),
        cuts in prop::collection::vec(0.0f64..1.0, 0..12),
    ) {
        let mut wire = Vec::new();
        for request in &requests {
            request.encode(&mut wire);
        }
        let (parsed, err, _) = feed(&wire, &cuts, ParserLimits::default(), true);
        prop_assert_eq!(err, None);
        let expected: Vec<Vec<Bytes>> = requests
            .iter()
            .map(|r| r.args.iter().map(|a| Bytes::from(a.clone())).collect())
            .collect();
        prop_assert_eq!(parsed, expected);
    }

    #[test]
    fn garbage_never_panics(
        garbage in prop::collection::vec(any::<u8>(), 0..2000),
        cuts in prop::collection::vec(0.0f64..1.0, 0..8),
        authenticated in any::<bool>(),
        prefix in prop::sample::select(vec![&b""[..], b"*", b"*3\r\n$", b"*2\r\n$3\r\n", b"\"", b"*1\r\n$100\r\n"]),
    ) {
        let mut input = prefix.to_vec();
        input.extend_from_slice(&garbage);
        let limits = ParserLimits { max_bulk_len: 256 };
        let (requests, _, _) = feed(&input, &cuts, limits, authenticated);
        // Whatever was parsed came out of the input: no argument is longer than what was sent.
        prop_assert!(requests.iter().flatten().all(|arg| arg.len() <= input.len()));
    }

    #[test]
    fn announced_lengths_reserve_nothing(count in 1i64..i64::from(i32::MAX), len in 0i64..512 * 1024 * 1024) {
        // A huge announcement with no data: the parser waits without reserving what was announced.
        let input = format!("*{count}\r\n${len}\r\n");
        let mut parser = RequestParser::new(ParserLimits::default());
        let mut buf = BytesMut::from(input.as_bytes());
        prop_assert_eq!(parser.next_request(&mut buf, true), Ok(None));
        prop_assert!(buf.capacity() <= input.len());
        prop_assert!(parser.is_mid_request());
    }
}

#[test]
fn a_long_inline_line_is_refused_past_the_limit_even_in_small_chunks() {
    let line = vec![b'a'; INLINE_MAX_SIZE + 10];
    let cuts: Vec<f64> = (1..100).map(|i| f64::from(i) / 100.0).collect();
    let (_, err, held) = feed(&line, &cuts, ParserLimits::default(), true);
    assert_eq!(err, Some(ProtocolError::TooBigInlineRequest));
    assert!(held <= INLINE_MAX_SIZE);
}
