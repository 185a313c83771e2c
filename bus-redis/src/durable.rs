//! The opt-in durable publish: the publish script and a `WAIT` for replicas in one round trip.
//!
//! Redis replicates asynchronously: a publish the master acknowledged can be lost if the master dies before a
//! replica received it, and the replica is promoted. With [`RedisOptions::durable`](crate::RedisOptions::durable)
//! each indexed publish is sent as a pipeline of the script's `EVALSHA` and `WAIT <replicas> <timeout>` on the
//! same connection (on a cluster the pipeline goes to the master of the topic's slot, where `WAIT` counts the
//! replicas that have the write). The publish succeeds only when at least that many replicas acknowledged it;
//! otherwise it fails with [`Error::Timeout`] (`may_have_executed: true`): the entry is on the master but not
//! known to be replicated, and retrying it is safe (the index answers `duplicate`, and the retry's `WAIT`
//! covers the first write too).
//!
//! `WAIT` holds the connection it runs on until enough replicas answer or its timeout passes: on the shared
//! connection every command queued behind it waits as long. Keep the timeout short (tens of milliseconds;
//! replicas normally answer within one), and give durable publishing a backend of its own when other traffic
//! must not wait behind a lagging replica.

use std::time::Duration;

use bus_core::{Error, Result, Topic};
use redis::{ScriptInvocation, Value};

use crate::RedisBackend;
use crate::args::millis;
use crate::error::Ctx;

/// How many replicas must acknowledge a durable publish, and how long to wait for them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Durable {
    /// Replicas that must have the write before the publish returns. At least 1.
    pub replicas: u32,
    /// The `WAIT` timeout. At least 1 ms, and shorter than the response timeout.
    pub timeout: Duration,
}

impl RedisBackend {
    /// Runs the publish script and `WAIT` in one round trip; returns the script's reply once enough replicas
    /// acknowledged it.
    pub(crate) async fn durable_publish(
        &self,
        ctx: &Ctx<'_>,
        topic: &Topic,
        invocation: &ScriptInvocation<'_>,
        durable: Durable,
    ) -> Result<Value> {
        let mut pipe = redis::pipe();
        pipe.ignore_errors()
            .invoke_script(invocation)
            .cmd("WAIT")
            .arg(durable.replicas)
            .arg(millis(durable.timeout));
        let mut conn = self.connection();
        let mut replies: Vec<Value> = pipe.query_async(&mut conn).await.map_err(|err| ctx.map(err))?;
        if matches!(replies.first(), Some(Value::ServerError(err)) if err.code() == "NOSCRIPT") {
            // The server lost its script cache (a restart, a failover to a replica that never loaded it).
            invocation.load_async(&mut conn).await.map_err(|err| ctx.map(err))?;
            replies = pipe.query_async(&mut conn).await.map_err(|err| ctx.map(err))?;
        }
        let (Some(published), Some(acknowledged)) = (replies.first(), replies.get(1)) else {
            return Err(ctx.protocol("a durable publish expects two replies"));
        };
        if let Value::ServerError(err) = published {
            let err = ctx.server_error(err.code(), err.details().unwrap_or_default());
            return Err(self.with_last_id(topic, err).await);
        }
        let acknowledged = match acknowledged {
            Value::Int(n) => *n,
            other => return Err(ctx.protocol(format!("WAIT answered {other:?}"))),
        };
        if acknowledged < i64::from(durable.replicas) {
            return Err(Error::Timeout {
                operation: format!(
                    "{} (WAIT {} {}: {acknowledged} replica(s) acknowledged the write)",
                    ctx.operation(),
                    durable.replicas,
                    millis(durable.timeout)
                ),
                elapsed: durable.timeout,
                may_have_executed: true,
            });
        }
        Ok(published.clone())
    }
}
