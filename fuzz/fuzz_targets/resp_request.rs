//! Bytes from a client, as `bus serve` receives them: the request parser never panics, and splitting the same
//! bytes at any point yields the same requests and the same error (the parser is incremental, and a client's
//! bytes arrive in arbitrary chunks). Inputs stay below the inline limit, where that holds exactly.
#![no_main]

use bus_server::resp::{INLINE_MAX_SIZE, ParserLimits, ProtocolError, RequestParser};
use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;

/// What a connection would do with the bytes: the requests, then the error that closes it, if any.
fn parse(chunks: &[&[u8]], authenticated: bool) -> (Vec<Vec<Bytes>>, Option<ProtocolError>) {
    let mut parser = RequestParser::new(ParserLimits { max_bulk_len: 4096 });
    let mut buf = BytesMut::new();
    let mut requests = Vec::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        loop {
            match parser.next_request(&mut buf, authenticated) {
                Ok(Some(args)) => requests.push(args),
                Ok(None) => break,
                Err(err) => return (requests, Some(err)),
            }
        }
    }
    (requests, None)
}

fuzz_target!(|input: (u16, bool, &[u8])| {
    let (split, authenticated, bytes) = input;
    if bytes.len() >= INLINE_MAX_SIZE {
        return;
    }
    let split = usize::from(split) % (bytes.len() + 1);
    let whole = parse(&[bytes], authenticated);
    let (head, tail) = bytes.split_at(split);
    assert_eq!(parse(&[head, tail], authenticated), whole, "split at {split}");
});
