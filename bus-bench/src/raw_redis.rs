//! The raw `redis` crate baselines: the commands bus-redis sends, sent by hand on a plain
//! `MultiplexedConnection` (the stricter baseline: no reconnecting manager), with the same per-message work.

use std::time::{Duration, Instant};

use bus::{RedisBackend, Uuid};
use redis::aio::MultiplexedConnection;

use crate::measure::{Measured, Wakee, each, wakeups};
use crate::work::{BATCH, BLOCK, CONSUMER, Fallible, GROUP, redis_err, uuid_and_json};

/// bus-redis's indexed publish script ([`RedisBackend::publish_script`], whose docs give its keys and arguments),
/// run by hand: the baseline of the indexed publish cases.
pub(crate) struct PublishScript {
    script: redis::Script,
    /// The index cleanup batch bus-redis passes the script.
    cleanup: u64,
}

impl PublishScript {
    /// The script `backend` runs for an indexed publish (the same SHA), with `backend`'s arguments.
    pub(crate) fn of(backend: &RedisBackend) -> PublishScript {
        PublishScript {
            script: RedisBackend::publish_script(),
            cleanup: backend.options().index_cleanup_batch,
        }
    }

    /// One publish without trimming: keys stream, `:ids`, `:ids:order`; arguments `publish`, the UUID, `0` (no
    /// trim), the cleanup batch, then XADD's arguments after the key.
    fn invocation(&self, keys: &[String], id: Uuid, payload: String) -> redis::ScriptInvocation<'_> {
        let uuid = id.hyphenated().to_string();
        let mut invocation = self.script.prepare_invoke();
        for key in keys {
            invocation.key(key);
        }
        invocation
            .arg("publish")
            .arg(&uuid)
            .arg("0")
            .arg(self.cleanup)
            .arg("*")
            .arg("id")
            .arg(&uuid)
            .arg("payload")
            .arg(payload);
        invocation
    }
}

/// `XADD key * id <uuid> payload <json>`, the fields bus-redis writes for a message.
pub(crate) fn xadd(key: &str, id: Uuid, payload: &str) -> redis::Cmd {
    let mut cmd = redis::cmd("XADD");
    cmd.arg(key)
        .arg("*")
        .arg("id")
        .arg(id.hyphenated().to_string())
        .arg("payload")
        .arg(payload);
    cmd
}

/// A fresh message's XADD.
fn fresh_xadd(key: &str) -> Fallible<redis::Cmd> {
    let (id, payload) = uuid_and_json()?;
    Ok(xadd(key, id, &payload))
}

/// `n` XADD, one round trip each.
pub(crate) async fn publish(conn: &mut MultiplexedConnection, key: &str, n: u64) -> Fallible<Measured> {
    each(n, 1, async || {
        let entry: String = fresh_xadd(key)?.query_async(conn).await.map_err(redis_err)?;
        std::hint::black_box(entry);
        Ok(())
    })
    .await
}

/// `n` XADD in pipelines of [`BATCH`].
pub(crate) async fn pipeline(conn: &mut MultiplexedConnection, key: &str, n: u64) -> Fallible<Measured> {
    each(n / BATCH, BATCH, async || {
        let mut pipe = redis::pipe();
        for _ in 0..BATCH {
            pipe.add_command(fresh_xadd(key)?);
        }
        let ids: Vec<String> = pipe.query_async(conn).await.map_err(redis_err)?;
        std::hint::black_box(ids);
        Ok(())
    })
    .await
}

/// `n` EVALSHA of the publish script, one round trip each (bus-redis's indexed publish, by hand).
pub(crate) async fn evalsha(
    conn: &mut MultiplexedConnection,
    script: &PublishScript,
    keys: &[String],
    n: u64,
) -> Fallible<Measured> {
    each(n, 1, async || {
        let (id, payload) = uuid_and_json()?;
        let reply: redis::Value = script
            .invocation(keys, id, payload)
            .invoke_async(conn)
            .await
            .map_err(redis_err)?;
        std::hint::black_box(reply);
        Ok(())
    })
    .await
}

