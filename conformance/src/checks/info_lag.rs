//! XINFO STREAM/GROUPS/CONSUMERS: lengths, last ids, entries-read and lag.

use std::sync::Arc;

use bus_core::{AppendOptions, Backend, GroupCursor, ReadGroupOptions};

use super::support::*;
use crate::{CheckResult, Failure, ensure_eq};

/// The group lag counts entries not yet delivered.
pub async fn lag_counts_undelivered_entries(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("lag")?;
    fill(backend.as_ref(), &topic, 4).await?;
    group_at_zero(backend.as_ref(), &topic).await?;
    let options = ReadGroupOptions::new().count(1);
    backend
        .read_group("g", "c", &[(topic.clone(), GroupCursor::New)], &options)
        .await?;
    let groups = backend.groups_info(&topic).await?;
    let Some(group) = groups.first() else {
        return Err(Failure("XINFO GROUPS lists no group".into()));
    };
    ensure_eq!(group.entries_read, Some(1), "entries-read after one delivery");
    ensure_eq!(group.lag, Some(3), "lag after one of four delivered");
    Ok(())
}

/// Deleting the last entry keeps the last generated id, and the max deleted id is recorded.
pub async fn last_id_survives_deletes(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("last-id")?;
    fill(backend.as_ref(), &topic, 3).await?;
    ensure_eq!(
        backend.delete(&topic, &[id(3, 0), id(9, 0)]).await?,
        1,
        "XDEL of one present and one absent id"
    );
    let info = backend.stream_info(&topic).await?;
    ensure_eq!(
        info.last_generated_id,
        id(3, 0),
        "last generated id after deleting the last entry"
    );
    ensure_eq!(info.max_deleted_entry_id, id(3, 0), "max deleted entry id");
    ensure_eq!(info.length, 2, "length");
    let next = backend
        .append(
            &topic,
            fields(4),
            &AppendOptions::new().id(bus_core::AppendId::AutoSeq(3)),
        )
        .await?;
    ensure_eq!(next, Some(id(3, 1)), "`3-*` continues after the deleted 3-0");
    Ok(())
}
