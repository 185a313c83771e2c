//! Writing entries: the indexed publish script, the plain XADD, and batches of either.
//!
//! A publish must be safe to retry after a timeout, so in [`PublishMode::Indexed`] it is not an XADD but the
//! append script of [`crate::scripts`], which checks the UUID index, appends and indexes in one atomic step.
//! An `append` of fields that carry a canonical message id runs the same script in its `append` mode (no
//! duplicate check, but indexed), so later publishes and lookups see the entry. [`PublishMode::Plain`] and
//! `append` of other fields are one XADD.
//!
//! A batch is one round trip. Indexed, it is one MULTI/EXEC transaction of EVALSHA calls; the `redis`
//! crate reloads a script after NOSCRIPT only for single invocations, so the batch does it itself: a server
//! that lost its script cache fails every call of the transaction with NOSCRIPT (nothing runs between the
//! commands of a transaction, so the cache cannot vanish halfway), and exactly those calls are sent again in a
//! second transaction that loads the script first. Plain, it is a pipeline of XADDs.
//!
//! Every write fills the `last_id` of [`Error::IdNotGreater`] from XINFO STREAM on its error path, since
//! Redis's message does not carry it.

use bus_core::{AppendOptions, Backend, EntryId, Error, Fields, Message, Published, Result, Topic};
use redis::{Script, ScriptInvocation, Value};
use uuid::Uuid;

use crate::RedisBackend;
use crate::args;
use crate::error::Ctx;
use crate::keys::TopicKeys;
use crate::options::PublishMode;
use crate::reply;
use crate::scripts;

/// The two modes of the append script (its `ARGV[1]`).
#[derive(Clone, Copy, Debug)]
enum ScriptMode {
    /// A UUID the index knows returns the existing entry instead of appending.
    Publish,
    /// Always appends, indexing the entry as a further holder of the UUID.
    Append,
}

impl ScriptMode {
    fn as_str(self) -> &'static str {
        match self {
            ScriptMode::Publish => "publish",
            ScriptMode::Append => "append",
        }
    }
}

impl RedisBackend {
    /// The indexed publish script, exactly as [`publish`](Backend::publish) runs it in the default
    /// [`PublishMode::Indexed`], for baselines (benchmarks, tools) that do the same work by hand through the
    /// `redis` crate. Its calling convention is a supported interface, kept as long as the key layout is:
    ///
    /// - `KEYS`: the topic's [`stream_key`](Self::stream_key), then its two [`index_keys`](Self::index_keys)
    ///   (the hash, then the order set).
    /// - `ARGV[1]`: `publish` (a UUID the index knows returns its entry, nothing is appended) or `append`
    ///   (always appends, and indexes the entry as a further holder of the UUID: what
    ///   [`append`](Backend::append) does with fields carrying a canonical `id`).
    /// - `ARGV[2]`: the message UUID, hyphenated lower case ([`Uuid::hyphenated`]), the same text as the `id`
    ///   field below.
    /// - `ARGV[3]`: `1` when the XADD arguments trim the stream, else `0`; after a trim the script drops the
    ///   index entries of the trimmed entries,
    /// - `ARGV[4]`: at most this many of them ([`RedisOptions::index_cleanup_batch`](crate::RedisOptions), from
    ///   [`options`](Self::options)).
    /// - `ARGV[5..]`: XADD's arguments after the key, as [`publish`](Backend::publish) sends them:
    ///   `[NOMKSTREAM] [MAXLEN|MINID =|~ threshold [LIMIT n]] <id or *> id <uuid> payload <json>`.
    ///
    /// The reply is `[entry_id, duplicate]` (`duplicate` is `1` when the UUID was already held and nothing
    /// was appended), nil when `NOMKSTREAM` met a missing stream, or the error reply of XADD as Redis words
    /// it. [`redis::Script::invoke_async`] sends EVALSHA and loads the script after NOSCRIPT; a pipeline or
    /// transaction of [`redis::Pipeline::invoke_script`] calls does not, so load it first
    /// ([`redis::Pipeline::load_script`]) as [`publish_batch`](Backend::publish_batch) does on NOSCRIPT.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
    /// use bus_core::{Backend, Topic, Uuid};
    /// use bus_redis::{RedisBackend, RedisOptions};
    ///
    /// let url = "redis://127.0.0.1:6379";
    /// let backend = RedisBackend::connect(url, RedisOptions::new()).await?;
    /// let topic = Topic::new("chat:42")?;
    /// let (ids, order) = backend.index_keys(&topic);
    /// let uuid = Uuid::new_v4().hyphenated().to_string();
    ///
    /// let script = RedisBackend::publish_script();
    /// let mut invocation = script.key(backend.stream_key(&topic));
    /// invocation.key(ids).key(order);
    /// invocation.arg("publish").arg(&uuid).arg("0").arg(backend.options().index_cleanup_batch);
    /// invocation.arg("*").arg("id").arg(&uuid).arg("payload").arg(r#"{"text":"hi"}"#);
    ///
    /// let mut conn = redis::Client::open(url)?.get_multiplexed_async_connection().await?;
    /// let (entry_id, duplicate): (String, i64) = invocation.invoke_async(&mut conn).await?;
    /// assert_eq!(duplicate, 0);
    /// // The bus sees it as its own publish: the index knows the UUID.
    /// assert_eq!(backend.lookup(&topic, uuid.parse()?).await?.map(|id| id.to_string()), Some(entry_id));
    /// # Ok(()) }
    /// ```
    pub fn publish_script() -> Script {
        Script::new(&scripts::append_source())
    }

