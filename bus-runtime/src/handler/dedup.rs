//! [`DedupLayer`]: skips deliveries of messages whose work is already done, by their canonical UUID, over any
//! [`SeenUuids`] store: [`RecentUuids`] in memory, or `bus_redis::RedisDedup` (its impl is in bus-redis behind
//! the `runtime` feature) across replicas and restarts.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use tower::{Layer, Service};
use uuid::Uuid;

use super::BoxError;
use crate::dedup::RecentUuids;
use crate::observe::{self, GroupLabels};
use crate::worker::Delivery;

/// What a [`SeenUuids`] method returns: a boxed future, so the trait stays object-safe (`Arc<dyn SeenUuids>`).
pub type SeenFuture<'a, T> = Pin<Box<dyn Future<Output = bus_core::Result<T>> + Send + 'a>>;

/// A store of the message UUIDs whose work is done, for [`DedupLayer`].
///
/// Implemented by [`RecentUuids`] (this process, bounded by count) and, with bus-redis's `runtime` feature, by
/// `bus_redis::RedisDedup` (every replica, bounded by time). Implement it for your own store (a database table
/// written in the same transaction as the work makes the check exact).
pub trait SeenUuids: Send + Sync {
    /// Whether the work of `uuid` is recorded as done.
    fn seen(&self, uuid: Uuid) -> SeenFuture<'_, bool>;
    /// Records the work of `uuid` as done.
    fn mark(&self, uuid: Uuid) -> SeenFuture<'_, ()>;
}

impl SeenUuids for RecentUuids {
    fn seen(&self, uuid: Uuid) -> SeenFuture<'_, bool> {
        Box::pin(std::future::ready(Ok(self.contains(uuid))))
    }

    fn mark(&self, uuid: Uuid) -> SeenFuture<'_, ()> {
        self.insert(uuid);
        Box::pin(std::future::ready(Ok(())))
    }
}

/// Skips a delivery whose message UUID the store has seen, and marks the UUID once the wrapped service
/// succeeded for it.
///
/// - **Checked before, marked after.** A UUID is marked only when the inner service returned `Ok`, so a failed
///   (or panicking, or timed-out) attempt is retried, not skipped. A skipped delivery succeeds (the entry is
///   acknowledged) without calling the inner service, and counts in `bus_runtime_duplicates_total`.
/// - **A failed check fails the delivery** (it is retried); a failed mark after the work succeeded is only
///   logged: failing would make the retry run the work again for certain, while succeeding only lets a later
///   duplicate through.
/// - **Not a lock.** Two deliveries of one UUID running at the same time both pass the check; at-least-once
///   redeliveries come after the first one failed or stalled, which this catches.
///
/// The inner service must be `Clone` (as for `tower::retry`): the check runs before the inner service is
/// called, inside the returned future, on the clone that was made ready.
///
/// ```no_run
/// # fn demo(backend: bus_redis::RedisBackend) -> bus_core::Result<()> {
/// use std::sync::Arc;
/// use std::time::Duration;
/// use bus_runtime::{DedupLayer, RecentUuids, SeenUuids};
///
/// // Duplicates reaching this process:
/// let local = DedupLayer::new(Arc::new(RecentUuids::new(10_000)));
/// // Duplicates reaching any replica, across restarts (bus-redis's `runtime` feature):
/// let shared: Arc<dyn SeenUuids> = Arc::new(backend.dedup("billing", Duration::from_secs(24 * 3600))?);
/// let everywhere = DedupLayer::new(shared);
/// # let _ = (local, everywhere);
/// # Ok(()) }
/// ```
pub struct DedupLayer<D: ?Sized> {
    store: Arc<D>,
}

impl<D: ?Sized> DedupLayer<D> {
    /// Deduplicates over `store` (share one store between the workers of a group).
    pub fn new(store: Arc<D>) -> DedupLayer<D> {
        DedupLayer { store }
    }
}

impl<D: ?Sized> Clone for DedupLayer<D> {
    fn clone(&self) -> Self {
        DedupLayer {
            store: Arc::clone(&self.store),
        }
    }
}

impl<D: ?Sized> fmt::Debug for DedupLayer<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DedupLayer").finish_non_exhaustive()
    }
}

impl<S, D: ?Sized> Layer<S> for DedupLayer<D> {
    type Service = Dedup<S, D>;

    fn layer(&self, inner: S) -> Dedup<S, D> {
        Dedup {
            inner,
            store: Arc::clone(&self.store),
        }
    }
}

/// The service of [`DedupLayer`]; its response is `None` for a skipped duplicate.
pub struct Dedup<S, D: ?Sized> {
    inner: S,
    store: Arc<D>,
}

impl<S: Clone, D: ?Sized> Clone for Dedup<S, D> {
    fn clone(&self) -> Self {
        Dedup {
            inner: self.inner.clone(),
            store: Arc::clone(&self.store),
        }
    }
}

impl<S: fmt::Debug, D: ?Sized> fmt::Debug for Dedup<S, D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dedup")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<S, D> Service<Delivery> for Dedup<S, D>
where
    S: Service<Delivery> + Clone + Send + 'static,
    S::Response: Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send,
    D: SeenUuids + ?Sized + 'static,
{
    type Response = Option<S::Response>;
    type Error = BoxError;
    type Future = BoxFuture<'static, Result<Option<S::Response>, BoxError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, delivery: Delivery) -> Self::Future {
        // The instance made ready goes into the future; `self` keeps a fresh clone for the next poll_ready.
        let fresh = self.inner.clone();
        let mut ready = std::mem::replace(&mut self.inner, fresh);
        let store = Arc::clone(&self.store);
        Box::pin(async move {
            let uuid = delivery.message.id();
            if store.seen(uuid).await? {
                tracing::debug!(%uuid, "duplicate delivery skipped: the work of this message is done");
                GroupLabels::new(&delivery.topic, &delivery.group).count(observe::DUPLICATES, 1);
                return Ok(None);
            }
            let response = ready.call(delivery).await.map_err(Into::into)?;
            if let Err(err) = store.mark(uuid).await {
                tracing::warn!(%uuid, error = %err, "could not record the message as done; a later duplicate may run again");
            }
            Ok(Some(response))
        })
    }
}