/// `n` EVALSHA of the publish script by [`BATCH`] in one MULTI/EXEC (bus-redis's indexed batch, by hand).
pub(crate) async fn evalsha_multi_exec(
    conn: &mut MultiplexedConnection,
    script: &PublishScript,
    keys: &[String],
    n: u64,
) -> Fallible<Measured> {
    // EVALSHA inside MULTI/EXEC gets NOSCRIPT for a script the server has not seen; this arm may run first.
    script
        .script
        .prepare_invoke()
        .load_async(conn)
        .await
        .map_err(redis_err)?;
    each(n / BATCH, BATCH, async || {
        let mut pipe = redis::pipe();
        pipe.atomic();
        for _ in 0..BATCH {
            let (id, payload) = uuid_and_json()?;
            pipe.invoke_script(&script.invocation(keys, id, payload));
        }
        let replies: Vec<redis::Value> = pipe.query_async(conn).await.map_err(redis_err)?;
        std::hint::black_box(replies);
        Ok(())
    })
    .await
}

/// `XGROUP CREATE key bench <start> MKSTREAM`.
async fn group_create(conn: &mut MultiplexedConnection, key: &str, start: &str) -> Fallible<()> {
    redis::cmd("XGROUP")
        .arg("CREATE")
        .arg(key)
        .arg(GROUP)
        .arg(start)
        .arg("MKSTREAM")
        .query_async::<()>(conn)
        .await
        .map_err(redis_err)
}

/// Creates the group at the start of `key` and appends `n` entries by pipelines of XADD: the untimed setup of
/// both arms of the Redis group read case.
pub(crate) async fn fill(conn: &mut MultiplexedConnection, key: &str, n: u64) -> Fallible<()> {
    group_create(conn, key, "0").await?;
    for _ in 0..n / BATCH {
        let mut pipe = redis::pipe();
        for _ in 0..BATCH {
            pipe.add_command(fresh_xadd(key)?).ignore();
        }
        pipe.query_async::<()>(conn).await.map_err(redis_err)?;
    }
    Ok(())
}

/// The entry ids of an XREADGROUP reply (`[[key, [[id, fields], …]], …]`, or its RESP3 map), nothing else parsed.
fn reply_ids(reply: redis::Value) -> Vec<Vec<u8>> {
    use redis::Value;
    let mut ids = Vec::new();
    let streams = match reply {
        Value::Array(streams) => streams,
        Value::Map(pairs) => pairs.into_iter().map(|(k, v)| Value::Array(vec![k, v])).collect(),
        _ => return ids,
    };
    for stream in streams {
        let Value::Array(mut parts) = stream else { continue };
        let Some(Value::Array(entries)) = parts.pop() else {
            continue;
        };
        for entry in entries {
            if let Value::Array(mut pair) = entry
                && !pair.is_empty()
                && let Value::BulkString(id) = pair.swap_remove(0)
            {
                ids.push(id);
            }
        }
    }
    ids
}

fn xreadgroup(key: &str, count: u64, block: Option<Duration>) -> redis::Cmd {
    let mut cmd = redis::cmd("XREADGROUP");
    cmd.arg("GROUP").arg(GROUP).arg(CONSUMER).arg("COUNT").arg(count);
    if let Some(block) = block {
        cmd.arg("BLOCK").arg(block.as_millis() as u64);
    }
    cmd.arg("STREAMS").arg(key).arg(">");
    cmd
}

/// `XACK key bench <ids>`: how many were acknowledged.
async fn xack(conn: &mut MultiplexedConnection, key: &str, ids: Vec<Vec<u8>>) -> Fallible<u64> {
    redis::cmd("XACK")
        .arg(key)
        .arg(GROUP)
        .arg(ids)
        .query_async(conn)
        .await
        .map_err(redis_err)
}

