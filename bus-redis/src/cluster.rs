//! Redis Cluster: the `redis+cluster://` URL, key slots, and the slot map the backend keeps.
//!
//! A topic's three keys share its hash tag (`<prefix><topic>` and `{<prefix><topic>}:ids…`), so every command
//! the backend sends for one topic, scripts and transactions included, stays in one slot; only reads over
//! several topics and the error-path lookups span slots, and they are split by slot. Topic names cannot hold
//! braces ([`crate::keys::check_topic`]), so a topic's stream key has no hash tag of its own and hashes whole,
//! which spreads topics over the masters.
//!
//! The shared connection is the `redis` crate's cluster client, which routes each command by its key and
//! follows MOVED/ASK. Blocking reads need connections of their own on the right master, so the backend keeps
//! a [`SlotMap`] from `CLUSTER SLOTS`, refreshed when a dedicated read meets MOVED/ASK or a broken connection.

use std::sync::PoisonError;
use std::sync::RwLock;

use bus_core::{ConfigProblem, Error, Result};

/// The parts of a `redis+cluster://[user:password@]host:port[,host:port…][/0]` (or `rediss+cluster://`) URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ClusterUrl {
    /// `rediss` or `redis`: the scheme of each node's URL.
    scheme: &'static str,
    /// `user:password@` as given (possibly empty).
    user_info: String,
    /// The seed nodes.
    pub(crate) seeds: Vec<(String, u16)>,
}

impl ClusterUrl {
    /// The cluster URL `url` is, `None` when it is not a cluster URL at all, or an error naming what is wrong.
    pub(crate) fn parse(url: &str, redacted: &str) -> Option<Result<ClusterUrl>> {
        let (scheme, rest) = url.split_once("://")?;
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "redis+cluster" => "redis",
            "rediss+cluster" => "rediss",
            _ => return None,
        };
        Some(Self::parts(scheme, rest).map_err(|what| Error::Config {
            problem: ConfigProblem::Url,
            message: format!("invalid Redis Cluster URL {redacted}: {what}"),
        }))
    }

    fn parts(scheme: &'static str, rest: &str) -> std::result::Result<ClusterUrl, String> {
        let (authority, path) = match rest.find(['/', '?', '#']) {
            Some(at) => rest.split_at(at),
            None => (rest, ""),
        };
        if !matches!(path, "" | "/" | "/0") {
            return Err("a cluster has only database 0: nothing may follow the nodes but /0".into());
        }
        let (user_info, nodes) = match authority.rsplit_once('@') {
            Some((user_info, nodes)) => (format!("{user_info}@"), nodes),
            None => (String::new(), authority),
        };
        let mut seeds = Vec::new();
        for node in nodes.split(',') {
            let (host, port) = node
                .rsplit_once(':')
                .ok_or_else(|| format!("node '{node}' is not host:port"))?;
            let port: u16 = port
                .parse()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| format!("invalid port in '{node}' (a port is a number from 1 to 65535)"))?;
            if host.is_empty() {
                return Err(format!("node '{node}' has no host"));
            }
            seeds.push((host.to_owned(), port));
        }
        Ok(ClusterUrl {
            scheme,
            user_info,
            seeds,
        })
    }

    /// The URL of one node, with the cluster URL's scheme and credentials.
    pub(crate) fn node_url(&self, host: &str, port: u16) -> String {
        format!("{}://{}{host}:{port}", self.scheme, self.user_info)
    }
}

/// The hash slot of a key (CRC16/XMODEM of the key, or of its hash tag, modulo 16384), as Redis Cluster
/// computes it.
pub(crate) fn slot(key: &str) -> u16 {
    let bytes = key.as_bytes();
    let tagged = bytes.iter().position(|b| *b == b'{').and_then(|open| {
        let close = bytes[open + 1..].iter().position(|b| *b == b'}')?;
        (close > 0).then(|| &bytes[open + 1..open + 1 + close])
    });
    crc16(tagged.unwrap_or(bytes)) % 16384
}

