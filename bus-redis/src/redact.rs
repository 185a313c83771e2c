//! Keeping the URL's password out of everything the backend prints.
//!
//! A Redis URL carries its credentials (`redis://user:secret@host`, `redis+unix:///s?pass=secret`), and the
//! URL is what an operator wants to see in logs, `Debug` output and error messages. Two things need the same
//! reading of the URL: [`redact_url`], the form that is printed, and [`Secrets`], the passwords themselves,
//! to scrub them from the `redis` crate's own messages (which may quote the URL they failed on). Both come
//! from [`secret_spans`], so what is redacted and what is scrubbed can never drift apart.

use std::ops::Range;

/// Where the passwords of a URL are, as byte ranges: the password of the user-info part (`user:secret@`) and
/// the value of each `pass` or `password` query parameter (unix-socket URLs). Ranges may be empty (`user:@`).
fn secret_spans(url: &str) -> Vec<Range<usize>> {
    let start = url.find("://").map_or(0, |at| at + "://".len());
    let rest = &url[start..];
    // The authority ends at the first '/', '?' or '#'; its user info ends at its last '@'.
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let mut spans = Vec::new();
    if let Some((user_info, _host)) = rest[..authority_end].rsplit_once('@')
        && let Some(colon) = user_info.find(':')
    {
        spans.push(start + colon + 1..start + user_info.len());
    }
    if let Some(question) = rest[authority_end..].find('?') {
        let mut at = start + authority_end + question + 1;
        for pair in url[at..].split('&') {
            if let Some((name, value)) = pair.split_once('=')
                && (name.eq_ignore_ascii_case("pass") || name.eq_ignore_ascii_case("password"))
            {
                let value_start = at + name.len() + 1;
                spans.push(value_start..value_start + value.len());
            }
            at += pair.len() + 1;
        }
    }
    spans
}

/// The URL with any password replaced by `***`: in the user-info part (`user:secret@`) and in a `pass` or
/// `password` query parameter (unix-socket URLs). Everything else is kept as it is.
///
/// ```
/// assert_eq!(bus_redis::redact_url("redis://app:s3cret@host:6380/2"), "redis://app:***@host:6380/2");
/// assert_eq!(bus_redis::redact_url("redis+unix:///tmp/r.sock?pass=s3cret"), "redis+unix:///tmp/r.sock?pass=***");
/// ```
pub fn redact_url(url: &str) -> String {
    let mut redacted = String::with_capacity(url.len());
    let mut copied = 0;
    for span in secret_spans(url) {
        redacted.push_str(&url[copied..span.start]);
        redacted.push_str("***");
        copied = span.end;
    }
    redacted.push_str(&url[copied..]);
    redacted
}

/// The passwords of a URL, to scrub them from messages the backend did not write itself.
#[derive(Debug)]
pub(crate) struct Secrets(Vec<String>);

impl Secrets {
    /// The non-empty passwords of `url`.
    pub(crate) fn of(url: &str) -> Secrets {
        Secrets(
            secret_spans(url)
                .into_iter()
                .filter(|span| !span.is_empty())
                .map(|span| url[span].to_owned())
                .collect(),
        )
    }

    /// `message` with every occurrence of a password replaced by `***`.
    pub(crate) fn scrub(&self, message: String) -> String {
        self.0
            .iter()
            .fold(message, |message, secret| message.replace(secret.as_str(), "***"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("redis://app:s3cret@host:6380/2"),
            "redis://app:***@host:6380/2"
        );
        assert_eq!(redact_url("rediss://:s3cret@host"), "rediss://:***@host");
        assert_eq!(redact_url("redis://host:6379"), "redis://host:6379");
        assert_eq!(redact_url("redis://user@host"), "redis://user@host");
        assert_eq!(
            redact_url("redis+unix:///tmp/r.sock?db=1&pass=s3cret"),
            "redis+unix:///tmp/r.sock?db=1&pass=***"
        );
        assert_eq!(redact_url("redis://u:p@ss@host"), "redis://u:***@host");
    }

    #[test]
    fn secrets_are_found_and_scrubbed() {
        let secrets = Secrets::of("redis://u:hunter2@h/0");
        assert_eq!(secrets.0, ["hunter2"]);
        assert_eq!(secrets.scrub("failed for hunter2".into()), "failed for ***");
        assert_eq!(Secrets::of("redis+unix:///s?pass=pw").0, ["pw"]);
    }

    #[test]
    fn redaction_and_scrubbing_read_the_url_alike() {
        let url = "redis+unix://u:a@b@/s?db=1&PASSWORD=x&pass=&password=y#f";
        assert_eq!(
            redact_url(url),
            "redis+unix://u:***@/s?db=1&PASSWORD=***&pass=***&password=***"
        );
        assert_eq!(Secrets::of(url).0, ["a@b", "x", "y#f"]);
        assert_eq!(redact_url("u:@host"), "u:***@host");
        assert!(Secrets::of("u:@host").0.is_empty());
    }
}
