import ServiceLifecycle

extension AuditSink: Service {
    /// Runs until graceful shutdown (SIGTERM/SIGINT in a `ServiceGroup`) or cancellation, then writes
    /// everything accepted, seals the open segment and signs a clean-shutdown checkpoint. Place it
    /// first in the group so it shuts down after the services that log.
    public func run() async throws {
        try? await gracefulShutdown()
        try await shutdown()
    }
}