fn crc16(bytes: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for byte in bytes {
        crc ^= u16::from(*byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// A node's address, `host:port`.
pub(crate) type NodeAddr = String;

/// Which master serves which slots, as the cluster last said.
#[derive(Debug, Default)]
pub(crate) struct SlotMap {
    ranges: RwLock<Vec<(u16, u16, NodeAddr)>>,
}

impl SlotMap {
    /// The master of `slot`, if the map knows one.
    pub(crate) fn master(&self, slot: u16) -> Option<NodeAddr> {
        let ranges = self.ranges.read().unwrap_or_else(PoisonError::into_inner);
        ranges
            .iter()
            .find(|(start, end, _)| (*start..=*end).contains(&slot))
            .map(|(_, _, addr)| addr.clone())
    }

    /// Replaces the map with a `CLUSTER SLOTS` reply (`[[start, end, [host, port, id…], replicas…]…]`).
    pub(crate) fn update(&self, reply: &redis::Value) -> std::result::Result<(), String> {
        let redis::Value::Array(entries) = reply else {
            return Err("CLUSTER SLOTS did not answer an array".into());
        };
        let mut ranges = Vec::with_capacity(entries.len());
        for entry in entries {
            let redis::Value::Array(parts) = entry else {
                return Err("a CLUSTER SLOTS entry is not an array".into());
            };
            let (Some(redis::Value::Int(start)), Some(redis::Value::Int(end)), Some(redis::Value::Array(master))) =
                (parts.first(), parts.get(1), parts.get(2))
            else {
                return Err("a CLUSTER SLOTS entry lacks its range or master".into());
            };
            let host = match master.first() {
                Some(redis::Value::BulkString(host)) => String::from_utf8_lossy(host).into_owned(),
                Some(redis::Value::SimpleString(host)) => host.clone(),
                _ => return Err("a CLUSTER SLOTS master lacks its host".into()),
            };
            let Some(redis::Value::Int(port)) = master.get(1) else {
                return Err("a CLUSTER SLOTS master lacks its port".into());
            };
            let (Ok(start), Ok(end)) = (u16::try_from(*start), u16::try_from(*end)) else {
                return Err("a CLUSTER SLOTS range is out of bounds".into());
            };
            ranges.push((start, end, format!("{host}:{port}")));
        }
        *self.ranges.write().unwrap_or_else(PoisonError::into_inner) = ranges;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_follow_redis() {
        // Values from CLUSTER KEYSLOT on Redis 7.0.
        assert_eq!(slot("foo"), 12182);
        assert_eq!(slot("{user1000}.following"), slot("user1000"));
        assert_eq!(slot("chat:1"), slot("{chat:1}:ids"));
        assert_eq!(slot("a{}b"), slot("a{}b"));
        assert_eq!(slot(""), 0);
    }

    #[test]
    fn cluster_urls_parse() {
        let url = ClusterUrl::parse("redis+cluster://u:pw@h1:7000,h2:7001/0", "x")
            .unwrap()
            .unwrap();
        assert_eq!(url.seeds, vec![("h1".to_owned(), 7000), ("h2".to_owned(), 7001)]);
        assert_eq!(url.node_url("h3", 7002), "redis://u:pw@h3:7002");
        let tls = ClusterUrl::parse("rediss+cluster://h:1", "x").unwrap().unwrap();
        assert_eq!(tls.node_url("h", 1), "rediss://h:1");
        assert!(ClusterUrl::parse("redis://h:1", "x").is_none());
        for bad in [
            "redis+cluster://h",
            "redis+cluster://h:99999",
            "redis+cluster://h:1/2",
            "redis+cluster://:1",
        ] {
            let err = ClusterUrl::parse(bad, "x").unwrap().unwrap_err();
            assert_eq!(err.kind(), "invalid_url", "{bad}");
        }
    }
}