    /// XADD of raw fields (no canonical message id: nothing to index).
    pub(crate) async fn append_plain(
        &self,
        topic: &Topic,
        fields: &Fields,
        options: &AppendOptions,
    ) -> Result<Option<EntryId>> {
        let ctx = self.ctx("XADD", topic)?;
        match self
            .query(&ctx, &args::xadd(&self.stream_key(topic), fields, options))
            .await
        {
            Ok(value) => reply::opt_id(&ctx, value),
            Err(err) => Err(self.with_last_id(topic, err).await),
        }
    }

    /// Appends fields carrying the canonical message id `uuid` through the script, so the index learns them.
    pub(crate) async fn append_indexed(
        &self,
        topic: &Topic,
        uuid: Uuid,
        fields: &Fields,
        options: &AppendOptions,
    ) -> Result<Option<EntryId>> {
        let ctx = self.ctx("XADD", topic)?;
        let published = self
            .scripted_append(&ctx, topic, ScriptMode::Append, uuid, fields, options)
            .await?;
        Ok(published.map(|p| p.entry_id))
    }

    /// One publish, in the backend's [`PublishMode`].
    pub(crate) async fn publish_one(
        &self,
        topic: &Topic,
        message: &Message,
        options: &AppendOptions,
    ) -> Result<Option<Published>> {
        let ctx = self.ctx("XADD", topic)?;
        match self.options().publish_mode {
            PublishMode::Indexed => {
                let fields = message.to_fields();
                self.scripted_append(&ctx, topic, ScriptMode::Publish, message.id(), &fields, options)
                    .await
            }
            PublishMode::Plain => {
                let cmd = args::xadd_message(&self.stream_key(topic), message, options);
                match self.query(&ctx, &cmd).await {
                    Ok(value) => plain_published_of(&ctx, value),
                    Err(err) => Err(self.with_last_id(topic, err).await),
                }
            }
        }
    }

    /// A non-empty batch in one round trip (see the module documentation); every message is attempted and
    /// the first error in batch order is returned.
    pub(crate) async fn publish_many(
        &self,
        topic: &Topic,
        messages: &[Message],
        options: &AppendOptions,
    ) -> Result<Vec<Option<Published>>> {
        let ctx = self.ctx("XADD", topic)?;
        let mode = self.options().publish_mode;
        let replies = match mode {
            PublishMode::Indexed => self.indexed_batch(&ctx, topic, messages, options).await?,
            PublishMode::Plain => {
                let key = self.stream_key(topic);
                let mut pipe = redis::pipe();
                pipe.ignore_errors();
                for message in messages {
                    pipe.add_command(args::xadd_message(&key, message, options));
                }
                pipe.query_async::<Vec<Value>>(&mut self.connection())
                    .await
                    .map_err(|err| ctx.map(err))?
            }
        };
        if replies.len() != messages.len() {
            return Err(ctx.protocol("batch publish: one reply per message expected"));
        }
        let mut published = Vec::with_capacity(replies.len());
        for reply in replies {
            let parsed = match reply.extract_error() {
                Ok(value) => match mode {
                    PublishMode::Indexed => published_of(&ctx, value),
                    PublishMode::Plain => plain_published_of(&ctx, value),
                },
                Err(err) => Err(ctx.map(err)),
            };
            match parsed {
                Ok(one) => published.push(one),
                Err(err) => return Err(self.with_last_id(topic, err).await),
            }
        }
        Ok(published)
    }

