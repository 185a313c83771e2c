//! `bus serve`: the memory backend behind the Redis protocol.
pub mod resp;
