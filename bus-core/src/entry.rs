//! Entries as Redis stores them: an id and an ordered list of binary field/value pairs.
//!
//! Nothing here assumes the bus envelope: a foreign producer may write any fields, in any order, with
//! duplicates, and every backend must hand them back unchanged. [`crate::message`] interprets them.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;

use crate::id::EntryId;
use crate::message::{Malformed, Message};

/// The fields of one entry, in the order they were written (duplicates kept). Cloning is O(1).
///
/// ```
/// use bus_core::Fields;
/// let fields = Fields::from_pairs([("id", "x"), ("payload", "{}"), ("id", "y")]);
/// assert_eq!(fields.len(), 3);
/// assert_eq!(fields.get("id").unwrap().as_ref(), b"x"); // the first occurrence
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Fields(Arc<[(Bytes, Bytes)]>);

impl Fields {
    /// Builds fields from name/value pairs of anything convertible to bytes.
    pub fn from_pairs<N, V>(pairs: impl IntoIterator<Item = (N, V)>) -> Fields
    where
        N: Into<Bytes>,
        V: Into<Bytes>,
    {
        Fields(pairs.into_iter().map(|(n, v)| (n.into(), v.into())).collect())
    }

    /// Number of field/value pairs.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are no pairs (Redis never stores such an entry).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value of the first field with this name.
    pub fn get(&self, name: impl AsRef<[u8]>) -> Option<&Bytes> {
        let name = name.as_ref();
        self.0.iter().find(|(n, _)| n.as_ref() == name).map(|(_, v)| v)
    }

    /// The pairs in stored order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&Bytes, &Bytes)> {
        self.0.iter().map(|(n, v)| (n, v))
    }

    /// Total bytes of all names and values (what Redis checks against its element size limit).
    pub fn byte_len(&self) -> usize {
        self.0.iter().map(|(n, v)| n.len() + v.len()).sum()
    }
}

impl fmt::Debug for Fields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        for (name, value) in self.iter() {
            list.entry(&(String::from_utf8_lossy(name), String::from_utf8_lossy(value)));
        }
        list.finish()
    }
}

impl<N: Into<Bytes>, V: Into<Bytes>> FromIterator<(N, V)> for Fields {
    fn from_iter<I: IntoIterator<Item = (N, V)>>(iter: I) -> Self {
        Fields::from_pairs(iter)
    }
}

/// One stream entry: its id and raw fields.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Entry {
    /// The entry id.
    pub id: EntryId,
    /// The raw fields.
    pub fields: Fields,
}

impl Entry {
    /// Builds an entry.
    pub fn new(id: EntryId, fields: Fields) -> Entry {
        Entry { id, fields }
    }

    /// Decodes the bus envelope (`id` = canonical UUID, `payload` = JSON text).
    pub fn message(&self) -> Result<Message, Malformed> {
        Message::from_fields(&self.fields)
    }
}

/// An entry delivered by a group read. Reading a consumer's pending history can meet entries that were deleted
/// after delivery: Redis still reports their id (with nil fields) so they can be acknowledged.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum GroupEntry {
    /// The entry is still in the stream.
    Present(Entry),
    /// The entry was pending but no longer exists in the stream.
    Deleted(EntryId),
}

impl GroupEntry {
    /// The entry id, present or not.
    pub fn id(&self) -> EntryId {
        match self {
            GroupEntry::Present(entry) => entry.id,
            GroupEntry::Deleted(id) => *id,
        }
    }

    /// The entry, unless it was deleted.
    pub fn entry(&self) -> Option<&Entry> {
        match self {
            GroupEntry::Present(entry) => Some(entry),
            GroupEntry::Deleted(_) => None,
        }
    }
}

/// The entries one topic contributed to a multi-topic read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopicEntries<E> {
    /// The topic.
    pub topic: crate::Topic,
    /// Its entries, in id order.
    pub entries: Vec<E>,
}

/// What a read over one or several topics ([`Backend::read`](crate::Backend::read),
/// [`Backend::read_group`](crate::Backend::read_group)) returned.
///
/// Redis answers nil both for "nothing there" and for "the block timed out"; the bus tells them apart: a read
/// that does not block, or is served, returns [`ReadReply::Topics`] (possibly empty), and only a blocking read
/// whose BLOCK expired returns [`ReadReply::TimedOut`].
///
/// ```
/// use bus_core::{EntryId, Entry, Fields, ReadReply, Topic, TopicEntries};
/// let topic = Topic::new("chat:1")?;
/// let entry = Entry::new(EntryId::new(1, 0), Fields::from_pairs([("n", "1")]));
/// let reply = ReadReply::Topics(vec![TopicEntries { topic, entries: vec![entry.clone()] }]);
/// assert!(!reply.is_timed_out());
/// assert_eq!(reply.into_entries().collect::<Vec<_>>(), vec![entry]);
/// assert_eq!(ReadReply::<Entry>::TimedOut.into_topics(), vec![]);
/// # Ok::<(), bus_core::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadReply<E> {
    /// The topics that had entries, in the order they were asked for. A history read (XREADGROUP with an id)
    /// lists every requested topic, possibly with no entries, as Redis does; a read of new entries lists only
    /// the topics that had some, so a non-blocking read that found nothing is `Topics(vec![])`.
    Topics(Vec<TopicEntries<E>>),
    /// The read blocked (BLOCK) and its timeout passed with nothing delivered.
    TimedOut,
}

impl<E> ReadReply<E> {
    /// True when a blocking read's timeout passed with nothing delivered.
    pub fn is_timed_out(&self) -> bool {
        matches!(self, ReadReply::TimedOut)
    }

    /// The topics with their entries; none when the read timed out.
    pub fn topics(&self) -> &[TopicEntries<E>] {
        match self {
            ReadReply::Topics(topics) => topics,
            ReadReply::TimedOut => &[],
        }
    }

    /// The topics with their entries, owned; empty when the read timed out.
    pub fn into_topics(self) -> Vec<TopicEntries<E>> {
        match self {
            ReadReply::Topics(topics) => topics,
            ReadReply::TimedOut => Vec::new(),
        }
    }

    /// Every entry of every topic, topic by topic in reply order; none when the read timed out.
    pub fn into_entries(self) -> impl Iterator<Item = E> {
        self.into_topics().into_iter().flat_map(|topic| topic.entries)
    }

    /// The entries of every topic, transformed (for instance from [`GroupEntry`] to what a caller keeps).
    pub fn map<F>(self, mut f: impl FnMut(E) -> F) -> ReadReply<F> {
        match self {
            ReadReply::Topics(topics) => ReadReply::Topics(
                topics
                    .into_iter()
                    .map(|t| TopicEntries {
                        topic: t.topic,
                        entries: t.entries.into_iter().map(&mut f).collect(),
                    })
                    .collect(),
            ),
            ReadReply::TimedOut => ReadReply::TimedOut,
        }
    }
}