    /// Appends through the script (indexing `uuid`).
    async fn scripted_append(
        &self,
        ctx: &Ctx<'_>,
        topic: &Topic,
        mode: ScriptMode,
        uuid: Uuid,
        fields: &Fields,
        options: &AppendOptions,
    ) -> Result<Option<Published>> {
        let keys = self.keys(topic);
        let invocation = append_invocation(
            &self.scripts().append,
            &keys,
            mode,
            uuid,
            fields,
            options,
            self.options().index_cleanup_batch,
        );
        if let (ScriptMode::Publish, Some(durable)) = (mode, self.options().durable) {
            let value = self.durable_publish(ctx, topic, &invocation, durable).await?;
            return published_of(ctx, value);
        }
        let value = match invocation.invoke_async::<Value>(&mut self.connection()).await {
            Ok(value) => value,
            Err(err) => return Err(self.with_last_id(topic, ctx.map(err)).await),
        };
        published_of(ctx, value)
    }

    /// The replies of a batch of indexed publishes, one per message, in order, from one MULTI/EXEC transaction
    /// of EVALSHA calls, and a second transaction loading the script for the calls that met NOSCRIPT.
    async fn indexed_batch(
        &self,
        ctx: &Ctx<'_>,
        topic: &Topic,
        messages: &[Message],
        options: &AppendOptions,
    ) -> Result<Vec<Value>> {
        let script = &self.scripts().append;
        let keys = self.keys(topic);
        let invocations: Vec<ScriptInvocation<'_>> = messages
            .iter()
            .map(|message| {
                let fields = message.to_fields();
                append_invocation(
                    script,
                    &keys,
                    ScriptMode::Publish,
                    message.id(),
                    &fields,
                    options,
                    self.options().index_cleanup_batch,
                )
            })
            .collect();
        let transaction = |load: bool, only: Option<&[usize]>| {
            let mut pipe = redis::pipe();
            pipe.atomic().ignore_errors();
            if load {
                pipe.load_script(script).ignore();
            }
            match only {
                None => invocations.iter().for_each(|invocation| {
                    pipe.invoke_script(invocation);
                }),
                Some(indices) => indices
                    .iter()
                    .filter_map(|&i| invocations.get(i))
                    .for_each(|invocation| {
                        pipe.invoke_script(invocation);
                    }),
            }
            pipe
        };
        let mut conn = self.connection();
        let mut replies: Vec<Value> = transaction(false, None)
            .query_async(&mut conn)
            .await
            .map_err(|err| ctx.map(err))?;
        let missing: Vec<usize> = replies
            .iter()
            .enumerate()
            .filter(|(_, reply)| matches!(reply, Value::ServerError(err) if err.code() == "NOSCRIPT"))
            .map(|(i, _)| i)
            .collect();
        if !missing.is_empty() {
            let retried: Vec<Value> = transaction(true, Some(&missing))
                .query_async(&mut conn)
                .await
                .map_err(|err| ctx.map(err))?;
            if retried.len() != missing.len() {
                return Err(ctx.protocol("batch retry after NOSCRIPT: one reply per message expected"));
            }
            for (i, reply) in missing.into_iter().zip(retried) {
                if let Some(slot) = replies.get_mut(i) {
                    *slot = reply;
                }
            }
        }
        Ok(replies)
    }

