//! XADD and the idempotent publish: ids, the UUID index, duplicates.

use std::sync::Arc;

use bus_core::{AppendOptions, Backend, Message};

use super::support::*;
use crate::{CheckResult, Failure, ensure, ensure_eq};

/// Publishing a message whose UUID the topic holds appends nothing and returns the existing entry.
pub async fn publish_is_idempotent(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("idempotent")?;
    let message = Message::from_json(bus_core::Uuid::new_v4(), r#"{"n":1}"#)?;
    let first = backend.publish(&topic, &message, &AppendOptions::new()).await?;
    let again = backend.publish(&topic, &message, &AppendOptions::new()).await?;
    let (Some(first), Some(again)) = (first, again) else {
        return Err(Failure("publish without NOMKSTREAM returned None".into()));
    };
    ensure!(
        !first.duplicate && again.duplicate,
        "duplicate flags were {first:?} then {again:?}"
    );
    ensure_eq!(
        again.entry_id,
        first.entry_id,
        "a duplicate publish returns the existing entry"
    );
    ensure_eq!(
        backend.len(&topic).await?,
        1,
        "length after publishing one message twice"
    );
    ensure_eq!(
        backend.lookup(&topic, message.id()).await?,
        Some(first.entry_id),
        "lookup of the UUID"
    );
    Ok(())
}

/// When a UUID is held by several entries (an append repeated it) and a trim removes the oldest, publishing it
/// again finds the surviving holder instead of appending a third copy.
pub async fn publish_finds_a_later_holder_after_a_trim(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("later-holder")?;
    let message = Message::from_json(bus_core::Uuid::new_v4(), r#"{"n":1}"#)?;
    let first = AppendOptions::new().id(id(1, 0));
    backend.publish(&topic, &message, &first).await?;
    let repeat = message.to_fields();
    backend
        .append(&topic, repeat, &AppendOptions::new().id(id(8, 0)))
        .await?;
    ensure_eq!(
        backend.lookup(&topic, message.id()).await?,
        Some(id(1, 0)),
        "the oldest holder wins"
    );
    backend.trim(&topic, &bus_core::Trim::minid(id(8, 0))).await?;
    ensure_eq!(
        backend.lookup(&topic, message.id()).await?,
        Some(id(8, 0)),
        "lookup after the trim"
    );
    let again = backend
        .publish(&topic, &message, &AppendOptions::new().id(id(16, 0)))
        .await?;
    let Some(again) = again else {
        return Err(Failure("publish without NOMKSTREAM returned None".into()));
    };
    ensure!(
        again.duplicate,
        "publish after the trim appended a new copy at {}",
        again.entry_id
    );
    ensure_eq!(again.entry_id, id(8, 0), "the surviving holder");
    ensure_eq!(backend.len(&topic).await?, 1, "length");
    Ok(())
}

/// Explicit ids must exceed the last id, with Redis's messages.
pub async fn append_rejects_ids_not_above_the_top(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("append-ids")?;
    fill(backend.as_ref(), &topic, 2).await?;
    let err = backend
        .append(&topic, fields(0), &AppendOptions::new().id(id(2, 0)))
        .await;
    let Err(err) = err else {
        return Err(Failure("appending an id equal to the top succeeded".into()));
    };
    ensure_eq!(
        err.to_string(),
        "ERR The ID specified in XADD is equal or smaller than the target stream top item",
        "error for an id equal to the top"
    );
    let auto_seq = backend
        .append(
            &topic,
            fields(0),
            &AppendOptions::new().id(bus_core::AppendId::AutoSeq(2)),
        )
        .await?;
    ensure_eq!(auto_seq, Some(id(2, 1)), "`2-*` after 2-0");
    ensure_eq!(backend.len(&topic).await?, 3, "a rejected append adds nothing");
    Ok(())
}
