//! The node count of Redis's radix tree (`rax.c`) for a stream's node keys: XINFO STREAM's `radix-tree-nodes`.
//!
//! Redis indexes a stream's listpacks in a rax keyed by each node's master id, 16 bytes big-endian (ms, then
//! seq). A rax is a compressed trie: a chain of single-child positions is one compressed node, a position where
//! keys diverge is one node with a child per next byte, and each key ends in a leaf node; the head always exists.
//! Insertions split compressed nodes and deletions merge them back (`raxRemove` recompresses), so the tree of a
//! set of keys has the same shape whatever the history that built it, and counting that shape gives Redis's
//! figure without building the tree.

use bus_core::EntryId;

/// Bytes of a stream node key.
const KEY_LEN: usize = 16;

type Key = [u8; KEY_LEN];

fn key(id: EntryId) -> Key {
    let mut key = [0; KEY_LEN];
    key[..8].copy_from_slice(&id.ms.to_be_bytes());
    key[8..].copy_from_slice(&id.seq.to_be_bytes());
    key
}

/// `rax->numnodes` of a rax holding these keys.
pub(crate) fn node_count(ids: impl Iterator<Item = EntryId>) -> u64 {
    let mut keys: Vec<Key> = ids.map(key).collect();
    keys.sort_unstable();
    keys.dedup();
    if keys.is_empty() {
        // An empty rax is its head alone.
        return 1;
    }
    subtree(&keys, 0)
}

/// Nodes of the subtree rooted at the position `depth` bytes into `keys` (sorted, distinct, all sharing their
/// first `depth` bytes), that position's node included.
fn subtree(keys: &[Key], depth: usize) -> u64 {
    let (Some(first), Some(last)) = (keys.first(), keys.last()) else {
        return 0;
    };
    if depth == KEY_LEN {
        return 1;
    }
    // Sorted keys: the bytes all of them share are those the first and the last share.
    let shared = depth
        + first[depth..]
            .iter()
            .zip(&last[depth..])
            .take_while(|(a, b)| a == b)
            .count();
    if shared > depth {
        // One compressed node spans the shared bytes, then comes the position where they end.
        return 1 + subtree(keys, shared);
    }
    // The keys diverge here: one node with a child per distinct next byte.
    let mut count = 1;
    let mut rest = keys;
    while let Some(head) = rest.first() {
        let byte = head[depth];
        let split = rest.partition_point(|k| k[depth] == byte);
        count += subtree(&rest[..split], depth + 1);
        rest = &rest[split..];
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(ids: &[(u64, u64)]) -> u64 {
        node_count(ids.iter().map(|&(ms, seq)| EntryId::new(ms, seq)))
    }

    #[test]
    fn one_key_is_a_compressed_head_and_a_leaf() {
        assert_eq!(count(&[]), 1);
        assert_eq!(count(&[(1, 0)]), 2);
        assert_eq!(count(&[(1, 0), (1, 0)]), 2, "duplicate keys are one key");
    }

    #[test]
    fn keys_diverging_at_the_last_byte_share_one_branch() {
        // Compressed head over 15 bytes, a branch, two leaves.
        assert_eq!(count(&[(1, 0), (1, 1)]), 4);
        // A third child of the same branch adds its leaf only.
        assert_eq!(count(&[(1, 0), (1, 1), (1, 2)]), 5);
    }

    #[test]
    fn keys_diverging_early_get_a_compressed_tail_each() {
        // Head compressed over 7 bytes, a branch at byte 7, then per key a compressed node over the remaining
        // 8 bytes and a leaf.
        assert_eq!(count(&[(1, 0), (2, 0)]), 1 + 1 + 2 * 2);
        // The second-level branch of (2, 0) and (2, 1) sits at the last byte.
        assert_eq!(count(&[(1, 0), (2, 0), (2, 1)]), 1 + 1 + 2 + (1 + 1 + 2));
    }
}
