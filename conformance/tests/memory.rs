//! The conformance suite on the in-memory backend.

use std::sync::Arc;

use bus_core::Backend;

struct Memory;

#[async_trait::async_trait]
impl conformance::BackendFactory for Memory {
    async fn create(&self) -> Option<Arc<dyn Backend>> {
        Some(Arc::new(bus_memory::MemoryBackend::new()))
    }

    fn capabilities(&self) -> conformance::Capabilities {
        conformance::Capabilities::all()
    }
}

conformance::conformance_tests!(Memory);
