//! Handlers as a stack of [`tower`] services: a worker runs any `Service<Delivery>`, so timeouts, concurrency
//! and rate limits and retries come from tower's own layers, and the bus adds its layers for what is specific to
//! a message bus.
//!
//! | layer | what it does | on failure |
//! | --- | --- | --- |
//! | [`CatchPanicLayer`] | a panic becomes a [`Panicked`] error | retried (the worker always adds one, outermost) |
//! | [`DedupLayer`] | skips a message whose UUID its [`SeenUuids`] store has seen; marks it after success | a failed check is retried |
//! | [`JsonLayer<T>`] | decodes the payload as `T`: the handler takes a [`Json<T>`] | not JSON for `T`: dead-lettered at once |
//! | `tower::timeout::TimeoutLayer` | fails an attempt that takes too long | retried with the worker's backoff |
//! | `tower::limit::{ConcurrencyLimitLayer, RateLimitLayer}` | gate the work | (they wait, they do not fail) |
//!
//! How the worker reads the outcome: `Ok` acknowledges the entry (whatever the response is); an error whose
//! source chain holds a [`Permanent`] dead-letters it at once (reason `permanent`); any other error leaves it
//! pending for a retry after the backoff, and dead-letters it after `max_deliveries`. The worker holds one
//! instance of the stack and, for each delivery, waits for `poll_ready` and calls it under a lock, then runs the
//! returned future in the delivery's own task: layers that are not `Clone` (`RateLimit`) work as they are, and
//! the keep-alive covers the time spent waiting for readiness. The simple closure API
//! ([`Worker::spawn`](crate::Worker::spawn), [`Agent::start`](crate::Agent::start)) is this with the closure as
//! the only service; a closure's `Err(Permanent::new(…))` dead-letters at once too.
//!
//! # The order of layers
//! A [`tower::ServiceBuilder`] lists layers outermost first. From the outside in:
//!
//! 1. **[`CatchPanicLayer`]**, the worker's own: outermost so that a panic anywhere in the stack, a layer's
//!    included, is a failed delivery and never unwinds into the worker.
//! 2. **Rate and concurrency limits** (`RateLimitLayer`, `ConcurrencyLimitLayer`): they gate the work, and must
//!    be one shared instance: `DedupLayer` clones what is inside it for every call, and `RateLimit` is not
//!    `Clone` at all (a `ConcurrencyLimit` clone shares its semaphore, so that one may also go further in).
//! 3. **[`DedupLayer`]**: before anything that costs (a timeout's budget, the decoding, the work), so a duplicate
//!    is skipped cheaply, and around everything that can fail, so it marks a UUID only when the whole attempt,
//!    a retry layer's attempts included, succeeded. It reads the UUID from the raw [`Delivery`], so it goes
//!    outside `JsonLayer`.
//! 4. **`tower::retry`** (optional, for quick in-place retries before the worker's slower backoff): inside
//!    dedup, outside the timeout so each attempt is timed on its own; its policy should give up on
//!    [`is_permanent`] errors.
//! 5. **`TimeoutLayer`**: bounds one attempt of the work. Inside the limits, so waiting for a permit does not
//!    count; its `Elapsed` error is not permanent, so a slow attempt is retried with the backoff (keep the
//!    timeout under `claim_idle` or rely on the keep-alive, which runs meanwhile).
//! 6. **[`JsonLayer<T>`]**: innermost, right on the handler, because its output (`Json<T>`) is the handler's
//!    request type; a decode failure is [`Permanent`] and passes the timeout and dedup unchanged.
//!
//! # Example
//! A tower timeout, typed decoding and deduplication. The first attempt hangs and is timed out, then retried;
//! a copy of the message that a producer wrote a second time (under the same UUID) is skipped.
//! ```
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() -> bus_core::Result<()> {
//! use std::sync::Arc;
//! use std::sync::atomic::{AtomicU32, Ordering};
//! use std::time::Duration;
//! use bus_core::{AppendOptions, Message, Topic};
//! use bus_runtime::handler::BoxError;
//! use bus_runtime::{Backoff, DedupLayer, Json, JsonLayer, RecentUuids, Worker, WorkerConfig};
//! use tower::ServiceBuilder;
//!
//! #[derive(serde::Serialize, serde::Deserialize)]
//! struct Order { id: u64 }
//!
//! let bus = bus_memory::MemoryBackend::new().bus();
//! let topic = Topic::chat_agent("orders")?;
//! let message = Message::new(&Order { id: 7 })?;
//! bus.publish_message(&topic, &message).await?;
//! // A producer's retry that bypassed the UUID index: a second entry with the same UUID.
//! bus.backend().append(&topic, message.to_fields(), &AppendOptions::new()).await?;
//!
//! let calls = Arc::new(AtomicU32::new(0));
//! let stack = ServiceBuilder::new()
//!     .layer(DedupLayer::new(Arc::new(RecentUuids::new(10_000))))
//!     .timeout(Duration::from_secs(5))
//!     .layer(JsonLayer::<Order>::new())
//!     .service_fn({
//!         let calls = Arc::clone(&calls);
//!         move |order: Json<Order>| {
//!             let first_call = calls.fetch_add(1, Ordering::SeqCst) == 0;
//!             async move {
//!                 if first_call {
//!                     tokio::time::sleep(Duration::from_secs(3600)).await; // hangs: timed out
//!                 }
//!                 println!("order {} (delivery {})", order.id, order.delivery.delivery_count);
//!                 Ok::<(), BoxError>(())
//!             }
//!         }
//!     });
//! let config = WorkerConfig::new()
//!     .concurrency(1)
//!     .retry_backoff(Backoff::new(Duration::from_secs(1), Duration::from_secs(10)));
//! let handle = Worker::new(bus.clone(), topic.clone(), "billing", "billing-1", config).spawn_service(stack);
//! tokio::time::sleep(Duration::from_secs(30)).await;
//! let report = handle.shutdown().await?;
//! // The first entry: timed out, retried, then skipped (its copy had done the work meanwhile).
//! assert_eq!((report.delivered, report.failed, report.retried, report.acked), (3, 1, 1, 2));
//! assert_eq!(calls.load(Ordering::SeqCst), 2, "the work ran once, after the timed-out attempt");
//! # Ok(()) }
//! ```

mod dedup;
mod error;
mod json;
mod panic;

use std::fmt::Display;
use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::FutureExt;
use futures::future::BoxFuture;
use tower::{Layer, Service};

pub use dedup::{Dedup, DedupLayer, SeenFuture, SeenUuids};
pub use error::{BoxError, Permanent, is_permanent};
pub use json::{DecodeError, DecodeJson, Json, JsonLayer};
pub use panic::{CatchPanic, CatchPanicLayer, Panicked};

use crate::worker::Delivery;

/// What the worker calls for each delivery: the stack, erased.
pub(crate) type DynHandler = Arc<dyn Fn(Delivery) -> BoxFuture<'static, Result<(), BoxError>> + Send + Sync>;

/// Erases a stack for the worker: one instance behind a lock, readied and called under it, its future run
/// outside it; with a [`CatchPanic`] outermost.
pub(crate) fn erase<S>(service: S) -> DynHandler
where
    S: Service<Delivery> + Send + 'static,
    S::Response: Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    let service = Arc::new(tokio::sync::Mutex::new(CatchPanicLayer.layer(service)));
    Arc::new(move |delivery| {
        let service = Arc::clone(&service);
        async move {
            let call = {
                let mut service = service.lock().await;
                std::future::poll_fn(|cx| service.poll_ready(cx)).await?;
                service.call(delivery)
            };
            call.await.map(drop)
        }
        .boxed()
    })
}

/// A closure handler as a service: always ready, its `Display` error boxed (see `box_display_error`).
pub(crate) struct HandlerFn<H>(pub(crate) Arc<H>);

impl<H> Clone for HandlerFn<H> {
    fn clone(&self) -> Self {
        HandlerFn(Arc::clone(&self.0))
    }
}

impl<H, Fut, E> Service<Delivery> for HandlerFn<H>
where
    H: Fn(Delivery) -> Fut,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: Display + Send + 'static,
{
    type Response = ();
    type Error = BoxError;
    type Future = BoxFuture<'static, Result<(), BoxError>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, delivery: Delivery) -> Self::Future {
        (self.0)(delivery)
            .map(|result| result.map_err(error::box_display_error))
            .boxed()
    }
}