    /// Fills `last_id` of [`Error::IdNotGreater`] with the stream's last generated id (one XINFO STREAM, on
    /// the error path only); other errors pass through.
    pub(crate) async fn with_last_id(&self, topic: &Topic, err: Error) -> Error {
        match err {
            Error::IdNotGreater { topic: name, .. } => {
                let last_id = match self.stream_info(topic).await {
                    Ok(info) => info.last_generated_id,
                    Err(_) => EntryId::MIN,
                };
                Error::IdNotGreater { topic: name, last_id }
            }
            other => other,
        }
    }
}

/// The invocation of the append script for one message (indexing `uuid`): the calling convention documented
/// on [`RedisBackend::publish_script`].
fn append_invocation<'s>(
    script: &'s Script,
    keys: &TopicKeys,
    mode: ScriptMode,
    uuid: Uuid,
    fields: &Fields,
    options: &AppendOptions,
    cleanup: u64,
) -> ScriptInvocation<'s> {
    let mut invocation = keys.invocation(script);
    invocation
        .arg(mode.as_str())
        .arg(uuid.hyphenated().to_string())
        .arg(if options.trim.is_some() { "1" } else { "0" })
        .arg(cleanup);
    args::push_xadd(options, fields, &mut |arg| {
        invocation.arg(arg);
    });
    invocation
}

/// The reply of the append script: `{entry_id, duplicate}`, or nil (NOMKSTREAM on a missing topic).
fn published_of(ctx: &Ctx<'_>, value: Value) -> Result<Option<Published>> {
    if value == Value::Nil {
        return Ok(None);
    }
    let mut parts = reply::array(ctx, value)?.into_iter();
    let (Some(id), Some(duplicate)) = (parts.next(), parts.next()) else {
        return Err(ctx.protocol("publish script reply without id and flag"));
    };
    Ok(Some(Published {
        entry_id: reply::id(ctx, id)?,
        duplicate: reply::int(ctx, duplicate)? == 1,
    }))
}

/// The reply of a plain XADD as a publish result (never a duplicate).
fn plain_published_of(ctx: &Ctx<'_>, value: Value) -> Result<Option<Published>> {
    Ok(reply::opt_id(ctx, value)?.map(|entry_id| Published {
        entry_id,
        duplicate: false,
    }))
}

#[cfg(all(test, feature = "testing"))]
mod tests {
    use bus_core::{Backend, Message, Topic};

    use super::*;
    use crate::testing::TestRedis;

    /// The calling convention documented on `publish_script`, run by hand: the backend must see the entry as
    /// one of its own indexed publishes.
    #[tokio::test]
    async fn the_documented_publish_script_convention_is_what_publish_runs() {
        let Some(server) = TestRedis::start("the_documented_publish_script_convention_is_what_publish_runs") else {
            return;
        };
        let backend = server.fresh_backend().await.unwrap();
        let topic = Topic::new("chat:raw").unwrap();
        let message = Message::from_json(Uuid::new_v4(), r#"{"text":"hi"}"#).unwrap();
        let uuid = message.id().hyphenated().to_string();
        let (ids, order) = backend.index_keys(&topic);
        let script = RedisBackend::publish_script();
        let mut invocation = script.key(backend.stream_key(&topic));
        invocation.key(ids).key(order);
        invocation
            .arg("publish")
            .arg(&uuid)
            .arg("0")
            .arg(backend.options().index_cleanup_batch);
        invocation
            .arg("*")
            .arg("id")
            .arg(&uuid)
            .arg("payload")
            .arg(message.payload());
        let mut conn = redis::Client::open(server.url())
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap();
        let (entry_id, duplicate): (String, i64) = invocation.invoke_async(&mut conn).await.unwrap();
        assert_eq!(duplicate, 0);
        let entry_id: EntryId = entry_id.parse().unwrap();
        assert_eq!(backend.lookup(&topic, message.id()).await.unwrap(), Some(entry_id));
        let again = backend.publish(&topic, &message, &AppendOptions::new()).await.unwrap();
        assert_eq!(
            again,
            Some(Published {
                entry_id,
                duplicate: true
            })
        );
        assert_eq!(backend.len(&topic).await.unwrap(), 1);
        let (again, duplicate): (String, i64) = invocation.invoke_async(&mut conn).await.unwrap();
        assert_eq!((again, duplicate), (entry_id.to_string(), 1));
    }
}