/// `n` entries read in cycles of `XREADGROUP … COUNT 100 … >` + `XACK` of their ids, on a stream filled
/// beforehand ([`fill`]).
pub(crate) async fn group_cycle(conn: &mut MultiplexedConnection, key: &str, n: u64) -> Fallible<Measured> {
    each(n / BATCH, BATCH, async || {
        let reply: redis::Value = xreadgroup(key, BATCH, None)
            .query_async(conn)
            .await
            .map_err(redis_err)?;
        let acked = xack(conn, key, reply_ids(reply)).await?;
        if acked != BATCH {
            return Err(format!("raw group cycle acked {acked} entries, expected {BATCH}"));
        }
        Ok(())
    })
    .await
}

/// `samples` wakeups of a consumer blocked in `XREADGROUP … BLOCK` (on a connection of its own, as bus-redis
/// gives blocking reads) by an `XADD` on `conn`.
pub(crate) async fn wakeup(
    client: &redis::Client,
    conn: &mut MultiplexedConnection,
    key: &str,
    samples: u64,
) -> Fallible<Measured> {
    group_create(conn, key, "$").await?;
    // A response timeout above the block, so the blocked read is not cut short.
    let config = redis::AsyncConnectionConfig::new().set_response_timeout(Some(BLOCK + Duration::from_secs(5)));
    let blocked = client
        .get_multiplexed_async_connection_with_config(&config)
        .await
        .map_err(redis_err)?;
    let consumer = Blocked {
        conn: blocked,
        key: key.to_owned(),
    };
    wakeups(samples, consumer, async || {
        let (id, payload) = uuid_and_json()?;
        let t0 = Instant::now();
        let entry: String = xadd(key, id, &payload).query_async(conn).await.map_err(redis_err)?;
        std::hint::black_box(entry);
        Ok(t0)
    })
    .await
}

/// A consumer blocked in `XREADGROUP … BLOCK`, acknowledging what it gets.
struct Blocked {
    conn: MultiplexedConnection,
    key: String,
}

impl Wakee for Blocked {
    async fn receive(&mut self) -> Fallible<Instant> {
        let reply: redis::Value = xreadgroup(&self.key, 1, Some(BLOCK))
            .query_async(&mut self.conn)
            .await
            .map_err(redis_err)?;
        let at = Instant::now();
        let ids = reply_ids(reply);
        if ids.is_empty() {
            return Err("the raw blocked read returned no entry".to_owned());
        }
        xack(&mut self.conn, &self.key, ids).await?;
        Ok(at)
    }
}

/// Deletes keys (between rounds, untimed).
pub(crate) async fn del(conn: &mut MultiplexedConnection, keys: &[String]) -> Fallible<()> {
    redis::cmd("DEL")
        .arg(keys)
        .query_async::<()>(conn)
        .await
        .map_err(redis_err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use redis::Value;

    fn bulk(text: &str) -> Value {
        Value::BulkString(text.as_bytes().to_vec())
    }

    #[test]
    fn reply_ids_takes_only_the_ids_in_both_protocols() {
        let entry = |id: &str| Value::Array(vec![bulk(id), Value::Array(vec![bulk("id"), bulk("x")])]);
        let entries = Value::Array(vec![entry("1-0"), entry("2-0")]);
        let resp2 = Value::Array(vec![Value::Array(vec![bulk("k"), entries.clone()])]);
        let resp3 = Value::Map(vec![(bulk("k"), entries)]);
        for reply in [resp2, resp3] {
            assert_eq!(reply_ids(reply), [b"1-0".to_vec(), b"2-0".to_vec()]);
        }
        assert!(reply_ids(Value::Nil).is_empty());
    }

    #[test]
    fn xadd_writes_the_fields_of_a_bus_message() {
        let id = Uuid::nil();
        let packed = String::from_utf8_lossy(&xadd("k", id, "{}").get_packed_command()).into_owned();
        for arg in ["XADD", "k", "*", "id", &id.hyphenated().to_string(), "payload", "{}"] {
            assert!(packed.contains(&format!("\r\n{arg}\r\n")), "{arg} in {packed:?}");
        }
    }
}
