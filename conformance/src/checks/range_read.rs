//! XRANGE, XREVRANGE and XREAD: bounds, counts and cursors.

use std::sync::Arc;

use bus_core::{Backend, EntryId, RangeBound, ReadCursor, ReadOptions};

use super::support::*;
use crate::{CheckResult, ensure, ensure_eq};

/// `(` bounds exclude their id in both directions.
pub async fn range_honours_exclusive_bounds(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("ranges")?;
    fill(backend.as_ref(), &topic, 5).await?;
    let forward = backend
        .range(
            &topic,
            RangeBound::Exclusive(id(1, 0)),
            RangeBound::Exclusive(id(4, 0)),
            None,
        )
        .await?;
    let forward: Vec<EntryId> = forward.iter().map(|e| e.id).collect();
    ensure_eq!(forward, vec![id(2, 0), id(3, 0)], "XRANGE (1-0 (4-0");
    let backward = backend
        .rev_range(&topic, RangeBound::MAX, RangeBound::Exclusive(id(3, 0)), Some(1))
        .await?;
    let backward: Vec<EntryId> = backward.iter().map(|e| e.id).collect();
    ensure_eq!(backward, vec![id(5, 0)], "XREVRANGE + (3-0 COUNT 1");
    Ok(())
}

/// XREAD after a cursor returns exactly the entries with greater ids: not the cursor's own entry, not one less.
pub async fn read_after_a_cursor_is_exclusive(backend: Arc<dyn Backend>) -> CheckResult {
    let topic = topic("read-after")?;
    fill(backend.as_ref(), &topic, 3).await?;
    for (after, want) in [
        (EntryId::MIN, vec![id(1, 0), id(2, 0), id(3, 0)]),
        (id(1, 0), vec![id(2, 0), id(3, 0)]),
        (id(1, 5), vec![id(2, 0), id(3, 0)]),
        (id(2, 0), vec![id(3, 0)]),
        (id(3, 0), vec![]),
    ] {
        let reply = backend
            .read(&[(topic.clone(), ReadCursor::After(after))], &ReadOptions::new())
            .await?;
        ensure!(
            !reply.is_timed_out(),
            "non-blocking XREAD after {after} answered a timeout"
        );
        let got: Vec<EntryId> = reply.into_entries().map(|e| e.id).collect();
        ensure_eq!(got, want, "XREAD STREAMS {topic} {after}");
    }
    Ok(())
}
