//! `MemoryBackend::topics()`, the memory-only list of existing topics: a refused or NOMKSTREAM append lists
//! nothing, an emptied stream stays listed. The conformance suite asserts the same facts through EXISTS
//! (`append::zero_id_is_rejected_and_creates_nothing`, `trim::deleting_every_entry_keeps_the_empty_stream`, …);
//! these hold the listing to them. Expected answers come from redis-cli on 7.0.15 (`EXISTS`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use bus_core::{AppendId, AppendOptions, Backend, Fields, Trim};
use bus_memory::MemoryBackend;
use common::{add_numbered, fields, id, topic};

#[tokio::test]
async fn appends_that_create_nothing_list_no_topic() {
    // redis-cli: XADD k 0-0 f v, XADD k * (no fields), XADD k MAXLEN 1 LIMIT 5 1-1 f v → errors;
    // XADD k NOMKSTREAM * f v → nil; EXISTS k → 0 after each.
    let backend = MemoryBackend::new();
    let t = topic("scen:none");
    let f = fields(&[("f", "v")]);
    let zero = AppendOptions::new().id(AppendId::Explicit(id(0, 0)));
    assert!(backend.append(&t, f.clone(), &zero).await.is_err());
    assert!(
        backend
            .append(&t, Fields::default(), &AppendOptions::new())
            .await
            .is_err()
    );
    let limit = AppendOptions::new().id(id(1, 1)).trim(Trim::maxlen(1).limit(5));
    assert!(backend.append(&t, f.clone(), &limit).await.is_err());
    let nomk = AppendOptions::new().no_mkstream();
    assert_eq!(backend.append(&t, f, &nomk).await.unwrap(), None);
    assert!(backend.topics().is_empty());
}

#[tokio::test]
async fn an_emptied_stream_stays_listed() {
    // redis-cli: XADD k 1-1 n 1, XADD k 2-1 n 2, XDEL k 1-1 2-1 → 2; EXISTS k → 1
    let backend = MemoryBackend::new();
    let t = topic("scen:c");
    add_numbered(&backend, &t, 2).await;
    assert_eq!(backend.delete(&t, &[id(1, 1), id(2, 1)]).await.unwrap(), 2);
    assert_eq!(backend.topics(), [t]);
}
