//! Redis's glob patterns (`stringmatchlen`), for KEYS, SCAN MATCH and CONFIG GET: `*`, `?`, `[abc]`, `[^a-z]`
//! and `\` escapes, with Redis's handling of malformed patterns (an unterminated `[` matches what it listed).

/// Whether `text` matches `pattern` (`nocase`: ASCII case-insensitively).
///
/// ```
/// use bus_server::glob::matches;
/// assert!(matches(b"user:*", b"user:42", false));
/// assert!(matches(b"h?llo", b"hello", false));
/// assert!(matches(b"h[^e]llo", b"hallo", false));
/// assert!(!matches(b"h[a-b]llo", b"hello", false));
/// assert!(matches(b"STREAM-*", b"stream-node-max-bytes", true));
/// ```
pub fn matches(pattern: &[u8], text: &[u8], nocase: bool) -> bool {
    let mut skip_longer = false;
    match_from(pattern, text, nocase, &mut skip_longer)
}

fn fold(byte: u8, nocase: bool) -> u8 {
    if nocase { byte.to_ascii_lowercase() } else { byte }
}

fn match_from(pattern: &[u8], text: &[u8], nocase: bool, skip_longer: &mut bool) -> bool {
    // Reads past the end give 0, as the C code reads the string's terminator.
    let pat = |i: usize| pattern.get(i).copied().unwrap_or(0);
    let (mut p, mut s) = (0usize, 0usize);
    while p < pattern.len() && s < text.len() {
        match pat(p) {
            b'*' => {
                while p + 1 < pattern.len() && pat(p + 1) == b'*' {
                    p += 1;
                }
                if p + 1 == pattern.len() {
                    return true;
                }
                while s < text.len() {
                    if match_from(&pattern[p + 1..], &text[s..], nocase, skip_longer) {
                        return true;
                    }
                    if *skip_longer {
                        return false;
                    }
                    s += 1;
                }
                *skip_longer = true;
                return false;
            }
            b'?' => s += 1,
            b'[' => {
                p += 1;
                let negate = pat(p) == b'^';
                if negate {
                    p += 1;
                }
                let c = text[s];
                let mut matched = false;
                loop {
                    let remaining = pattern.len().saturating_sub(p);
                    if pat(p) == b'\\' && remaining >= 2 {
                        p += 1;
                        matched |= pat(p) == c;
                    } else if pat(p) == b']' {
                        break;
                    } else if remaining == 0 {
                        p -= 1;
                        break;
                    } else if remaining >= 3 && pat(p + 1) == b'-' {
                        let (mut start, mut end) = (pat(p), pat(p + 2));
                        if start > end {
                            std::mem::swap(&mut start, &mut end);
                        }
                        let (start, end, c) = (fold(start, nocase), fold(end, nocase), fold(c, nocase));
                        p += 2;
                        matched |= c >= start && c <= end;
                    } else {
                        matched |= fold(pat(p), nocase) == fold(c, nocase);
                    }
                    p += 1;
                }
                if negate {
                    matched = !matched;
                }
                if !matched {
                    return false;
                }
                s += 1;
            }
            first => {
                let literal = if first == b'\\' && pattern.len() - p >= 2 {
                    p += 1;
                    pat(p)
                } else {
                    first
                };
                if fold(literal, nocase) != fold(text[s], nocase) {
                    return false;
                }
                s += 1;
            }
        }
        p += 1;
        if s == text.len() {
            while pat(p) == b'*' {
                p += 1;
            }
            break;
        }
    }
    p >= pattern.len() && s == text.len()
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn patterns_as_redis_reads_them() {
        assert!(!matches(b"*", b"", false), "as in Redis, where no key is empty");
        assert!(matches(b"a*", b"a", false));
        assert!(matches(b"a**b", b"axxb", false));
        assert!(!matches(b"a*c", b"abd", false));
        assert!(matches(b"\\*", b"*", false));
        assert!(!matches(b"\\*", b"a", false));
        assert!(matches(b"[a-c]x", b"bx", false));
        assert!(matches(b"[c-a]x", b"bx", false));
        assert!(matches(b"[\\]]", b"]", false));
        assert!(matches(b"[ab", b"a", false));
        assert!(!matches(b"abc", b"ab", false));
        assert!(!matches(b"ab", b"abc", false));
        assert!(matches(b"A?C", b"abc", true));
    }
}
