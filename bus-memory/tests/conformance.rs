//! The conformance suite on the in-memory backend.

use std::sync::Arc;

use bus_core::Backend;

struct Memory;

#[async_trait::async_trait]
impl conformance::BackendFactory for Memory {
    async fn create(&self) -> Option<conformance::Instance> {
        let backend: Arc<dyn Backend> = Arc::new(bus_memory::MemoryBackend::new());
        Some(conformance::Instance::new(backend))
    }

    fn capabilities(&self) -> conformance::Capabilities {
        conformance::Capabilities::all()
    }
}

conformance::conformance_tests!(Memory);
