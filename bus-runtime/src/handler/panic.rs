//! [`CatchPanicLayer`]: a panic in a handler becomes an error, so the delivery fails (and is retried) instead of
//! unwinding through the layers around it.

use std::any::Any;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::task::{Context, Poll};

use futures::FutureExt;
use futures::future::BoxFuture;
use tower::{Layer, Service};

use super::BoxError;

/// Turns panics of the wrapped service (in `poll_ready`, in `call`, or while its future runs) into a
/// [`Panicked`] error.
///
/// Every worker puts one outermost around the stack it is given, so a panic anywhere is a failed delivery that
/// is retried like an error. Add one yourself *inside* a layer that must see the panic as an error: a
/// `tower::retry` policy retrying it, or a [`DedupLayer`](crate::DedupLayer) (which never marks a failed
/// delivery, panicking or not, so it needs none).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use bus_runtime::handler::CatchPanicLayer;
/// use tower::{Layer, Service, ServiceExt};
///
/// let mut service = CatchPanicLayer.layer(tower::service_fn(|n: u32| async move {
///     if n == 0 { panic!("zero") }
///     Ok::<u32, bus_runtime::handler::BoxError>(n)
/// }));
/// let error = service.ready().await.unwrap().call(0).await.unwrap_err();
/// assert_eq!(error.to_string(), "handler panicked: zero");
/// # }
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct CatchPanicLayer;

impl<S> Layer<S> for CatchPanicLayer {
    type Service = CatchPanic<S>;

    fn layer(&self, inner: S) -> CatchPanic<S> {
        CatchPanic { inner }
    }
}

/// The service of [`CatchPanicLayer`].
#[derive(Clone, Debug)]
pub struct CatchPanic<S> {
    inner: S,
}

impl<S, R> Service<R> for CatchPanic<S>
where
    S: Service<R>,
    S::Response: Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = BoxFuture<'static, Result<S::Response, BoxError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        match catch_unwind(AssertUnwindSafe(|| self.inner.poll_ready(cx))) {
            Ok(ready) => ready.map_err(Into::into),
            Err(panic) => Poll::Ready(Err(Panicked::of(&*panic).into())),
        }
    }

    fn call(&mut self, request: R) -> Self::Future {
        match catch_unwind(AssertUnwindSafe(|| self.inner.call(request))) {
            Ok(future) => AssertUnwindSafe(future)
                .catch_unwind()
                .map(|outcome| match outcome {
                    Ok(result) => result.map_err(Into::into),
                    Err(panic) => Err(Panicked::of(&*panic).into()),
                })
                .boxed(),
            Err(panic) => futures::future::ready(Err(Panicked::of(&*panic).into())).boxed(),
        }
    }
}

/// A handler panicked; displays as `handler panicked: <the panic message>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Panicked {
    message: String,
}

impl Panicked {
    fn of(payload: &(dyn Any + Send)) -> Panicked {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "non-string panic payload".to_owned());
        Panicked { message }
    }

    /// The panic's message (`non-string panic payload` when it had none).
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Panicked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "handler panicked: {}", self.message)
    }
}

impl std::error::Error for Panicked {}
