//! How big stream nodes grow: Redis's `stream-node-max-entries` and `stream-node-max-bytes`, settable per backend
//! at run time (what `CONFIG SET` changes on a server).
//!
//! The limits matter because approximate trims (`MAXLEN ~`, `MINID ~`) and `LIMIT` remove whole nodes only, so
//! a trim removes what Redis removes only if node boundaries fall where Redis's do. Like Redis, every append
//! decides with the limits of its time whether the tail node takes one more entry: a change applies from the next
//! append on, existing nodes keep their entries.

use std::sync::atomic::{AtomicU64, Ordering};

use bus_core::options::MAX_REDIS_INTEGER;
use bus_core::{Error, Result};

use crate::MemoryBackend;

/// `STREAM_LISTPACK_MAX_SIZE`: the size a node never reaches, whatever `stream-node-max-bytes` says.
const LISTPACK_MAX_BYTES: u64 = 1 << 30;

/// The node limits of a backend's streams.
///
/// ```
/// use bus_memory::{MemoryBackend, NodeLayout};
///
/// let backend = MemoryBackend::new();
/// assert_eq!(backend.node_layout(), NodeLayout::HUNDRED_ENTRIES);
/// // As a Redis server with its default configuration.
/// backend.set_node_layout(NodeLayout::REDIS_DEFAULT)?;
/// assert_eq!(backend.node_layout().max_bytes, 4096);
/// # Ok::<(), bus_core::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NodeLayout {
    /// `stream-node-max-entries`: entries per node, deleted ones included; 0 for no limit.
    pub max_entries: u64,
    /// `stream-node-max-bytes`: a node takes no entry that would bring its listpack to this size; 0 for no
    /// limit (Redis's 1 GiB listpack bound still applies).
    pub max_bytes: u64,
}

impl NodeLayout {
    /// Redis's defaults: 100 entries, 4096 bytes. Node boundaries then depend on the entries' sizes; bus-memory
    /// computes them with Redis's listpack byte accounting.
    pub const REDIS_DEFAULT: NodeLayout = NodeLayout {
        max_entries: 100,
        max_bytes: 4096,
    };

    /// 100 entries per node whatever their size (`stream-node-max-bytes 0`): the default of
    /// [`MemoryBackend::new`], whose approximate trims are then predictable from entry counts alone, and the
    /// configuration the conformance suite certifies approximate trims with.
    pub const HUNDRED_ENTRIES: NodeLayout = NodeLayout {
        max_entries: 100,
        max_bytes: 0,
    };

    /// Fails as `CONFIG SET` does for a limit beyond Redis's range (0 to `i64::MAX`).
    pub fn validate(&self) -> Result<()> {
        for (name, value) in [
            ("stream-node-max-entries", self.max_entries),
            ("stream-node-max-bytes", self.max_bytes),
        ] {
            if value > MAX_REDIS_INTEGER {
                return Err(Error::invalid_argument(format!(
                    "ERR CONFIG SET failed (possibly related to argument '{name}') - argument must be between 0 and \
                     {MAX_REDIS_INTEGER} inclusive"
                )));
            }
        }
        Ok(())
    }

    /// The size at which the tail node takes no more entries (`streamAppendItem`'s `node_max_bytes`).
    pub(crate) fn byte_limit(&self) -> u64 {
        if self.max_bytes == 0 || self.max_bytes > LISTPACK_MAX_BYTES {
            LISTPACK_MAX_BYTES
        } else {
            self.max_bytes
        }
    }

    /// The work bound of an approximate trim without LIMIT: 100 nodes' worth of entries, between 10 000 (when
    /// entries are unlimited) and 1 000 000, as `streamParseAddOrTrimArgsOrReply` sets it.
    pub(crate) fn default_approx_limit(&self) -> u64 {
        match self.max_entries.saturating_mul(100) {
            0 => 10_000,
            limit => limit.min(1_000_000),
        }
    }
}

/// A backend's current [`NodeLayout`], shared by all its topics; each append reads it once.
#[derive(Debug)]
pub(crate) struct NodeLimits {
    max_entries: AtomicU64,
    max_bytes: AtomicU64,
}

impl Default for NodeLimits {
    fn default() -> Self {
        NodeLimits {
            max_entries: AtomicU64::new(NodeLayout::HUNDRED_ENTRIES.max_entries),
            max_bytes: AtomicU64::new(NodeLayout::HUNDRED_ENTRIES.max_bytes),
        }
    }
}

impl NodeLimits {
    pub(crate) fn get(&self) -> NodeLayout {
        NodeLayout {
            max_entries: self.max_entries.load(Ordering::Relaxed),
            max_bytes: self.max_bytes.load(Ordering::Relaxed),
        }
    }

    fn set(&self, layout: NodeLayout) {
        self.max_entries.store(layout.max_entries, Ordering::Relaxed);
        self.max_bytes.store(layout.max_bytes, Ordering::Relaxed);
    }
}

impl MemoryBackend {
    /// The limits new stream nodes follow (Redis's `CONFIG GET stream-node-max-*`).
    pub fn node_layout(&self) -> NodeLayout {
        self.inner.layout.get()
    }

    /// Changes the node limits, as `CONFIG SET stream-node-max-entries` / `stream-node-max-bytes` does on Redis:
    /// from the next append on, every stream's tail node fills up to the new limits; nothing already stored
    /// moves. Limits beyond `i64::MAX` are refused (with `CONFIG SET`'s message) and change nothing.
    pub fn set_node_layout(&self, layout: NodeLayout) -> Result<()> {
        layout.validate()?;
        self.inner.layout.set(layout);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_follow_redis_bounds() {
        assert_eq!(NodeLayout::REDIS_DEFAULT.byte_limit(), 4096);
        assert_eq!(NodeLayout::HUNDRED_ENTRIES.byte_limit(), 1 << 30);
        let huge = NodeLayout {
            max_entries: 0,
            max_bytes: 1 << 40,
        };
        assert_eq!(huge.byte_limit(), 1 << 30);
        assert_eq!(huge.default_approx_limit(), 10_000);
        assert_eq!(NodeLayout::REDIS_DEFAULT.default_approx_limit(), 10_000);
        let one = NodeLayout {
            max_entries: 1,
            max_bytes: 0,
        };
        assert_eq!(one.default_approx_limit(), 100);
        let many = NodeLayout {
            max_entries: MAX_REDIS_INTEGER,
            max_bytes: 0,
        };
        assert_eq!(many.default_approx_limit(), 1_000_000);
    }

    #[test]
    fn a_limit_beyond_redis_range_is_refused_and_changes_nothing() {
        let backend = MemoryBackend::new();
        let bad = NodeLayout {
            max_entries: 10,
            max_bytes: MAX_REDIS_INTEGER + 1,
        };
        let err = backend.set_node_layout(bad).err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some(
                "ERR CONFIG SET failed (possibly related to argument 'stream-node-max-bytes') - argument must be \
                 between 0 and 9223372036854775807 inclusive"
            )
        );
        assert_eq!(backend.node_layout(), NodeLayout::HUNDRED_ENTRIES);
    }
}
