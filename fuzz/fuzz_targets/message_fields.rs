//! Raw field maps as a foreign producer could write them, decoded into messages: decoding never panics, a
//! decoded message survives its own stored form unchanged, and the UUID index agrees with the decoder on which
//! entries carry a message id.
//!
//! The input is the field map flattened: names and values alternate, separated by NUL bytes (so seeds are
//! readable; a NUL inside a name or value is the one thing this target cannot produce).
#![no_main]

use bus_core::{Fields, Message, message::uuid_of};
use bytes::Bytes;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|flat: &[u8]| {
    let parts: Vec<Bytes> = flat.split(|&b| b == 0).map(Bytes::copy_from_slice).collect();
    let fields = Fields::from_pairs(parts.chunks_exact(2).map(|pair| (pair[0].clone(), pair[1].clone())));
    match Message::from_fields(&fields) {
        Ok(message) => {
            assert_eq!(uuid_of(&fields), Some(message.id()));
            assert_eq!(Message::from_fields(&message.to_fields()).ok(), Some(message));
        }
        Err(_) => {
            let _ = uuid_of(&fields);
        }
    }
});
