//! Redis's glob patterns (KEYS, SCAN MATCH): `*`, `?`, `[…]` with `^`, ranges and `\`, and `\` outside
//! classes, over bytes.
//!
//! Redis's matcher reads a few malformed patterns in its own way, and these rules follow it: a class left open
//! runs to the end of the pattern (`[ab` is `[ab]`); `-` makes a range only when a character follows it, so in
//! `[a-]` the range runs from `a` down to `]`, which therefore does not close the class; reversed ranges are
//! swapped; a trailing `\` is a literal backslash; `?` matches one byte, not one character. An empty name
//! matches only the empty pattern (Redis's KEYS and SCAN treat the pattern `*` alone as "every key" without
//! matching, which is how they list an empty name).

/// A compiled pattern.
#[derive(Clone, Debug)]
pub(crate) struct Pattern {
    tokens: Vec<Token>,
    /// The pattern is exactly `*`: every key, the empty name included.
    all: bool,
}

#[derive(Clone, Debug)]
enum Token {
    /// `*`: any run of bytes (consecutive stars are one).
    Star,
    /// `?`.
    Any,
    Byte(u8),
    Class {
        negated: bool,
        members: Vec<(u8, u8)>,
    },
}

impl Token {
    fn accepts(&self, byte: u8) -> bool {
        match self {
            Token::Star | Token::Any => true,
            Token::Byte(b) => *b == byte,
            Token::Class { negated, members } => {
                members.iter().any(|&(low, high)| (low..=high).contains(&byte)) != *negated
            }
        }
    }
}

impl Pattern {
    pub(crate) fn new(pattern: &[u8]) -> Pattern {
        let mut tokens = Vec::new();
        let mut i = 0;
        while i < pattern.len() {
            let token = match pattern[i] {
                b'*' => {
                    i += 1;
                    if matches!(tokens.last(), Some(Token::Star)) {
                        continue;
                    }
                    Token::Star
                }
                b'?' => {
                    i += 1;
                    Token::Any
                }
                b'[' => {
                    let (class, next) = class(pattern, i + 1);
                    i = next;
                    class
                }
                b'\\' if i + 1 < pattern.len() => {
                    i += 2;
                    Token::Byte(pattern[i - 1])
                }
                byte => {
                    i += 1;
                    Token::Byte(byte)
                }
            };
            tokens.push(token);
        }
        Pattern {
            tokens,
            all: pattern == b"*",
        }
    }

    /// Whether `name` matches, by Redis's rules.
    pub(crate) fn matches(&self, name: &[u8]) -> bool {
        if self.all {
            return true;
        }
        if name.is_empty() {
            return self.tokens.is_empty();
        }
        // Each token but `*` consumes one byte, so backtracking to the last `*` seen is enough.
        let (mut t, mut i) = (0, 0);
        let mut star: Option<(usize, usize)> = None;
        while i < name.len() {
            match self.tokens.get(t) {
                Some(Token::Star) => {
                    star = Some((t, i));
                    t += 1;
                    continue;
                }
                Some(token) if token.accepts(name[i]) => {
                    t += 1;
                    i += 1;
                    continue;
                }
                _ => {}
            }
            let Some((star_t, star_i)) = star else {
                return false;
            };
            star = Some((star_t, star_i + 1));
            t = star_t + 1;
            i = star_i + 1;
        }
        self.tokens[t..].iter().all(|token| matches!(token, Token::Star))
    }
}

/// The class starting after a `[` at `start`; returns it and the index after it.
fn class(pattern: &[u8], start: usize) -> (Token, usize) {
    let mut i = start;
    let negated = pattern.get(i) == Some(&b'^');
    if negated {
        i += 1;
    }
    let mut members = Vec::new();
    loop {
        match pattern.get(i) {
            None => break,
            Some(b'\\') if i + 1 < pattern.len() => {
                members.push((pattern[i + 1], pattern[i + 1]));
                i += 2;
            }
            Some(b']') => {
                i += 1;
                break;
            }
            Some(&low) if i + 2 < pattern.len() && pattern[i + 1] == b'-' => {
                let high = pattern[i + 2];
                members.push((low.min(high), low.max(high)));
                i += 3;
            }
            Some(&byte) => {
                members.push((byte, byte));
                i += 1;
            }
        }
    }
    (Token::Class { negated, members }, i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, name: &str) -> bool {
        Pattern::new(pattern.as_bytes()).matches(name.as_bytes())
    }

    // Every expectation below was checked with `KEYS` on Redis 7.0.15.
    #[test]
    fn wildcards_and_classes() {
        assert!(m("*", "anything"));
        assert!(m("h?llo", "hello") && m("h?llo", "hallo") && !m("h?llo", "hllo"));
        assert!(m("h*llo", "hllo") && m("h*llo", "heeeello") && !m("h*llo", "hellox"));
        assert!(m("h[ae]llo", "hello") && !m("h[ae]llo", "hillo"));
        assert!(m("h[^e]llo", "hallo") && !m("h[^e]llo", "hello"));
        assert!(m("h[a-b]llo", "hbllo") && !m("h[a-b]llo", "hcllo"));
        assert!(m("h[b-a]llo", "hallo"), "a reversed range is swapped");
        assert!(m("*a*b*", "xxaxxbxx") && !m("*a*b*", "xxbxxaxx"));
        assert!(m("a**", "a") && m("**a", "a") && m("a*", "a"));
        assert!(m("mystream{t}", "mystream{t}") && m("my*{t}", "mystream{t}"));
    }

    #[test]
    fn escapes() {
        assert!(m("a\\*b", "a*b") && !m("a\\*b", "axb"));
        assert!(m("a\\[b", "a[b"));
        assert!(m("[\\]]", "]"));
        assert!(m("ab\\", "ab\\"), "a trailing backslash is a literal");
    }

    #[test]
    fn redis_reads_malformed_patterns_its_own_way() {
        assert!(!m("a[b", "a[b") && m("a[b", "ab"), "an open class runs to the end");
        assert!(m("[a-]", "^") && m("[a-]", "]") && !m("[a-]", "-"), "`a-]` is a range");
        assert!(!m("[a-]*", "a[b"), "and then `*` is a member of the still open class");
        assert!(!m("[]", "]") && !m("[]", "a"), "an empty class matches nothing");
        assert!(m("[^]", "x"));
        assert!(m("é", "é") && m("??", "é") && !m("?", "é"), "`?` is one byte");
    }

    #[test]
    fn the_empty_name() {
        assert!(m("*", ""), "`*` alone is every key");
        assert!(m("", ""));
        assert!(!m("**", "") && !m("?", "") && !m("a", ""));
        assert!(!m("", "a"));
    }
}
