import AuditTestSupport
import Logging
import MetricsTestKit
import Testing
@testable import AuditLogging

@Suite("AuditLogging metrics")
struct AuditMetricsTests {
    @Test("events, bytes, redactions per rule, drops, duplicates, queue depth, fsync and durable-ack latency are reported")
    func reported() async throws {
        let dir = TemporaryDirectory()
        let metrics = TestMetrics()
        let sink = try Fixtures.sink(dir.child("store")) {
            $0.metricsFactory = metrics
            $0.maxQueuedEvents = 3
        }
        let logger = Logger(label: "m") { AuditLogHandler(label: $0, sink: sink) }
        sink.setDrainPaused(true)
        logger.info("secret", metadata: ["pan": "\("4111111111111111", sensitivity: .sensitive)"])
        logger.info("two")
        logger.info("three")
        logger.info("dropped")
        sink.setDrainPaused(false)
        try await sink.record(action: "a", id: "evt_m")
        try await sink.record(action: "a", id: "evt_m")
        try await sink.shutdown()

        #expect(try metrics.expectCounter("auditq_logging_events_total", [("kind", "log")]).totalValue == 3)
        // Two audit records: the drop notice and "a" (the duplicate is absorbed).
        #expect(try metrics.expectCounter("auditq_logging_events_total", [("kind", "audit")]).totalValue == 2)
        #expect(try metrics.expectCounter("auditq_logging_dropped_total").totalValue == 1)
        #expect(try metrics.expectCounter("auditq_logging_duplicates_total").totalValue == 1)
        #expect(try metrics.expectCounter("auditq_logging_redactions_total", [("rule", "declared-sensitive")]).totalValue == 1)
        #expect(try metrics.expectCounter("auditq_logging_bytes_total").totalValue > 500)
        #expect(try metrics.expectRecorder("auditq_logging_queue_depth").values.contains(3))
        #expect(try metrics.expectTimer("auditq_logging_durable_ack_seconds").values.count >= 1)
        #expect(try metrics.expectTimer("auditq_logging_fsync_seconds").values.count >= 1)
    }

    @Test("a store that stopped taking records: log events count as dropped and as append errors, audit records throw")
    func failedStore() async throws {
        let dir = TemporaryDirectory()
        let metrics = TestMetrics()
        let sink = try Fixtures.sink(dir.child("store")) { $0.metricsFactory = metrics }
        let logger = Logger(label: "m") { AuditLogHandler(label: $0, sink: sink) }
        try await sink.record(action: "before")
        // The writer closed under the sink: every append fails from now on, as after a full disk.
        try sink.writer.close()
        for n in 0..<5 { logger.info("lost \(n)") }
        await #expect(throws: AuditLoggingError.self) { try await sink.record(action: "after") }
        // The drain thread takes the log events in order before the audit record that failed above.
        #expect(try metrics.expectCounter("auditq_logging_errors_total", [("kind", "append")]).totalValue == 6)
        #expect(try metrics.expectCounter("auditq_logging_dropped_total").totalValue == 5)
        try? await sink.shutdown()
    }
}
