//! Inline commands (`PING\r\n`, as telnet and `redis-cli`'s pipes send them): Redis's `sdssplitargs` splitting.
//!
//! The quoting rules matter because clients rely on them: `"…"` understands `\n`, `\r`, `\t`, `\b`, `\a`, `\xHH`
//! and `\<any>`; `'…'` only `\'`; a closing quote must be followed by white space or the end of the line, and a
//! quote in the middle of a word opens a quoted section (`a"b c"` is one argument `ab c`).

use bytes::Bytes;

/// Why a line could not be split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnbalancedQuotes;

/// C's `isspace` in the "C" locale.
fn is_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

fn hex_value(byte: u8) -> Option<u8> {
    char::from(byte).to_digit(16).and_then(|digit| u8::try_from(digit).ok())
}

/// Splits one inline line (without its line ending) into arguments, as `sdssplitargs` does. The line is read
/// as a C string: a NUL byte ends it.
pub fn split_args(line: &[u8]) -> Result<Vec<Bytes>, UnbalancedQuotes> {
    let line = line.iter().position(|&b| b == 0).map_or(line, |nul| &line[..nul]);
    let at = |i: usize| line.get(i).copied().unwrap_or(0);
    let mut args = Vec::new();
    let mut p = 0;
    loop {
        while p < line.len() && is_space(line[p]) {
            p += 1;
        }
        if p >= line.len() {
            return Ok(args);
        }
        let mut current = Vec::new();
        // The quote we are inside, if any: `"` understands escapes, `'` only `\'`.
        let mut quote: Option<u8> = None;
        loop {
            let byte = at(p);
            if let Some(open) = quote {
                if open == b'"'
                    && byte == b'\\'
                    && at(p + 1) == b'x'
                    && let (Some(high), Some(low)) = (hex_value(at(p + 2)), hex_value(at(p + 3)))
                {
                    current.push(high * 16 + low);
                    p += 3;
                } else if open == b'"' && byte == b'\\' && at(p + 1) != 0 {
                    p += 1;
                    current.push(match at(p) {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 0x08,
                        b'a' => 0x07,
                        other => other,
                    });
                } else if open == b'\'' && byte == b'\\' && at(p + 1) == b'\'' {
                    p += 1;
                    current.push(b'\'');
                } else if byte == open {
                    // A closing quote must end the word.
                    if at(p + 1) != 0 && !is_space(at(p + 1)) {
                        return Err(UnbalancedQuotes);
                    }
                    p += 1;
                    break;
                } else if byte == 0 {
                    return Err(UnbalancedQuotes);
                } else {
                    current.push(byte);
                }
            } else {
                match byte {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => {
                        if byte != 0 {
                            p += 1;
                        }
                        break;
                    }
                    b'"' | b'\'' => quote = Some(byte),
                    other => current.push(other),
                }
            }
            p += 1;
        }
        args.push(Bytes::from(current));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(line: &str) -> Result<Vec<String>, UnbalancedQuotes> {
        split_args(line.as_bytes()).map(|args| args.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect())
    }

    #[test]
    fn splits_like_sdssplitargs() {
        assert_eq!(split("  SET  k v ").unwrap(), ["SET", "k", "v"]);
        assert_eq!(split(r#"ECHO "a\x41\n""#).unwrap(), ["ECHO", "aA\n"]);
        assert_eq!(split(r#"ECHO "a\q""#).unwrap(), ["ECHO", "aq"]);
        assert_eq!(split(r"ECHO 'it\'s'").unwrap(), ["ECHO", "it's"]);
        assert_eq!(split(r#"ECHO a"b c""#).unwrap(), ["ECHO", "ab c"]);
        assert_eq!(split(r#"ECHO "" x"#).unwrap(), ["ECHO", "", "x"]);
        assert_eq!(split("").unwrap(), Vec::<String>::new());
        assert_eq!(split("a\x0bb").unwrap(), ["a\x0bb"]);
        assert_eq!(split("PING\0 ignored").unwrap(), ["PING"]);
    }

    #[test]
    fn unbalanced_quotes_are_refused() {
        for bad in [r#"PING "a"#, "PING 'a'b", r#"PING "a"b"#, "PING 'a", r#"PING "a\"#] {
            assert_eq!(split(bad), Err(UnbalancedQuotes), "{bad:?}");
        }
    }
}
