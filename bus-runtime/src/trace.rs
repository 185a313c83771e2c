//! Trace propagation (feature `otel`): the W3C trace context of the publishing span travels in the message's
//! headers to the span that handles it, so one trace covers the request that published and the work it caused.
//!
//! - **Publishing.** [`Publisher`](crate::Publisher) adds the current span's context to every message it
//!   publishes: a `traceparent` header (`00-<trace id>-<span id>-<flags>`) and, when the context has one, a
//!   `tracestate` header, stored as extra fields after `id` and `payload`. Nothing is added when there is no
//!   current span with an OpenTelemetry context (no `tracing_opentelemetry` layer, or outside any span), nor
//!   when the message already has a `traceparent`; such a message is stored exactly as without the feature.
//!   To publish through [`Bus`](bus_core::Bus) directly, pass the message through [`inject`] first.
//! - **Consuming.** A [`Worker`](crate::Worker) makes the publisher's span the parent of each `bus.delivery`
//!   span it runs a handler in; a [`Subscription`](crate::Subscription)'s entries give theirs through
//!   [`SubscriptionItem::delivery_span`](crate::SubscriptionItem::delivery_span). A message without the headers
//!   (written before the feature was on, or by a producer that knows nothing of it), or with a `traceparent`
//!   that does not parse, gets a span of its own, as before.
//! - **The format** is the W3C Trace Context's, written and read by `opentelemetry_sdk`'s
//!   `TraceContextPropagator` whatever global propagator the application set, so producers and consumers in
//!   other languages (`opentelemetry-python`'s default propagator reads the same two headers) join the trace.
//!
//! The application installs the `tracing_opentelemetry` layer with its tracer provider as usual; the bus only
//! reads and writes span contexts through it.
//!
//! ```
//! # fn main() -> bus_core::Result<()> {
//! use opentelemetry::trace::TracerProvider;
//! use tracing_subscriber::layer::SubscriberExt;
//!
//! let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
//! let subscriber = tracing_subscriber::registry()
//!     .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("billing")));
//! tracing::subscriber::with_default(subscriber, || {
//!     let request = tracing::info_span!("handle request");
//!     let _entered = request.enter();
//!     let message = bus_runtime::trace::inject(bus_core::Message::new(&"hello")?)?;
//!     assert!(message.header(bus_runtime::trace::TRACEPARENT).is_some_and(|v| v.starts_with("00-")));
//!     Ok(())
//! })
//! # }
//! ```

use opentelemetry::Context;
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::TraceContextExt;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing_opentelemetry::{OpenTelemetrySpanExt, SetParentError};

use bus_core::{Message, Result};

/// The header holding the W3C `traceparent`.
pub const TRACEPARENT: &str = "traceparent";
/// The header holding the W3C `tracestate`, written when the context has one.
pub const TRACESTATE: &str = "tracestate";

/// The message with the current span's trace context in its headers (see the [module docs](self)); unchanged
/// when there is no context to carry or it already has a `traceparent`.
pub fn inject(message: Message) -> Result<Message> {
    let mut headers = current_headers();
    if headers.0.is_empty() || message.header(TRACEPARENT).is_some() {
        return Ok(message);
    }
    // Written in this order, so entries read the same everywhere.
    headers.0.sort_by_key(|(name, _)| *name != TRACEPARENT);
    headers
        .0
        .into_iter()
        .try_fold(message, |message, (name, value)| message.with_header(name, value))
}

/// The message with the current trace context, or `None` when [`inject`] would leave it unchanged (so a
/// publisher copies a message only when there is something to add).
pub(crate) fn injected(message: &Message) -> Result<Option<Message>> {
    if message.header(TRACEPARENT).is_some() || current_headers().0.is_empty() {
        return Ok(None);
    }
    inject(message.clone()).map(Some)
}

/// The trace context a message carries (an empty context when it carries none, or one that does not parse).
pub fn extract(message: &Message) -> Context {
    TraceContextPropagator::new().extract(&Headers(message))
}

/// Makes the span that published `message` the parent of `span`, if the message says which span that was.
pub(crate) fn follow(span: &tracing::Span, message: &Message) {
    if message.header(TRACEPARENT).is_none() {
        return;
    }
    let context = extract(message);
    if !context.span().span_context().is_valid() {
        tracing::debug!(
            traceparent = message.header(TRACEPARENT),
            "the message's traceparent does not parse; its delivery starts a trace of its own"
        );
        return;
    }
    match span.set_parent(context) {
        // No OpenTelemetry layer (or the span is filtered out): there is nothing to parent.
        Ok(()) | Err(SetParentError::LayerNotFound) => {}
        Err(err) => tracing::debug!(error = ?err, "could not parent the delivery span"),
    }
}

/// The headers the current span's context gives, as the propagator writes them.
fn current_headers() -> Collected {
    let context = tracing::Span::current().context();
    let mut headers = Collected(Vec::new());
    if context.span().span_context().is_valid() {
        TraceContextPropagator::new().inject_context(&context, &mut headers);
    }
    headers
}

/// What the propagator writes, keeping only the two headers of the format.
struct Collected(Vec<(&'static str, String)>);

impl Injector for Collected {
    fn set(&mut self, key: &str, value: String) {
        let name = match key {
            TRACEPARENT => TRACEPARENT,
            TRACESTATE if !value.is_empty() => TRACESTATE,
            _ => return,
        };
        self.0.push((name, value));
    }
}

/// A message's headers as the propagator reads them.
struct Headers<'a>(&'a Message);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.header(key)
    }

    fn keys(&self) -> Vec<&str> {
        self.0.headers().map(|(name, _)| name).collect()
    }
}
