import AuditTestSupport
import AuditModel
import AuditRedaction
import AuditStore
import Instrumentation
import Logging
import Testing
@testable import AuditLogging

@Suite("AuditLogHandler")
struct AuditLogHandlerTests {
    @Test("value semantics: a copy's level, metadata and provider are its own (swift-log's test)")
    func valueSemantics() async throws {
        let dir = TemporaryDirectory()
        let sink = try Fixtures.sink(dir.child("store"))
        var logger1 = Logger(label: "first") { AuditLogHandler(label: $0, sink: sink) }
        logger1.logLevel = .debug
        logger1[metadataKey: "only-on"] = "first"

        var logger2 = logger1
        logger2.logLevel = .error
        logger2[metadataKey: "only-on"] = "second"

        #expect(logger1.logLevel == .debug)
        #expect(logger2.logLevel == .error)
        #expect(logger1[metadataKey: "only-on"] == "first")
        #expect(logger2[metadataKey: "only-on"] == "second")

        var handler1 = AuditLogHandler(label: "h", sink: sink, metadataProvider: Logger.MetadataProvider { ["p": "one"] })
        var handler2 = handler1
        handler2.metadataProvider = Logger.MetadataProvider { ["p": "two"] }
        handler1.metadata["x"] = "1"
        #expect(handler1.metadataProvider?.get()["p"] == "one")
        #expect(handler2.metadataProvider?.get()["p"] == "two")
        #expect(handler2.metadata["x"] == nil)
        try await sink.shutdown()
    }

    @Test("an event maps level, message, source and known keys; metadata merges handler < provider < explicit")
    func mapping() async throws {
        let dir = TemporaryDirectory()
        let sink = try Fixtures.sink(dir.child("store"))
        let provider = Logger.MetadataProvider { ["request_id": "req_provider", "layer": "provider", "trace_id": "trace-1"] }
        var logger = Logger(label: "payments") { AuditLogHandler(label: $0, sink: sink, metadataProvider: provider) }
        logger[metadataKey: "layer"] = "handler"
        logger[metadataKey: "region"] = "eu"
        logger.warning("card declined", metadata: ["layer": "explicit", "transaction_id": "txn_9", "customer_code": "CUS_1", "action": "payment.declined"])
        try await sink.shutdown()

        let events = try Fixtures.producerEvents(dir.child("store"))
        #expect(events.count == 1)
        let event = try #require(events.first?.event)
        #expect(event["level"] == "warning")
        #expect(event["message"] == "card declined")
        #expect(event["action"] == "payment.declined")
        #expect(event["request_id"] == "req_provider")
        #expect(event["transaction_id"] == "txn_9")
        #expect(event["customer_code"] == "CUS_1")
        #expect(event["correlation_id"] == "trace-1")
        #expect(event["logger"] == "payments")
        #expect(event["source"]?.stringValue?.isEmpty == false)
        let metadata = try #require(event["metadata"]?.objectValue)
        #expect(metadata["layer"] == "explicit")
        #expect(metadata["region"] == "eu")
    }

    @Test("declared-sensitive values and detected secrets are redacted before queueing, and reported")
    func redaction() async throws {
        let dir = TemporaryDirectory()
        let sink = try Fixtures.sink(dir.child("store"))
        let logger = Logger(label: "p") { AuditLogHandler(label: $0, sink: sink) }
        logger.info("token refreshed", metadata: [
            "customer_name": "\("Ada Obi", sensitivity: .sensitive)",
            "nested": ["pan": "\("4111111111111111", sensitivity: .sensitive)"],
            "header": "Bearer abcdefghijklmnopqrstuvwxyz012345",
        ])
        try await sink.shutdown()
        let record = try #require(try Fixtures.producerEvents(dir.child("store")).first?.event)
        let metadata = try #require(record["metadata"]?.objectValue)
        #expect(metadata["customer_name"] == .string(Redactor.marker(rule: Redactor.declaredSensitiveRule)))
        #expect(metadata["nested"]?.objectValue?["pan"] == .string(Redactor.marker(rule: Redactor.declaredSensitiveRule)))
        #expect(metadata["header"]?.stringValue?.contains("abcdefghij") == false)
        let raw = try Fixtures.events(dir.child("store")).map { "\($0.event)" }.joined()
        #expect(!raw.contains("Ada Obi") && !raw.contains("4111111111111111"))
    }

    @Test("an invalid mapped field does not lose the event: it is kept under metadata")
    func invalidFieldKept() async throws {
        let dir = TemporaryDirectory()
        let sink = try Fixtures.sink(dir.child("store"))
        let logger = Logger(label: "p") { AuditLogHandler(label: $0, sink: sink) }
        logger.info("odd ids", metadata: ["request_id": "", "customer_code": "CUS_2"])
        try await sink.shutdown()
        let event = try #require(try Fixtures.producerEvents(dir.child("store")).first?.event)
        #expect(event["message"] == "odd ids")
        #expect(event["request_id"] == nil)
        #expect(event["metadata"]?.objectValue?["request_id"] == "")
    }

    @Test("works inside MultiplexLogHandler next to a console handler")
    func multiplex() async throws {
        let dir = TemporaryDirectory()
        let sink = try Fixtures.sink(dir.child("store"))
        let logger = Logger(label: "m") { label in
            MultiplexLogHandler([AuditLogHandler(label: label, sink: sink), SwiftLogNoOpLogHandler()])
        }
        logger.error("through multiplex")
        try await sink.shutdown()
        #expect(try Fixtures.producerEvents(dir.child("store")).map(\.event["message"]) == ["through multiplex"])
    }
}
