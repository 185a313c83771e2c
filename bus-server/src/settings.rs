//! The parameters of `CONFIG GET`/`CONFIG SET`: those clients and Redis's test suite ask for, with Redis's
//! defaults, value checks and error texts. The limits among them take effect at once; the rest are stored and
//! answered back (this server has no persistence, replication or eviction for them to change).

use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};

use crate::config::{NodeLayout, ServerConfig};

/// What values a parameter takes.
#[derive(Clone, Copy, Debug)]
enum Kind {
    /// An integer within bounds.
    Integer { min: i64, max: i64 },
    /// A byte size (`1kb`, `2mb`, `1gb`, or a number of bytes) within bounds.
    Memory { min: i64, max: i64 },
    /// `yes` or `no`.
    Bool,
    /// One of these words.
    Enum(&'static [&'static str]),
    /// Any text.
    Text,
    /// `CONFIG SET` refuses it.
    Immutable,
}

const MAX: i64 = i64::MAX;

/// The parameters, with their kind and default.
const PARAMETERS: &[(&str, Kind, &str)] = &[
    ("maxclients", Kind::Integer { min: 1, max: MAX }, "10000"),
    (
        "proto-max-bulk-len",
        Kind::Memory {
            min: 1024 * 1024,
            max: MAX,
        },
        "536870912",
    ),
    (
        "client-query-buffer-limit",
        Kind::Memory {
            min: 1024 * 1024,
            max: MAX,
        },
        "1073741824",
    ),
    // Applied to every database's node layout (see `node_layout`).
    ("stream-node-max-entries", Kind::Integer { min: 0, max: MAX }, "100"),
    ("stream-node-max-bytes", Kind::Memory { min: 0, max: MAX }, "4096"),
    ("databases", Kind::Immutable, "16"),
    ("port", Kind::Immutable, "6379"),
    ("bind", Kind::Immutable, "127.0.0.1"),
    ("tls-port", Kind::Immutable, "0"),
    ("dir", Kind::Immutable, ""),
    ("requirepass", Kind::Text, ""),
    (
        "timeout",
        Kind::Integer {
            min: 0,
            max: i32::MAX as i64,
        },
        "0",
    ),
    (
        "hz",
        Kind::Integer {
            min: 0,
            max: i32::MAX as i64,
        },
        "10",
    ),
    ("save", Kind::Text, ""),
    ("appendonly", Kind::Bool, "no"),
    ("appendfsync", Kind::Enum(&["always", "everysec", "no"]), "everysec"),
    ("appendfilename", Kind::Immutable, "appendonly.aof"),
    ("appenddirname", Kind::Immutable, "appendonlydir"),
    ("aof-use-rdb-preamble", Kind::Bool, "yes"),
    ("protected-mode", Kind::Bool, "yes"),
    ("enable-debug-command", Kind::Immutable, "no"),
    ("maxmemory", Kind::Memory { min: 0, max: MAX }, "0"),
    (
        "maxmemory-policy",
        Kind::Enum(&[
            "volatile-lru",
            "volatile-lfu",
            "volatile-random",
            "volatile-ttl",
            "allkeys-lru",
            "allkeys-lfu",
            "allkeys-random",
            "noeviction",
        ]),
        "noeviction",
    ),
    ("notify-keyspace-events", Kind::Text, ""),
    (
        "repl-ping-replica-period",
        Kind::Integer {
            min: 1,
            max: i32::MAX as i64,
        },
        "10",
    ),
    ("lua-time-limit", Kind::Integer { min: 0, max: MAX }, "5000"),
    ("busy-reply-threshold", Kind::Integer { min: 0, max: MAX }, "5000"),
    ("slowlog-log-slower-than", Kind::Integer { min: -1, max: MAX }, "10000"),
    ("slowlog-max-len", Kind::Integer { min: 0, max: MAX }, "128"),
    ("latency-tracking", Kind::Bool, "yes"),
];

/// The live values.
#[derive(Debug)]
pub(crate) struct Settings {
    values: Mutex<Vec<String>>,
    max_clients: AtomicI64,
    max_bulk_len: AtomicI64,
    query_buffer_limit: AtomicI64,
}

