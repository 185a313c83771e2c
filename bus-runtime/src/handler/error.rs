//! The errors a handler stack deals in: [`BoxError`], the [`Permanent`] marker, and how the worker tells a
//! permanent failure from one worth retrying.

use std::any::Any;
use std::error::Error as StdError;
use std::fmt::{self, Display};

/// The error type of a stack's layers: tower's convention (`tower::BoxError` is the same type), so any error a
/// layer or handler returns fits.
pub type BoxError = Box<dyn StdError + Send + Sync>;

/// A failure that no retry can fix: the worker dead-letters the entry at once (reason
/// [`Permanent`](crate::DeadLetterReason::Permanent)) instead of retrying it up to `max_deliveries`.
///
/// Return it from a handler (directly, boxed, or as the [`source`](StdError::source) of your own error; the
/// worker looks through the whole source chain) for input that is wrong rather than a dependency that is down:
/// a request for an unknown account, a command that fails validation. [`JsonLayer`](crate::JsonLayer) returns
/// one for a payload that does not decode. Displays as the error it wraps, so the dead letter's `last_error` is
/// that error's message.
///
/// ```
/// use bus_runtime::handler::{BoxError, Permanent, is_permanent};
/// let error: BoxError = Permanent::new("unknown account 42").into();
/// assert!(is_permanent(&*error));
/// assert_eq!(error.to_string(), "unknown account 42");
/// let transient: BoxError = "database unavailable".into();
/// assert!(!is_permanent(&*transient));
/// ```
#[derive(Debug)]
pub struct Permanent(BoxError);

impl Permanent {
    /// Marks `error` as permanent.
    pub fn new(error: impl Into<BoxError>) -> Permanent {
        Permanent(error.into())
    }

    /// The wrapped error.
    pub fn into_inner(self) -> BoxError {
        self.0
    }
}

impl Display for Permanent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Display::fmt(&self.0, f)
    }
}

impl StdError for Permanent {
    // Transparent: the wrapped error's own cause, so a chain reads as if the marker were not there.
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.0.source()
    }
}

/// Whether `error` or any error in its source chain is [`Permanent`].
pub fn is_permanent(error: &(dyn StdError + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(error) = next {
        if error.is::<Permanent>() {
            return true;
        }
        next = error.source();
    }
    false
}

/// A handler failure known only by its message (what a closure handler's `Display` error becomes).
#[derive(Debug)]
struct Failure(String);

impl Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl StdError for Failure {}

/// A closure handler's error as a [`BoxError`]: a [`Permanent`] or a `BoxError` is kept as it is (so
/// `Err(Permanent::new(…))` from a closure dead-letters at once), anything else becomes its message.
pub(crate) fn box_display_error<E: Display + Send + 'static>(error: E) -> BoxError {
    let mut slot = Some(error);
    let any: &mut dyn Any = &mut slot;
    if let Some(permanent) = any.downcast_mut::<Option<Permanent>>().and_then(Option::take) {
        return Box::new(permanent);
    }
    if let Some(boxed) = any.downcast_mut::<Option<BoxError>>().and_then(Option::take) {
        return boxed;
    }
    let message = slot.map(|error| error.to_string()).unwrap_or_default();
    Box::new(Failure(message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Wrapper(Permanent);
    impl Display for Wrapper {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "while handling: {}", self.0)
        }
    }
    impl StdError for Wrapper {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn permanence_is_found_anywhere_in_the_chain() {
        let wrapped = Wrapper(Permanent::new("bad"));
        assert!(is_permanent(&wrapped));
        assert!(!is_permanent(&Failure("x".into())));
    }

    #[test]
    fn closure_errors_keep_permanence_and_messages() {
        assert!(is_permanent(&*box_display_error(Permanent::new("no"))));
        let boxed: BoxError = Box::new(Permanent::new("no"));
        assert!(is_permanent(&*box_display_error(boxed)));
        let plain = box_display_error("boom".to_owned());
        assert!(!is_permanent(&*plain));
        assert_eq!(plain.to_string(), "boom");
    }
}
