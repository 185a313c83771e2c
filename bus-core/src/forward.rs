//! Backends built on other backends: `Arc<T>` and `Box<T>` are backends, and [`Forward`] plus [`Forwarding`]
//! make a wrapper that changes only what it must (fault injection, metrics, a deliberately broken backend for a
//! test) and forwards everything else.
//!
//! Every forwarding impl here comes from one list of the trait's methods, and each carries
//! `#[deny(clippy::missing_trait_methods)]`: a method added to [`Backend`] must be added to that list, or clippy
//! fails. A wrapper written by hand could silently fall back to a default method (as
//! [`Backend::publish_batch`]'s one-by-one loop) instead of the wrapped backend's own.
//!
//! ```
//! use std::sync::atomic::{AtomicU64, Ordering};
//! use bus_core::forward::{Forward, Forwarding};
//! use bus_core::{Backend, Error, Result};
//!
//! /// Fails every XREAD with a retryable error, as a dropped connection would.
//! #[derive(Debug)]
//! struct NoReads<B> {
//!     inner: B,
//!     refused: AtomicU64,
//! }
//!
//! #[async_trait::async_trait]
//! impl<B: Backend> Forward for NoReads<B> {
//!     fn inner(&self) -> &dyn Backend {
//!         &self.inner
//!     }
//!
//!     async fn before(&self, method: &'static str) -> Result<()> {
//!         if method == "read" {
//!             self.refused.fetch_add(1, Ordering::Relaxed);
//!             return Err(Error::Connection { operation: "XREAD".into(), message: "injected".into() });
//!         }
//!         Ok(())
//!     }
//! }
//!
//! # fn wrap<B: Backend>(inner: B) -> bus_core::Bus {
//! let backend = Forwarding(NoReads { inner, refused: AtomicU64::new(0) });
//! bus_core::Bus::new(backend)
//! # }
//! ```

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use uuid::Uuid;

use crate::backend::Backend;
use crate::entry::{Entry, Fields, GroupEntry, ReadReply};
use crate::error::Result;
use crate::id::{EntryId, GroupCursor, GroupStart, RangeBound, ReadCursor};
use crate::message::Message;
use crate::options::{
    AppendOptions, AutoClaimOptions, ClaimOptions, GroupCreateOptions, PendingQuery, ReadGroupOptions, ReadOptions,
    Trim,
};
use crate::records::{
    AutoClaimed, Claimed, ConsumerDelete, ConsumerInfo, GroupInfo, PendingEntry, PendingSummary, Published, StreamInfo,
};
use crate::topic::Topic;

