//! [`Streams`]: the topics of a read over one or several topics with a cursor each, written as Redis writes
//! them after `STREAMS`: every topic, then every cursor (`read t1 t2 0 5-0`).

use std::ffi::OsStr;
use std::fmt;
use std::str::FromStr;

use bus_core::{Error, GroupCursor, ReadCursor, Topic};
use clap::builder::TypedValueParser;
use clap::{Arg, ArgMatches};

use crate::line::Line;

/// The clap id of the `TOPIC… CURSOR…` argument.
const ARG: &str = "streams";

/// A cursor of a read over several topics: XREAD's ([`ReadCursor`]) or XREADGROUP's ([`GroupCursor`]).
pub trait StreamCursor: FromStr<Err = Error> + fmt::Display + Clone + Send + Sync + 'static {
    /// The help text of the cursors.
    const HELP: &'static str;
}

impl StreamCursor for ReadCursor {
    const HELP: &'static str = "Topics, then as many cursors: an entry id (entries after it; `0` from the start) or \
                                `$` (only entries appended while blocking).";
}

impl StreamCursor for GroupCursor {
    const HELP: &'static str = "Topics, then as many cursors: `>` (entries never delivered to the group) or an id \
                                (the consumer's own pending entries after it).";
}

/// One or several topics, each with a cursor, in the order given.
///
/// ```
/// use bus_core::{ReadCursor, Topic};
/// let streams = bus_command::Streams::new(vec![(Topic::new("t1")?, ReadCursor::New)])?;
/// assert_eq!(streams.cursors()[0].1, ReadCursor::New);
/// assert!(bus_command::Streams::<ReadCursor>::new(vec![]).is_err());
/// # Ok::<(), bus_core::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Streams<C>(Vec<(Topic, C)>);

impl<C> Streams<C> {
    /// Topics with their cursors; at least one.
    pub fn new(cursors: Vec<(Topic, C)>) -> Result<Streams<C>, Error> {
        if cursors.is_empty() {
            return Err(Error::invalid_argument("a read needs at least one topic"));
        }
        Ok(Streams(cursors))
    }

    /// One topic and its cursor.
    pub fn one(topic: Topic, cursor: C) -> Streams<C> {
        Streams(vec![(topic, cursor)])
    }

    /// The topics with their cursors, as the backend's read takes them.
    pub fn cursors(&self) -> &[(Topic, C)] {
        &self.0
    }
}

impl<C: fmt::Display> Streams<C> {
    pub(crate) fn push(&self, line: &mut Line) {
        line.all(self.0.iter().map(|(topic, _)| topic));
        line.all(self.0.iter().map(|(_, cursor)| cursor));
    }
}

/// Redis's error for an odd `STREAMS` list (the same text for XREAD and XREADGROUP).
fn unbalanced(_: &str) -> Result<(), Error> {
    Err(Error::invalid_argument(
        "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
    ))
}

/// Runs a value parser on one word, so a rejected word is clap's error with the bus error as its source (which
/// is how [`crate::ParseError`] keeps the bus error's kind and wording).
fn parse_word<T, P>(parser: P, word: &str) -> Result<T, clap::Error>
where
    P: TypedValueParser<Value = T>,
{
    parser.parse_ref(&clap::Command::new("bus"), None, OsStr::new(word))
}

impl<C: StreamCursor> Streams<C> {
    fn from_words(words: &[String]) -> Result<Streams<C>, clap::Error> {
        if !words.len().is_multiple_of(2) {
            parse_word(unbalanced, "")?;
        }
        let (topics, cursors) = words.split_at(words.len() / 2);
        let mut pairs = Vec::with_capacity(topics.len());
        for (topic, cursor) in topics.iter().zip(cursors) {
            let topic = parse_word(|s: &str| Topic::new(s), topic)?;
            let cursor = parse_word(|s: &str| s.parse::<C>(), cursor)?;
            pairs.push((topic, cursor));
        }
        Ok(Streams(pairs))
    }
}

impl<C: StreamCursor> clap::FromArgMatches for Streams<C> {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let words: Vec<String> = matches.get_many::<String>(ARG).into_iter().flatten().cloned().collect();
        Streams::from_words(&words)
    }

    fn from_arg_matches_mut(matches: &mut ArgMatches) -> Result<Self, clap::Error> {
        let words: Vec<String> = matches.remove_many::<String>(ARG).into_iter().flatten().collect();
        Streams::from_words(&words)
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Streams::from_arg_matches(matches)?;
        Ok(())
    }
}

impl<C: StreamCursor> clap::Args for Streams<C> {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        cmd.arg(
            Arg::new(ARG)
                .value_names(["TOPIC", "CURSOR"])
                .num_args(2..)
                .required(true)
                .help(C::HELP),
        )
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}
