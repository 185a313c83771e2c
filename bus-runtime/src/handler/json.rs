//! [`JsonLayer`]: typed decoding. The handler under it receives a [`Json<T>`] instead of a raw
//! [`Delivery`]; a payload that does not decode as `T` fails [`Permanent`]ly, so it is dead-lettered on its
//! first delivery instead of failing `max_deliveries` times.

use std::any::type_name;
use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;
use std::task::{Context, Poll};

use futures::FutureExt;
use futures::future::BoxFuture;
use serde::de::DeserializeOwned;
use tower::{Layer, Service};

use super::{BoxError, Permanent};
use crate::worker::Delivery;

/// A delivery whose payload decoded as `T`: the request of a handler under a [`JsonLayer<T>`]. Derefs to the
/// value.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Json<T> {
    /// The decoded payload.
    pub value: T,
    /// The delivery it came from (topic, entry id, UUID, delivery count; `delivery.message` still holds the raw
    /// payload and headers).
    pub delivery: Delivery,
}

impl<T> Json<T> {
    /// The decoded payload.
    pub fn into_inner(self) -> T {
        self.value
    }
}

impl<T> Deref for Json<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

/// Decodes each delivery's payload as `T` for the service it wraps (a `Service<Json<T>>`), making a
/// `Service<Delivery>`. See the [module docs](crate::handler) for where it goes in a stack.
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> bus_core::Result<()> {
/// use bus_runtime::{Json, JsonLayer, Worker, WorkerConfig, DeadLetter, dead_letter_topic};
/// use bus_core::RangeBound;
///
/// #[derive(serde::Deserialize)]
/// struct Chat { content: String }
///
/// let bus = bus_memory::MemoryBackend::new().bus();
/// let topic = bus_core::Topic::chat_agent("DevAgent")?;
/// bus.publish(&topic, &serde_json::json!({"content": "hi"})).await?;
/// bus.publish(&topic, &serde_json::json!({"text": "no content field"})).await?;
///
/// let handler = tower::ServiceBuilder::new()
///     .layer(JsonLayer::<Chat>::new())
///     .service_fn(|chat: Json<Chat>| async move {
///         println!("{}", chat.content);
///         Ok::<(), bus_runtime::handler::BoxError>(())
///     });
/// let worker = Worker::new(bus.clone(), topic.clone(), "agents", "agent-1", WorkerConfig::new());
/// let handle = worker.spawn_service(handler);
/// tokio::time::sleep(std::time::Duration::from_secs(2)).await;
/// let report = handle.shutdown().await?;
/// assert_eq!((report.acked, report.dead_lettered), (1, 1)); // the second one at its first delivery
///
/// let dead = dead_letter_topic(&topic, "agents")?;
/// let letters = bus.backend().range(&dead, RangeBound::MIN, RangeBound::MAX, None).await?;
/// let letter: DeadLetter = letters[0].message().unwrap().decode()?;
/// assert!(letter.last_error.unwrap().contains("missing field `content`"));
/// # Ok(()) }
/// ```
pub struct JsonLayer<T> {
    // `fn() -> T`: the layer holds no `T`, so it is `Send`, `Sync` and `Clone` whatever `T` is.
    target: PhantomData<fn() -> T>,
}

impl<T> JsonLayer<T> {
    /// A layer decoding payloads as `T`.
    pub fn new() -> JsonLayer<T> {
        JsonLayer { target: PhantomData }
    }
}

impl<T> Default for JsonLayer<T> {
    fn default() -> Self {
        JsonLayer::new()
    }
}

impl<T> Clone for JsonLayer<T> {
    fn clone(&self) -> Self {
        JsonLayer::new()
    }
}

impl<T> fmt::Debug for JsonLayer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "JsonLayer<{}>", type_name::<T>())
    }
}

impl<S, T> Layer<S> for JsonLayer<T> {
    type Service = DecodeJson<S, T>;

    fn layer(&self, inner: S) -> DecodeJson<S, T> {
        DecodeJson {
            inner,
            target: PhantomData,
        }
    }
}

/// The service of [`JsonLayer`].
pub struct DecodeJson<S, T> {
    inner: S,
    target: PhantomData<fn() -> T>,
}

impl<S: Clone, T> Clone for DecodeJson<S, T> {
    fn clone(&self) -> Self {
        DecodeJson {
            inner: self.inner.clone(),
            target: PhantomData,
        }
    }
}

impl<S: fmt::Debug, T> fmt::Debug for DecodeJson<S, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecodeJson")
            .field("inner", &self.inner)
            .field("target", &type_name::<T>())
            .finish()
    }
}

impl<S, T> Service<Delivery> for DecodeJson<S, T>
where
    S: Service<Json<T>>,
    S::Response: Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
    T: DeserializeOwned,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = BoxFuture<'static, Result<S::Response, BoxError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, delivery: Delivery) -> Self::Future {
        match serde_json::from_str::<T>(delivery.message.payload()) {
            Ok(value) => self
                .inner
                .call(Json { value, delivery })
                .map(|result| result.map_err(Into::into))
                .boxed(),
            Err(error) => {
                let error = DecodeError {
                    target: type_name::<T>(),
                    error,
                };
                futures::future::ready(Err(Permanent::new(error).into())).boxed()
            }
        }
    }
}

/// A payload that does not decode as the handler's type; [`JsonLayer`] returns it as a [`Permanent`] error.
#[derive(Debug)]
pub struct DecodeError {
    target: &'static str,
    error: serde_json::Error,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the payload does not decode as {}: {}", self.target, self.error)
    }
}

impl std::error::Error for DecodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}