/// Calls `$callback! { $args… <every Backend method> }`, each method as `name(arg: Type, …) -> Return;`: the one
/// list every forwarding impl is generated from.
macro_rules! with_backend_methods {
    ($callback:ident! { $($args:tt)* }) => {
        $callback! { $($args)*
            append(topic: &Topic, fields: Fields, options: &AppendOptions) -> Result<Option<EntryId>>;
            publish(topic: &Topic, message: &Message, options: &AppendOptions) -> Result<Option<Published>>;
            publish_batch(topic: &Topic, messages: &[Message], options: &AppendOptions)
                -> Result<Vec<Option<Published>>>;
            lookup(topic: &Topic, uuid: Uuid) -> Result<Option<EntryId>>;
            range(topic: &Topic, start: RangeBound, end: RangeBound, count: Option<u64>) -> Result<Vec<Entry>>;
            rev_range(topic: &Topic, end: RangeBound, start: RangeBound, count: Option<u64>) -> Result<Vec<Entry>>;
            read(cursors: &[(Topic, ReadCursor)], options: &ReadOptions) -> Result<ReadReply<Entry>>;
            group_create(topic: &Topic, group: &str, start: GroupStart, options: &GroupCreateOptions) -> Result<()>;
            group_destroy(topic: &Topic, group: &str) -> Result<bool>;
            group_set_id(topic: &Topic, group: &str, id: GroupStart, entries_read: Option<u64>) -> Result<()>;
            consumer_create(topic: &Topic, group: &str, consumer: &str) -> Result<bool>;
            consumer_delete(topic: &Topic, group: &str, consumer: &str) -> Result<u64>;
            consumer_delete_if_idle(topic: &Topic, group: &str, consumer: &str, min_idle: Duration)
                -> Result<ConsumerDelete>;
            read_group(group: &str, consumer: &str, cursors: &[(Topic, GroupCursor)], options: &ReadGroupOptions)
                -> Result<ReadReply<GroupEntry>>;
            ack(topic: &Topic, group: &str, ids: &[EntryId]) -> Result<u64>;
            pending_summary(topic: &Topic, group: &str) -> Result<PendingSummary>;
            pending(topic: &Topic, group: &str, query: &PendingQuery) -> Result<Vec<PendingEntry>>;
            claim(topic: &Topic, group: &str, consumer: &str, min_idle: Duration, ids: &[EntryId],
                options: &ClaimOptions) -> Result<Claimed>;
            auto_claim(topic: &Topic, group: &str, consumer: &str, min_idle: Duration, start: RangeBound,
                options: &AutoClaimOptions) -> Result<AutoClaimed>;
            delete(topic: &Topic, ids: &[EntryId]) -> Result<u64>;
            trim(topic: &Topic, trim: &Trim) -> Result<u64>;
            len(topic: &Topic) -> Result<u64>;
            drop_topic(topic: &Topic) -> Result<bool>;
            expire_topic(topic: &Topic, ttl: Duration) -> Result<bool>;
            topic_ttl(topic: &Topic) -> Result<Option<Duration>>;
            stream_info(topic: &Topic) -> Result<StreamInfo>;
            groups_info(topic: &Topic) -> Result<Vec<GroupInfo>>;
            consumers_info(topic: &Topic, group: &str) -> Result<Vec<ConsumerInfo>>;
        }
    };
}

/// `impl Backend for $type`, every method calling `$trait::method($target, args…)` with `$this` bound to `self`.
macro_rules! impl_backend_by_forwarding {
    (
        [$($generics:tt)*] $type:ty, $trait:ident, |$this:ident| $target:expr;
        $($method:ident($($arg:ident: $arg_type:ty),*) -> $return:ty;)*
    ) => {
        #[async_trait]
        #[deny(clippy::missing_trait_methods)]
        impl<$($generics)*> Backend for $type {
            $(
                async fn $method(&self, $($arg: $arg_type),*) -> $return {
                    let $this = self;
                    $trait::$method($target, $($arg),*).await
                }
            )*
        }
    };
}

with_backend_methods!(impl_backend_by_forwarding! { [T: Backend + ?Sized] Arc<T>, Backend, |this| &**this; });
with_backend_methods!(impl_backend_by_forwarding! { [T: Backend + ?Sized] Box<T>, Backend, |this| &**this; });
with_backend_methods!(impl_backend_by_forwarding! { [F: Forward] Forwarding<F>, Forward, |this| &this.0; });

/// Declares [`Forward`], each method defaulting to [`Forward::before`] then the same method of
/// [`Forward::inner`].
macro_rules! declare_forward {
    ($($method:ident($($arg:ident: $arg_type:ty),*) -> $return:ty;)*) => {
        /// A backend defined by the backend it wraps. Implement [`Forward::inner`] and override what changes: every
        /// other method runs [`Forward::before`] with the method's name, then forwards to `inner()`. Wrap the
        /// implementor in [`Forwarding`] to get a [`Backend`].
        ///
        /// The methods mirror [`Backend`]'s one for one (see there for what each must do).
        #[async_trait]
        pub trait Forward: Send + Sync + Debug + 'static {
            /// The backend calls are forwarded to.
            fn inner(&self) -> &dyn Backend;

            /// Runs before every forwarded call with the [`Backend`] method's name (`"append"`, `"read_group"`, …);
            /// an error is returned instead of forwarding. Overridden methods do not call it unless they do so
            /// themselves.
            async fn before(&self, method: &'static str) -> Result<()> {
                let _ = method;
                Ok(())
            }

            $(
                #[doc = concat!("[`Backend::", stringify!($method), "`]: [`Forward::before`], then `inner()`.")]
                async fn $method(&self, $($arg: $arg_type),*) -> $return {
                    self.before(stringify!($method)).await?;
                    self.inner().$method($($arg),*).await
                }
            )*
        }
    };
}

