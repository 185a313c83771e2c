//! The Redis protocol: requests in ([`RequestParser`]), replies out ([`Reply`], RESP2 or RESP3).

mod inline;
mod number;
mod parser;
mod reply;

pub use inline::{UnbalancedQuotes, split_args};
pub use number::{parse_cursor, parse_i64};
pub use parser::{
    INLINE_MAX_SIZE, ParserLimits, ProtocolError, RequestParser, UNAUTHENTICATED_MAX_ARGS, UNAUTHENTICATED_MAX_BULK,
};
pub use reply::{Protocol, Reply, format_double};
