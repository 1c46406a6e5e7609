import AuditTestSupport
import AuditModel
@testable import AuditStore
import AuditVerify
import Dispatch
import Synchronization
import Instrumentation
import Logging
import MetricsTestKit
import Testing
@testable import AuditLogging

@Suite("AuditSink")
struct AuditSinkTests {
    @Test("context set once at the top reaches events logged deep inside child tasks (ServiceContext and Logger.current)")
    func contextPropagation() async throws {
        let dir = TemporaryDirectory()
        let sink = try Fixtures.sink(dir.child("store"))
        let base = Logger(label: "svc") { AuditLogHandler(label: $0, sink: sink, metadataProvider: .auditContext) }

        func deepInside(_ step: Int) async throws {
            Logger.current.info("step \(step)")
            try await sink.record(action: "step.done", metadata: ["step": "\(step)"], durable: false)
        }

        try await withThrowingTaskGroup(of: Void.self) { group in
            for request in 0..<4 {
                group.addTask {
                    var context = ServiceContext.topLevel
                    context.requestID = "req_\(request)"
                    context.customerCode = "CUS_\(request)"
                    try await ServiceContext.withValue(context) {
                        try await withLogger(base) { _ in
                            try await withLogger(mergingMetadata: ["transaction_id": "txn_\(request)"]) { _ in
                                try await withThrowingTaskGroup(of: Void.self) { inner in
                                    for step in 0..<3 { inner.addTask { try await deepInside(step) } }
                                    try await inner.waitForAll()
                                }
                            }
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        try await sink.shutdown()

        let events = try Fixtures.producerEvents(dir.child("store")).map(\.event)
        #expect(events.count == 4 * 3 * 2)
        for event in events {
            let request = try #require(event["request_id"]?.stringValue)
            let n = try #require(request.split(separator: "_").last)
            #expect(event["customer_code"]?.stringValue == "CUS_\(n)")
            #expect(event["transaction_id"]?.stringValue == "txn_\(n)")
        }
    }

    @Test("16 tasks appending concurrently: every record present once, chain intact")
    func concurrentAppends() async throws {
        let dir = TemporaryDirectory()
        let sink = try Fixtures.sink(dir.child("store"))
        let logger = Logger(label: "c") { AuditLogHandler(label: $0, sink: sink) }
        let perTask = 150
        try await withThrowingTaskGroup(of: Void.self) { group in
            for t in 0..<16 {
                group.addTask {
                    for i in 0..<perTask {
                        if i % 3 == 0 {
                            try await sink.record(action: "transfer", id: "t\(t)-\(i)", durable: i % 30 == 0)
                        } else {
                            logger.info("log", metadata: ["event_id": "t\(t)-\(i)"])
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        try await sink.shutdown()

        let events = try Fixtures.producerEvents(dir.child("store"))
        let ids = events.compactMap { $0.event["id"]?.stringValue }
        #expect(ids.count == 16 * perTask)
        #expect(Set(ids).count == ids.count)
        let report = Verifier(path: dir.child("store"), trustedKeys: [Fixtures.key().publicKey]).run()
        #expect(report.isIntact)
        #expect(report.sealedSegments == report.segmentsChecked)
    }

    @Test("record returns once durable, with the record's sequence number")
    func recordIsDurable() async throws {
        let dir = TemporaryDirectory()
        let sink = try Fixtures.sink(dir.child("store"))
        let seq = try await sink.record(action: "payout.approved", actor: .init(type: "staff", id: "u1"), message: "approved")
        #expect(sink.writer.durableSeq >= seq)
        try await sink.shutdown()
        let stored = try #require(try Fixtures.events(dir.child("store")).first { $0.seq == seq })
        #expect(stored.event["action"] == "payout.approved")
        #expect(stored.event["outcome"] == "success")
    }

    @Test("a producer event id is an idempotency key: the duplicate returns the original seq and is not stored")
    func idempotency() async throws {
        let dir = TemporaryDirectory()
        let sink = try Fixtures.sink(dir.child("store"))
        let first = try await sink.record(action: "webhook.charge.success", id: "evt_1")
        let again = try await sink.record(action: "webhook.charge.success", id: "evt_1")
        let other = try await sink.record(action: "webhook.charge.success", id: "evt_2")
        let logger = Logger(label: "w") { AuditLogHandler(label: $0, sink: sink) }
        logger.info("webhook", metadata: ["event_id": "evt_1"])
        try await sink.shutdown()
        #expect(first == again)
        #expect(other != first)
        let ids = try Fixtures.producerEvents(dir.child("store")).compactMap { $0.event["id"]?.stringValue }
        #expect(ids == ["evt_1", "evt_2"])
    }

    @Test("idempotency survives a restart: ids of the newest records are read back at startup")
    func idempotencyAcrossRestart() async throws {
        let dir = TemporaryDirectory()
        let first = try Fixtures.sink(dir.child("store"))
        let seq = try await first.record(action: "webhook.charge.success", id: "evt_restart")
        try await first.shutdown()

        let second = try Fixtures.sink(dir.child("store"))
        let again = try await second.record(action: "webhook.charge.success", id: "evt_restart")
        try await second.shutdown()
        #expect(again == seq)

        let third = try Fixtures.sink(dir.child("store")) { $0.restoreIdempotencyAtStartup = false }
        let stored = try await third.record(action: "webhook.charge.success", id: "evt_restart")
        try await third.shutdown()
        #expect(stored != seq)
        let ids = try Fixtures.producerEvents(dir.child("store")).compactMap { $0.event["id"]?.stringValue }
        #expect(ids == ["evt_restart", "evt_restart"])
    }

    @Test("the idempotency window forgets by count and by age")
    func idempotencyWindow() {
        var window = IdempotencyWindow(window: 10, maxEntries: 2)
        window.remember("a", seq: 1, now: 0)
        window.remember("b", seq: 2, now: 1)
        #expect(window.seq(for: "a", now: 2) == 1)
        window.remember("c", seq: 3, now: 2)
        #expect(window.seq(for: "a", now: 2) == nil)
        #expect(window.seq(for: "b", now: 2) == 2)
        #expect(window.seq(for: "b", now: 11.5) == nil)
        #expect(window.seq(for: "c", now: 11.5) == 3)
    }

    @Test("overflow drops log events, counts them, and writes an auditq.events.dropped record")
    func overflowDropsAndRecords() async throws {
        let dir = TemporaryDirectory()
        let sink = try Fixtures.sink(dir.child("store")) { $0.maxQueuedEvents = 4 }
        let logger = Logger(label: "o") { AuditLogHandler(label: $0, sink: sink) }
        sink.setDrainPaused(true)
        for i in 0..<10 { logger.info("event \(i)") }
        #expect(sink.pendingDropped == 6)
        sink.setDrainPaused(false)
        try await sink.shutdown()

        let events = try Fixtures.producerEvents(dir.child("store")).map(\.event)
        #expect(events.filter { $0["action"] == "log" }.count == 4)
        let notice = try #require(events.first { $0["action"] == "auditq.events.dropped" })
        #expect(notice["metadata"]?.objectValue?["dropped"] == 6)
    }

    @Test("the wait policy holds a log event until there is room")
    func overflowWaits() async throws {
        let dir = TemporaryDirectory()
        let sink = try Fixtures.sink(dir.child("store")) {
            $0.maxQueuedEvents = 2
            // Long enough that a loaded test run cannot expire it first: with both cores saturated by
            // other processes the whole suite took 290 s and this test's task was not resumed within
            // 120 s (the event was dropped). The wait ends as soon as the drain resumes.
            $0.logOverflow = .wait(seconds: 900)
        }
        let logger = Logger(label: "o") { AuditLogHandler(label: $0, sink: sink) }
        sink.setDrainPaused(true)
        logger.info("one")
        logger.info("two")
        // The waiting call blocks its thread: run it on its own, never on the Swift concurrency pool.
        let logged = DispatchSemaphore(value: 0)
        DispatchQueue(label: "blocked-logger").async {
            logger.info("three")
            logged.signal()
        }
        try await Task.sleep(nanoseconds: 50_000_000)
        #expect(sink.pendingQueue == 2)
        #expect(sink.pendingDropped == 0)
        sink.setDrainPaused(false)
        await withCheckedContinuation { continuation in
            DispatchQueue(label: "join").async {
                logged.wait()
                continuation.resume()
            }
        }
        try await sink.shutdown()
        let messages = try Fixtures.producerEvents(dir.child("store")).compactMap { $0.event["message"]?.stringValue }
        #expect(messages == ["one", "two", "three"])
    }

    @Test("an audit record waits for room up to the timeout, then fails loudly")
    func auditQueueFull() async throws {
        let dir = TemporaryDirectory()
        let sink = try Fixtures.sink(dir.child("store")) {
            $0.maxQueuedEvents = 1
            $0.auditEnqueueTimeout = 0.05
        }
        sink.setDrainPaused(true)
        let queued = Task { try await sink.record(action: "first", durable: false) }
        while sink.pendingQueue < 1 { try await Task.sleep(nanoseconds: 1_000_000) }
        await #expect(throws: AuditLoggingError(.queueFull, "")) {
            try await sink.record(action: "second", durable: false)
        }
        sink.setDrainPaused(false)
        _ = try await queued.value
        try await sink.shutdown()
        #expect(try Fixtures.producerEvents(dir.child("store")).map(\.event["action"]) == ["first"])
    }

    @Test("a failed outbound call records status or timeout, provider request id and error, redacted")
    func failedCall() async throws {
        let dir = TemporaryDirectory()
        let sink = try Fixtures.sink(dir.child("store"))
        var context = ServiceContext.topLevel
        context.requestID = "req_42"
        try await ServiceContext.withValue(context) {
            try await sink.recordFailedCall(
                provider: "paystack", method: "POST", path: "/charge", failure: .status(401),
                providerRequestID: "ps_9", providerErrorCode: "invalid_key", providerMessage: "Invalid key sk_live_abcdefabcdef0123456789"
            )
            try await sink.recordFailedCall(provider: "flutterwave", method: "GET", path: "/v3/transfers/1", failure: .timeout(seconds: 30))
        }
        try await sink.shutdown()
        let events = try Fixtures.producerEvents(dir.child("store")).map(\.event)
        #expect(events.count == 2)
        let status = events[0]
        #expect(status["action"] == "outbound_call.failed")
        #expect(status["outcome"] == "failure")
        #expect(status["request_id"] == "req_42")
        #expect(status["http"]?.objectValue?["status"] == 401)
        #expect(status["error"]?.objectValue?["code"] == "invalid_key")
        #expect(status["error"]?.objectValue?["provider_request_id"] == "ps_9")
        #expect(status["error"]?.objectValue?["message"]?.stringValue?.contains("sk_live_abc") == false)
        let timeout = events[1]
        #expect(timeout["error"]?.objectValue?["code"] == "timeout")
        #expect(timeout["error"]?.objectValue?["timeout_ms"] == 30000)
        #expect(timeout["http"]?.objectValue?["status"] == nil)
    }

    @Test("after the writer stopped underneath, records fail with .closed, durable ones still answer, shutdown completes")
    func writerStopped() async throws {
        let dir = TemporaryDirectory()
        let sink = try Fixtures.sink(dir.child("store"))
        let durable = try await sink.record(action: "before")
        sink.writer.simulateCrash()
        await #expect(throws: AuditLoggingError(.closed, "")) { try await sink.record(action: "after") }
        try await sink.waitUntilDurable(durable)
        Logger(label: "x") { AuditLogHandler(label: $0, sink: sink) }.info("not stored, counted")
        try await sink.shutdown()
        #expect(sink.writer.flusherStopped)
    }

    @Test("reopen attempts that fail come at doubling intervals; once the cause is gone the store reopens", .timeLimit(.minutes(1)))
    func reopenBacksOff() async throws {
        let dir = TemporaryDirectory()
        let store = dir.child("store")
        let metrics = TestMetrics()
        let sink = try Fixtures.sink(store) {
            $0.storeReopenInterval = 0.05
            $0.metricsFactory = metrics
        }
        let logger = Logger(label: "x") { AuditLogHandler(label: $0, sink: sink) }
        _ = try await sink.record(action: "before")
        sink.writer.simulateFailure(AuditStoreError(.io, "write failed: No space left on device (errno 28)"))
        // The store cannot be opened while a plain file stands where its directory was.
        try FileSystem.rename(store, to: dir.child("moved"))
        try FileSystem.writeAtomically(Array("not a store".utf8), to: store)
        logger.info("wakes the drain thread, which schedules the first attempt")
        // Attempts 0.05 s after the failure is seen, then 0.1, 0.2, 0.4 and 0.8 s after each failed one:
        // five by 1.55 s, the sixth at 3.15 s. A fixed interval would have made about 30.
        try await Task.sleep(for: .milliseconds(1800))
        let attempts = try metrics.expectCounter("auditq_logging_errors_total", [("kind", "reopen")]).totalValue
        #expect((3...6).contains(attempts), "\(attempts) failed reopen attempts in 1.8 s")
        #expect(sink.storeFailure != nil)

        try FileSystem.remove(store)
        try FileSystem.rename(dir.child("moved"), to: store)
        var after: UInt64?
        for _ in 0..<800 where after == nil {
            after = try? await sink.record(action: "after")
            if after == nil { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(after != nil, "the store was not reopened once its directory was back")
        try await sink.shutdown()
        let report = Verifier(path: store, trustedKeys: [Fixtures.key().publicKey]).run()
        #expect(report.isIntact, "\(report.findings)")
    }

    @Test("a failed store is reopened after the interval: records go on, the drops are in the chain, the chain verifies", .timeLimit(.minutes(1)))
    func reopensFailedStore() async throws {
        let dir = TemporaryDirectory()
        let store = dir.child("store")
        let sink = try Fixtures.sink(store) { $0.storeReopenInterval = 0.5 }
        let logger = Logger(label: "x") { AuditLogHandler(label: $0, sink: sink) }
        let before = try await sink.record(action: "before")
        let failedWriter = sink.writer
        failedWriter.simulateFailure(AuditStoreError(.io, "write failed: No space left on device (errno 28)"))
        #expect(sink.storeFailure != nil)
        // Within the interval: log events are dropped, audit records fail.
        for n in 0..<3 { logger.info("dropped \(n)") }
        await #expect(throws: AuditLoggingError.self) { try await sink.record(action: "refused") }
        #expect(sink.writer === failedWriter, "reopened before the interval")
        // Then the sink reopens the store by itself.
        var after: UInt64?
        for _ in 0..<1000 where after == nil {
            after = try? await sink.record(action: "after")
            if after == nil { try await Task.sleep(for: .milliseconds(10)) }
        }
        let seq = try #require(after, "the store was not reopened")
        #expect(sink.storeFailure == nil && sink.writer !== failedWriter)
        try await sink.waitUntilDurable(before)
        logger.info("stored")
        try await sink.shutdown()
        #expect(sink.acknowledgedCount == 4, "before, the drop notice, after, stored")

        let events = try Fixtures.events(store)
        let actions = events.map { $0.event["action"]?.stringValue ?? "" }
        #expect(actions.filter { $0 == "before" || $0 == "after" }.count == 2 && !actions.contains("refused"), "\(actions)")
        let droppedStored = events.filter { $0.event["message"]?.stringValue?.hasPrefix("dropped") == true }
        #expect(droppedStored.isEmpty)
        let notice = try #require(events.first { $0.event["action"] == "auditq.events.dropped" }, "\(actions)")
        #expect(notice.event["metadata"]?.objectValue?["dropped"] == 3)
        #expect(notice.event["message"]?.stringValue?.contains("the store had failed") == true)
        #expect(actions.contains("auditq.store.recovered"), "the reopened writer recovered the store: \(actions)")
        let afterSeq = events.last(where: { $0.event["action"] == "after" })?.seq
        #expect(afterSeq == seq)
        let report = Verifier(path: store, trustedKeys: [Fixtures.key().publicKey]).run()
        #expect(report.isIntact, "\(report.findings)")
    }

    @Test("an event too large for the store's readers: a log event is dropped and counted, an audit record throws, the store goes on")
    func oversizedEvents() async throws {
        let dir = TemporaryDirectory()
        let store = dir.child("store")
        let metrics = TestMetrics()
        let sink = try Fixtures.sink(store) { $0.metricsFactory = metrics }
        let logger = Logger(label: "x") { AuditLogHandler(label: $0, sink: sink) }
        // Over what every reader accepts (an event of 16 MiB and its envelope), in values each short
        // enough for the redaction filter to scan (it replaces a string over 1 MiB by a marker).
        let value = String(repeating: "a", count: 1_000_000)
        let huge = Logger.Metadata(uniqueKeysWithValues: (0..<18).map { ("field_\($0)", Logger.MetadataValue.string(value)) })
        logger.info("huge", metadata: huge)
        await #expect(throws: AuditLoggingError(.invalidEvent, "")) { try await sink.record(action: "big", metadata: huge) }
        let after = try await sink.record(action: "after")
        try await sink.shutdown()
        #expect(sink.storeFailure == nil)
        #expect(try metrics.expectCounter("auditq_logging_dropped_total").totalValue == 1)
        #expect(try metrics.expectCounter("auditq_logging_errors_total", [("kind", "invalid_event")]).totalValue == 2)

        // Every stored record reads back with the readers' own limits, and the chain verifies.
        var actions: [String] = []
        try StoreReader(path: store).forEachRecordLine { line in
            guard case .object(let record) = try Record.parser.parse(Array(line)) else { return }
            actions.append(record["event"]?.objectValue?["action"]?.stringValue ?? "")
        }
        #expect(actions.filter { !$0.hasPrefix("auditq.") } == ["after"], "\(actions)")
        #expect(after == 1 || actions.count == Int(after))
        let report = Verifier(path: store, trustedKeys: [Fixtures.key().publicKey]).run()
        #expect(report.isIntact, "\(report.findings)")
    }

    @Test("storeReopenInterval 0: a failed store stays failed")
    func noReopen() async throws {
        let dir = TemporaryDirectory()
        let sink = try Fixtures.sink(dir.child("store")) { $0.storeReopenInterval = 0 }
        _ = try await sink.record(action: "before")
        sink.writer.simulateFailure(AuditStoreError(.io, "write failed: No space left on device (errno 28)"))
        for _ in 0..<3 {
            await #expect(throws: AuditLoggingError.self) { try await sink.record(action: "refused") }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(sink.storeFailure != nil)
        _ = try? await sink.shutdown()
    }

    @Test("shutdown completes while another thread keeps logging; late events are counted", .timeLimit(.minutes(1)))
    func shutdownWhileLogging() async throws {
        let dir = TemporaryDirectory()
        let sink = try Fixtures.sink(dir.child("store"))
        let logger = Logger(label: "busy") { AuditLogHandler(label: $0, sink: sink) }
        let stop = Mutex(false)
        let stopped = DispatchSemaphore(value: 0)
        DispatchQueue(label: "busy-logger").async {
            while !stop.withLock({ $0 }) { logger.info("busy") }
            stopped.signal()
        }
        while sink.writer.nextSeq < 200 { try await Task.sleep(nanoseconds: 1_000_000) }
        try await sink.shutdown()
        let lateBefore = sink.droppedAfterShutdown
        try await Task.sleep(nanoseconds: 5_000_000)
        stop.withLock { $0 = true }
        await withCheckedContinuation { continuation in
            DispatchQueue(label: "join").async {
                stopped.wait()
                continuation.resume()
            }
        }
        #expect(sink.droppedAfterShutdown > lateBefore)
        let report = Verifier(path: dir.child("store"), trustedKeys: [Fixtures.key().publicKey]).run()
        #expect(report.isIntact)
        #expect(report.sealedSegments == report.segmentsChecked)
    }

    @Test("setup failures surface when the sink is created; after shutdown records fail with .closed")
    func setupAndClosed() async throws {
        let dir = TemporaryDirectory()
        let sink = try Fixtures.sink(dir.child("store"))
        #expect(throws: AuditLoggingError(.store, "")) { try Fixtures.sink(dir.child("store")) }
        #expect(throws: AuditLoggingError(.store, "")) { try AuditSink(path: dir.child("other"), keyPath: dir.child("missing.key")) }
        try await sink.shutdown()
        try await sink.shutdown()
        await #expect(throws: AuditLoggingError(.closed, "")) { try await sink.record(action: "late") }
        Logger(label: "late") { AuditLogHandler(label: $0, sink: sink) }.info("late log: counted, not stored")
        #expect(sink.droppedAfterShutdown == 1)
        #expect(sink.pendingDropped == 0)
    }
}