with_backend_methods!(declare_forward! {});

/// The [`Backend`] made of a [`Forward`] implementor.
#[derive(Clone, Debug, Default)]
pub struct Forwarding<F>(pub F);

impl<F> Forwarding<F> {
    /// The wrapper inside.
    pub fn get(&self) -> &F {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// Records the names `before` sees and answers `len` itself.
    #[derive(Debug)]
    struct Probe {
        inner: Arc<dyn Backend>,
        seen: Mutex<Vec<&'static str>>,
    }

    #[async_trait]
    impl Forward for Probe {
        fn inner(&self) -> &dyn Backend {
            self.inner.as_ref()
        }

        async fn before(&self, method: &'static str) -> Result<()> {
            self.seen.lock().map_err(|_| crate::Error::syntax())?.push(method);
            Ok(())
        }

        async fn len(&self, _topic: &Topic) -> Result<u64> {
            Ok(42)
        }
    }

    /// A backend that answers every call with an error naming nothing; enough to see calls arrive.
    #[derive(Debug)]
    struct Refuses;

    #[async_trait]
    impl Backend for Refuses {
        async fn append(&self, _: &Topic, _: Fields, _: &AppendOptions) -> Result<Option<EntryId>> {
            Ok(Some(EntryId::new(7, 0)))
        }
        async fn publish(&self, _: &Topic, _: &Message, _: &AppendOptions) -> Result<Option<Published>> {
            Err(crate::Error::syntax())
        }
        async fn publish_batch(
            &self,
            _: &Topic,
            messages: &[Message],
            _: &AppendOptions,
        ) -> Result<Vec<Option<Published>>> {
            // Distinguishable from the trait's default, which would call `publish` and fail.
            Ok(vec![None; messages.len()])
        }
        async fn lookup(&self, _: &Topic, _: Uuid) -> Result<Option<EntryId>> {
            Err(crate::Error::syntax())
        }
        async fn range(&self, _: &Topic, _: RangeBound, _: RangeBound, _: Option<u64>) -> Result<Vec<Entry>> {
            Err(crate::Error::syntax())
        }
        async fn rev_range(&self, _: &Topic, _: RangeBound, _: RangeBound, _: Option<u64>) -> Result<Vec<Entry>> {
            Err(crate::Error::syntax())
        }
        async fn read(&self, _: &[(Topic, ReadCursor)], _: &ReadOptions) -> Result<ReadReply<Entry>> {
            Ok(ReadReply::TimedOut)
        }
        async fn group_create(&self, _: &Topic, _: &str, _: GroupStart, _: &GroupCreateOptions) -> Result<()> {
            Err(crate::Error::syntax())
        }
        async fn group_destroy(&self, _: &Topic, _: &str) -> Result<bool> {
            Err(crate::Error::syntax())
        }
        async fn group_set_id(&self, _: &Topic, _: &str, _: GroupStart, _: Option<u64>) -> Result<()> {
            Err(crate::Error::syntax())
        }
        async fn consumer_create(&self, _: &Topic, _: &str, _: &str) -> Result<bool> {
            Err(crate::Error::syntax())
        }
        async fn consumer_delete(&self, _: &Topic, _: &str, _: &str) -> Result<u64> {
            Err(crate::Error::syntax())
        }
        async fn consumer_delete_if_idle(&self, _: &Topic, _: &str, _: &str, _: Duration) -> Result<ConsumerDelete> {
            Err(crate::Error::syntax())
        }
        async fn read_group(
            &self,
            _: &str,
            _: &str,
            _: &[(Topic, GroupCursor)],
            _: &ReadGroupOptions,
        ) -> Result<ReadReply<GroupEntry>> {
            Err(crate::Error::syntax())
        }
        async fn ack(&self, _: &Topic, _: &str, _: &[EntryId]) -> Result<u64> {
            Ok(3)
        }
        async fn pending_summary(&self, _: &Topic, _: &str) -> Result<PendingSummary> {
            Err(crate::Error::syntax())
        }
        async fn pending(&self, _: &Topic, _: &str, _: &PendingQuery) -> Result<Vec<PendingEntry>> {
            Err(crate::Error::syntax())
        }
        async fn claim(
            &self,
            _: &Topic,
            _: &str,
            _: &str,
            _: Duration,
            _: &[EntryId],
            _: &ClaimOptions,
        ) -> Result<Claimed> {
            Err(crate::Error::syntax())
        }
        async fn auto_claim(
            &self,
            _: &Topic,
            _: &str,
            _: &str,
            _: Duration,
            _: RangeBound,
            _: &AutoClaimOptions,
        ) -> Result<AutoClaimed> {
            Err(crate::Error::syntax())
        }
        async fn delete(&self, _: &Topic, _: &[EntryId]) -> Result<u64> {
            Err(crate::Error::syntax())
        }
        async fn trim(&self, _: &Topic, _: &Trim) -> Result<u64> {
            Err(crate::Error::syntax())
        }
        async fn len(&self, _: &Topic) -> Result<u64> {
            Ok(1)
        }
        async fn drop_topic(&self, _: &Topic) -> Result<bool> {
            Err(crate::Error::syntax())
        }
        async fn expire_topic(&self, _: &Topic, _: Duration) -> Result<bool> {
            Err(crate::Error::syntax())
        }
        async fn topic_ttl(&self, _: &Topic) -> Result<Option<Duration>> {
            Ok(Some(Duration::from_secs(9)))
        }
        async fn stream_info(&self, _: &Topic) -> Result<StreamInfo> {
            Err(crate::Error::syntax())
        }
        async fn groups_info(&self, _: &Topic) -> Result<Vec<GroupInfo>> {
            Err(crate::Error::syntax())
        }
        async fn consumers_info(&self, _: &Topic, _: &str) -> Result<Vec<ConsumerInfo>> {
            Err(crate::Error::syntax())
        }
    }

    #[tokio::test]
    async fn forwarding_calls_before_then_the_inner_method_unless_overridden() -> Result<()> {
        let probe = Forwarding(Probe {
            inner: Arc::new(Refuses),
            seen: Mutex::new(Vec::new()),
        });
        let topic = Topic::new("t")?;
        let appended = probe
            .append(&topic, Fields::from_pairs([("n", "1")]), &AppendOptions::new())
            .await?;
        assert_eq!(appended, Some(EntryId::new(7, 0)));
        let message = Message::from_json(Uuid::nil(), "{}")?;
        // The inner backend's own batch publish, not the trait's default loop over `publish`.
        assert_eq!(
            probe
                .publish_batch(&topic, &[message.clone(), message], &AppendOptions::new())
                .await?,
            vec![None, None]
        );
        assert!(probe.read(&[], &ReadOptions::new()).await?.is_timed_out());
        assert_eq!(probe.ack(&topic, "g", &[]).await?, 3);
        assert_eq!(probe.topic_ttl(&topic).await?, Some(Duration::from_secs(9)));
        assert_eq!(probe.len(&topic).await?, 42, "an overridden method");
        let seen = probe.get().seen.lock().map_err(|_| crate::Error::syntax())?.clone();
        assert_eq!(seen, ["append", "publish_batch", "read", "ack", "topic_ttl"]);
        Ok(())
    }

    #[tokio::test]
    async fn arc_and_box_are_backends() -> Result<()> {
        let topic = Topic::new("t")?;
        let shared: Arc<dyn Backend> = Arc::new(Refuses);
        let boxed: Box<dyn Backend> = Box::new(Refuses);
        assert_eq!(Backend::len(&shared, &topic).await?, 1);
        assert_eq!(Backend::len(&boxed, &topic).await?, 1);
        let message = Message::from_json(Uuid::nil(), "{}")?;
        assert_eq!(
            Backend::publish_batch(&boxed, &topic, &[message], &AppendOptions::new()).await?,
            vec![None]
        );
        Ok(())
    }
}
