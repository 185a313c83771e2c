//! The reference side of the differential tests: a private redis-server with Redis's default node layout
//! (`stream-node-max-bytes 4096`, `stream-node-max-entries 100`), driven with raw commands, and readers for its
//! replies. The same sequence runs on a `MemoryBackend`; the server's answers are the expected values.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::io::Write;

use bus_core::{EntryId, Fields};
use bus_memory::NodeLayout;
use bus_redis::testing::TestRedis;
use redis::Value;

/// A private server for one test.
pub struct Server {
    conn: redis::Connection,
    _redis: TestRedis,
}

impl Server {
    /// A private server with Redis's default node layout, or `None` (after a loud SKIP line) when there is no
    /// server, or only a shared one (`BUS_REDIS_URL`), whose configuration a test must not change.
    pub fn start(name: &str) -> Option<Server> {
        let redis = TestRedis::start(name)?;
        if !redis.is_private() {
            let _ = writeln!(
                std::io::stderr(),
                "\n**********\nSKIP {name}: needs a private redis-server (it changes the node layout with CONFIG \
                 SET); BUS_REDIS_URL is set.\n**********\n"
            );
            return None;
        }
        let conn = redis.raw().expect("connect to the private redis-server");
        let mut server = Server { conn, _redis: redis };
        server.set_layout(NodeLayout::REDIS_DEFAULT);
        Some(server)
    }

    /// A command with arguments given as bytes.
    pub fn cmd<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Value {
        let mut cmd = redis::Cmd::new();
        for arg in args {
            cmd.arg(arg.as_ref());
        }
        cmd.query(&mut self.conn)
            .unwrap_or_else(|err| panic!("redis-server refused {}: {err}", show(args)))
    }

    /// `CONFIG SET stream-node-max-entries … stream-node-max-bytes …`.
    pub fn set_layout(&mut self, layout: NodeLayout) {
        let entries = layout.max_entries.to_string();
        let bytes = layout.max_bytes.to_string();
        self.cmd(&[
            "CONFIG",
            "SET",
            "stream-node-max-entries",
            &entries,
            "stream-node-max-bytes",
            &bytes,
        ]);
    }

    /// `XADD key id field value …`.
    pub fn xadd(&mut self, key: &str, id: EntryId, fields: &Fields) {
        let mut args: Vec<Vec<u8>> = vec![b"XADD".to_vec(), key.into(), id.to_string().into_bytes()];
        for (name, value) in fields.iter() {
            args.push(name.to_vec());
            args.push(value.to_vec());
        }
        self.cmd(&args);
    }

    /// An integer reply.
    pub fn int<A: AsRef<[u8]>>(&mut self, args: &[A]) -> i64 {
        int(&self.cmd(args))
    }

    /// `XINFO STREAM key [FULL …]` as a map.
    pub fn xinfo(&mut self, args: &[&str]) -> HashMap<String, Value> {
        let mut all = vec!["XINFO", "STREAM"];
        all.extend_from_slice(args);
        map(&self.cmd(&all))
    }
}

fn show<A: AsRef<[u8]>>(args: &[A]) -> String {
    let words: Vec<String> = args
        .iter()
        .map(|a| {
            let text = String::from_utf8_lossy(a.as_ref());
            if text.len() > 40 {
                format!("{}…", &text[..40])
            } else {
                text.into_owned()
            }
        })
        .collect();
    words.join(" ")
}

/// A RESP2 map (a flat array of name, value pairs).
pub fn map(value: &Value) -> HashMap<String, Value> {
    let items = array(value);
    items.chunks(2).map(|pair| (text(&pair[0]), pair[1].clone())).collect()
}

/// An array reply.
pub fn array(value: &Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items.clone(),
        other => panic!("expected an array, got {other:?}"),
    }
}

/// A bulk string reply as text.
pub fn text(value: &Value) -> String {
    match value {
        Value::BulkString(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        Value::SimpleString(s) => s.clone(),
        other => panic!("expected a string, got {other:?}"),
    }
}

/// An integer reply.
pub fn int(value: &Value) -> i64 {
    match value {
        Value::Int(n) => *n,
        other => panic!("expected an integer, got {other:?}"),
    }
}

/// An integer or nil.
pub fn opt_int(value: &Value) -> Option<i64> {
    match value {
        Value::Nil => None,
        other => Some(int(other)),
    }
}

/// An entry id reply.
pub fn id(value: &Value) -> EntryId {
    text(value).parse().unwrap()
}

/// Entries as Redis replies them (`[[id, [field, value, …]], …]`).
pub fn entries(value: &Value) -> Vec<(EntryId, Fields)> {
    array(value)
        .iter()
        .map(|entry| {
            let parts = array(entry);
            let pairs = array(&parts[1]);
            let fields = Fields::from_pairs(pairs.chunks(2).map(|p| (bytes(&p[0]), bytes(&p[1]))));
            (id(&parts[0]), fields)
        })
        .collect()
}

fn bytes(value: &Value) -> Vec<u8> {
    match value {
        Value::BulkString(bytes) => bytes.clone(),
        other => panic!("expected a bulk string, got {other:?}"),
    }
}

/// A small deterministic generator (xorshift64*), so a failing sequence can be replayed from its seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// True with probability `percent`%.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}
