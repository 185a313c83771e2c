//! The Redis side: two bus-redis backends (plain and default indexed publish mode) and a raw connection on one
//! server, under a unique key prefix. The bus arms write topic `bench:bus`, the raw arms the stream key of topic
//! `bench:raw` (and its index keys); each arm's keys are deleted after every round, outside the timed region,
//! and everything under the prefix at the end.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use bus::{Backend, PublishMode, RedisBackend, RedisOptions, Topic};
use redis::aio::MultiplexedConnection;

use crate::bus_arms;
use crate::cases::{Mode, Op};
use crate::measure::Measured;
use crate::raw_redis::{self, PublishScript, del};
use crate::work::{Fallible, bus_err, redis_err};

/// Backends and raw connections on the benched server.
pub(crate) struct RedisSide {
    url: String,
    prefix: String,
    client: redis::Client,
    raw: MultiplexedConnection,
    plain: Arc<RedisBackend>,
    indexed: Arc<RedisBackend>,
    script: PublishScript,
    bus_topic: Topic,
    /// The stream and index keys of the bus arms' topic.
    bus_keys: Vec<String>,
    /// The keys the raw arms write: the same layout, for topic `bench:raw`.
    raw_keys: Vec<String>,
    /// The first of `bus_keys`, the stream.
    bus_stream: String,
    /// The first of `raw_keys`, the stream.
    raw_stream: String,
}

impl RedisSide {
    /// Connects both backends and the raw client to `url`, under a fresh `bus-bench:<pid>:<nanos>:` prefix.
    pub(crate) async fn connect(url: &str) -> Fallible<RedisSide> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let prefix = format!("bus-bench:{}:{nanos}:", std::process::id());
        let backend = async |mode| {
            let options = RedisOptions::new().key_prefix(prefix.clone()).publish_mode(mode);
            RedisBackend::connect(url, options).await.map(Arc::new).map_err(bus_err)
        };
        let plain = backend(PublishMode::Plain).await?;
        let indexed = backend(PublishMode::Indexed).await?;
        let client = redis::Client::open(url).map_err(redis_err)?;
        let raw = client.get_multiplexed_async_connection().await.map_err(redis_err)?;
        let bus_topic = Topic::new("bench:bus").map_err(bus_err)?;
        let raw_topic = Topic::new("bench:raw").map_err(bus_err)?;
        let keys = |topic: &Topic| {
            let (ids, order) = plain.index_keys(topic);
            vec![plain.stream_key(topic), ids, order]
        };
        Ok(RedisSide {
            url: url.to_owned(),
            bus_stream: plain.stream_key(&bus_topic),
            raw_stream: plain.stream_key(&raw_topic),
            bus_keys: keys(&bus_topic),
            raw_keys: keys(&raw_topic),
            script: PublishScript::of(&indexed),
            prefix,
            client,
            raw,
            plain,
            indexed,
            bus_topic,
        })
    }

    /// The server's URL.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// A key under the run's prefix (deleted by [`RedisSide::cleanup`]).
    pub(crate) fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    /// A connection for commands outside the arms.
    pub(crate) fn conn(&self) -> MultiplexedConnection {
        self.raw.clone()
    }

    /// bus-redis in `mode` doing `op` `n` times (messages, or wakeup samples); the topic's keys are deleted after.
    pub(crate) async fn bus(&self, mode: Mode, op: Op, n: u64) -> Fallible<Measured> {
        let backend = match mode {
            Mode::Plain => &self.plain,
            Mode::Indexed => &self.indexed,
        };
        let topic = &self.bus_topic;
        let measured = match op {
            Op::Publish => bus_arms::publish(backend.as_ref(), topic, n).await?,
            Op::PublishBatch => bus_arms::publish_batch(backend.as_ref(), topic, n).await?,
            Op::GroupCycle => {
                // Filled by hand, as the raw arm's stream is, so only the timed part differs.
                raw_redis::fill(&mut self.conn(), &self.bus_stream, n).await?;
                bus_arms::group_cycle(backend.as_ref(), topic, n).await?
            }
            Op::Wakeup => {
                let backend: Arc<dyn Backend> = backend.clone();
                bus_arms::wakeup(backend, topic, n).await?
            }
        };
        del(&mut self.conn(), &self.bus_keys).await?;
        Ok(measured)
    }

    /// The raw commands bus-redis sends in `mode` for `op`, `n` times; the keys are deleted after.
    pub(crate) async fn raw(&self, mode: Mode, op: Op, n: u64) -> Fallible<Measured> {
        let mut conn = self.conn();
        let key = &self.raw_stream;
        let measured = match (mode, op) {
            (Mode::Plain, Op::Publish) => raw_redis::publish(&mut conn, key, n).await?,
            (Mode::Plain, Op::PublishBatch) => raw_redis::pipeline(&mut conn, key, n).await?,
            (Mode::Plain, Op::GroupCycle) => {
                raw_redis::fill(&mut conn, key, n).await?;
                raw_redis::group_cycle(&mut conn, key, n).await?
            }
            (Mode::Plain, Op::Wakeup) => raw_redis::wakeup(&self.client, &mut conn, key, n).await?,
            (Mode::Indexed, Op::Publish) => raw_redis::evalsha(&mut conn, &self.script, &self.raw_keys, n).await?,
            (Mode::Indexed, Op::PublishBatch) => {
                raw_redis::evalsha_multi_exec(&mut conn, &self.script, &self.raw_keys, n).await?
            }
            (Mode::Indexed, op) => return Err(format!("no raw arm for an indexed {op:?}")),
        };
        del(&mut conn, &self.raw_keys).await?;
        Ok(measured)
    }

    /// Deletes every key under the run's prefix.
    pub(crate) async fn cleanup(&self) -> Fallible<()> {
        let mut conn = self.conn();
        let mut cursor = 0u64;
        loop {
            let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(format!("{}*", self.prefix))
                .arg("COUNT")
                .arg(1000)
                .query_async(&mut conn)
                .await
                .map_err(redis_err)?;
            if !keys.is_empty() {
                del(&mut conn, &keys).await?;
            }
            if next == 0 {
                return Ok(());
            }
            cursor = next;
        }
    }
}