/// Parses a byte size as Redis's `memtoull`: a number with an optional `b`, `k`, `kb`, `m`, `mb`, `g`, `gb`
/// unit (any case; `k` is 1000, `kb` 1024).
fn parse_memory(text: &str) -> Option<i64> {
    let lower = text.to_ascii_lowercase();
    let digits_end = lower.find(|c: char| !c.is_ascii_digit()).unwrap_or(lower.len());
    let (number, unit) = lower.split_at(digits_end);
    let multiplier: i64 = match unit {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    number.parse::<i64>().ok()?.checked_mul(multiplier)
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Settings {
    pub(crate) fn new(config: &ServerConfig) -> Settings {
        let settings = Settings {
            values: Mutex::new(PARAMETERS.iter().map(|(_, _, default)| (*default).to_owned()).collect()),
            max_clients: AtomicI64::new(0),
            max_bulk_len: AtomicI64::new(0),
            query_buffer_limit: AtomicI64::new(0),
        };
        let limits = config.limits;
        let port = config.tcp.map_or(0, |addr| addr.port());
        let bind = config.tcp.map_or_else(String::new, |addr| addr.ip().to_string());
        let requirepass = config
            .requirepass
            .as_ref()
            .map_or_else(String::new, |p| p.reveal().to_owned());
        for (name, value) in [
            ("maxclients", limits.max_clients.to_string()),
            ("proto-max-bulk-len", limits.max_bulk_len.to_string()),
            ("client-query-buffer-limit", limits.query_buffer_limit.to_string()),
            ("port", port.to_string()),
            ("bind", bind),
            ("requirepass", requirepass),
            ("stream-node-max-entries", config.node_layout.max_entries.to_string()),
            ("stream-node-max-bytes", config.node_layout.max_bytes.to_string()),
        ] {
            settings.store(name, value);
        }
        settings
    }

    fn index(name: &str) -> Option<usize> {
        PARAMETERS
            .iter()
            .position(|(known, _, _)| known.eq_ignore_ascii_case(name))
    }

    fn store(&self, name: &str, value: String) {
        let Some(index) = Self::index(name) else {
            return;
        };
        let number = value.parse::<i64>().unwrap_or(0);
        match PARAMETERS[index].0 {
            "maxclients" => self.max_clients.store(number, Ordering::Relaxed),
            "proto-max-bulk-len" => self.max_bulk_len.store(number, Ordering::Relaxed),
            "client-query-buffer-limit" => self.query_buffer_limit.store(number, Ordering::Relaxed),
            _ => {}
        }
        lock(&self.values)[index] = value;
    }

    /// The port the server is on, once bound.
    pub(crate) fn set_port(&self, port: u16) {
        self.store("port", port.to_string());
    }

    /// `maxclients`.
    pub(crate) fn max_clients(&self) -> usize {
        usize::try_from(self.max_clients.load(Ordering::Relaxed)).unwrap_or(usize::MAX)
    }

    /// `proto-max-bulk-len`.
    pub(crate) fn max_bulk_len(&self) -> i64 {
        self.max_bulk_len.load(Ordering::Relaxed)
    }

    /// `client-query-buffer-limit`.
    pub(crate) fn query_buffer_limit(&self) -> usize {
        usize::try_from(self.query_buffer_limit.load(Ordering::Relaxed)).unwrap_or(usize::MAX)
    }

    /// `stream-node-max-entries` and `stream-node-max-bytes`, as the databases' node layout.
    pub(crate) fn node_layout(&self) -> NodeLayout {
        let value = |name| {
            self.get(name)
                .and_then(|value| value.parse::<u64>().ok())
                .unwrap_or_default()
        };
        NodeLayout {
            max_entries: value("stream-node-max-entries"),
            max_bytes: value("stream-node-max-bytes"),
        }
    }

    /// Whether a parameter (any case) is one of the node layout's.
    pub(crate) fn is_node_layout(name: &[u8]) -> bool {
        [&b"stream-node-max-entries"[..], b"stream-node-max-bytes"]
            .iter()
            .any(|known| known.eq_ignore_ascii_case(name))
    }

    /// The value of one parameter (by exact name, any case).
    pub(crate) fn get(&self, name: &str) -> Option<String> {
        Self::index(name).map(|index| lock(&self.values)[index].clone())
    }

    /// `CONFIG GET`: the parameters matching any of the patterns, each once, in table order.
    pub(crate) fn matching(&self, patterns: &[&[u8]]) -> Vec<(&'static str, String)> {
        let values = lock(&self.values);
        PARAMETERS
            .iter()
            .zip(values.iter())
            .filter(|((name, _, _), _)| {
                patterns
                    .iter()
                    .any(|pattern| crate::glob::matches(pattern, name.as_bytes(), true))
            })
            .map(|((name, _, _), value)| (*name, value.clone()))
            .collect()
    }

    /// `CONFIG SET name value …`: every pair is checked first, then all are applied (Redis 7.0 sets them
    /// atomically). The error is the text after `ERR ` of Redis's reply.
    pub(crate) fn set(&self, pairs: &[(&[u8], &[u8])]) -> Result<(), String> {
        let mut checked: Vec<(usize, String)> = Vec::with_capacity(pairs.len());
        for (name, value) in pairs {
            let name = String::from_utf8_lossy(name);
            let Some(index) = Self::index(&name) else {
                return Err(format!(
                    "Unknown option or number of arguments for CONFIG SET - '{name}'"
                ));
            };
            let failed = |why: &str| format!("CONFIG SET failed (possibly related to argument '{name}') - {why}");
            if checked.iter().any(|(seen, _)| *seen == index) {
                return Err(failed("duplicate parameter"));
            }
            let value = String::from_utf8_lossy(value).into_owned();
            let value = Self::check(PARAMETERS[index].1, &value).map_err(|why| failed(&why))?;
            checked.push((index, value));
        }
        for (index, value) in checked {
            self.store(PARAMETERS[index].0, value);
        }
        Ok(())
    }

    /// The value to store, or why it is refused (Redis's words).
    fn check(kind: Kind, value: &str) -> Result<String, String> {
        let between = |min: i64, max: i64| format!("argument must be between {min} and {max} inclusive");
        match kind {
            Kind::Integer { min, max } | Kind::Memory { min, max } => {
                let number = if matches!(kind, Kind::Integer { .. }) {
                    crate::resp::parse_i64(value.as_bytes())
                        .ok_or_else(|| "argument couldn't be parsed into an integer".to_owned())?
                } else {
                    parse_memory(value).ok_or_else(|| "argument must be a memory value".to_owned())?
                };
                if number < min || number > max {
                    return Err(between(min, max));
                }
                Ok(number.to_string())
            }
            Kind::Bool => match value.to_ascii_lowercase().as_str() {
                "yes" | "no" => Ok(value.to_ascii_lowercase()),
                _ => Err("argument must be 'yes' or 'no'".to_owned()),
            },
            Kind::Enum(words) => words
                .iter()
                .find(|word| word.eq_ignore_ascii_case(value))
                .map(|word| (*word).to_owned())
                .ok_or_else(|| format!("argument(s) must be one of the following: {}", words.join(", "))),
            Kind::Text => Ok(value.to_owned()),
            Kind::Immutable => Err("can't set immutable config".to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_units() {
        assert_eq!(parse_memory("1kb"), Some(1024));
        assert_eq!(parse_memory("1K"), Some(1000));
        assert_eq!(parse_memory("3GB"), Some(3 * 1024 * 1024 * 1024));
        assert_eq!(parse_memory("12"), Some(12));
        assert_eq!(parse_memory("1x"), None);
        assert_eq!(parse_memory("-1"), None);
    }

    #[test]
    fn set_is_all_or_nothing() {
        let settings = Settings::new(&ServerConfig::new());
        let err = settings.set(&[(b"hz", b"20"), (b"maxclients", b"abc")]).unwrap_err();
        assert!(err.contains("couldn't be parsed into an integer"), "{err}");
        assert_eq!(settings.get("hz").as_deref(), Some("10"));
        settings.set(&[(b"HZ", b"20"), (b"maxclients", b"5")]).unwrap();
        assert_eq!(settings.get("hz").as_deref(), Some("20"));
        assert_eq!(settings.max_clients(), 5);
    }
}
