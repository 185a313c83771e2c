//! Numbers as Redis reads them off the wire: `string2ll` (lengths in the protocol, and every integer argument
//! that `getLongLongFromObject` parses) and `strtoul` (SCAN's cursor).

/// Redis's `string2ll`: an optional `-`, then a canonical decimal (no `+`, no leading zeros, no spaces) that fits
/// an `i64`. `"0"` is the only number that may start with a zero; `"-0"` is refused.
///
/// ```
/// use bus_server::resp::parse_i64;
/// assert_eq!(parse_i64(b"-42"), Some(-42));
/// assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
/// for bad in [&b""[..], b"+1", b"01", b"-0", b" 1", b"1 ", b"9223372036854775808"] {
///     assert_eq!(parse_i64(bad), None);
/// }
/// ```
pub fn parse_i64(text: &[u8]) -> Option<i64> {
    if text == b"0" {
        return Some(0);
    }
    let (negative, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    if !matches!(digits.first(), Some(b'1'..=b'9')) {
        return None;
    }
    let mut magnitude: u64 = 0;
    for &byte in digits {
        if !byte.is_ascii_digit() {
            return None;
        }
        magnitude = magnitude.checked_mul(10)?.checked_add(u64::from(byte - b'0'))?;
    }
    if negative {
        0i64.checked_sub_unsigned(magnitude)
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// C's `strtoul(text, &end, 10)` with the checks of Redis's `parseScanCursorOrReply`: no leading white space,
/// the whole text consumed, no overflow. As in C, a sign is accepted (`-1` wraps to the largest cursor) and an
/// empty text is 0.
///
/// ```
/// use bus_server::resp::parse_cursor;
/// assert_eq!(parse_cursor(b"17"), Some(17));
/// assert_eq!(parse_cursor(b""), Some(0));
/// assert_eq!(parse_cursor(b"-1"), Some(u64::MAX));
/// assert_eq!(parse_cursor(b" 1"), None);
/// assert_eq!(parse_cursor(b"18446744073709551616"), None);
/// ```
pub fn parse_cursor(text: &[u8]) -> Option<u64> {
    if text.is_empty() {
        return Some(0);
    }
    let (negative, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut value: u64 = 0;
    for &byte in digits {
        value = value.checked_mul(10)?.checked_add(u64::from(byte - b'0'))?;
    }
    Some(if negative { value.wrapping_neg() } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string2ll_edges() {
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_i64(b"-9223372036854775809"), None);
        assert_eq!(parse_i64(b"-"), None);
        assert_eq!(parse_i64(b"12a"), None);
        assert_eq!(parse_i64(b"99999999999999999999999"), None);
    }

    #[test]
    fn cursor_edges() {
        assert_eq!(parse_cursor(b"+5"), Some(5));
        assert_eq!(parse_cursor(b"007"), Some(7));
        assert_eq!(parse_cursor(b"+"), None);
        assert_eq!(parse_cursor(b"5x"), None);
        assert_eq!(parse_cursor(b"18446744073709551615"), Some(u64::MAX));
    }
}
