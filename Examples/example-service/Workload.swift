import AuditLogging
import Instrumentation
import Logging
import ServiceLifecycle
import Synchronization

/// Serves the simulated requests; on graceful shutdown it stops taking new ones and finishes those
/// in flight.
struct Workload: Service {
    final class Stats: Sendable {
        private let counts = Mutex((audited: 0, failedCalls: 0))
        var audited: Int { counts.withLock { $0.audited } }
        var failedCalls: Int { counts.withLock { $0.failedCalls } }
        func audit() { counts.withLock { $0.audited += 1 } }
        func failedCall() { counts.withLock { $0.failedCalls += 1 } }
    }

    let sink: AuditSink
    let requests: Int
    let concurrency: Int
    let delayMs: Int
    let stats = Stats()

    func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    var n = worker
                    while n < requests, !Task.isShuttingDownGracefully {
                        await serve(n)
                        n += concurrency
                    }
                }
            }
        }
    }

    /// The top of a request: its context is set once, everything below inherits it.
    private func serve(_ n: Int) async {
        var context = ServiceContext.topLevel
        context.requestID = "req_\(n)"
        context.transactionID = "txn_\(n / 2)"
        context.customerCode = "CUS_\(n % 97)"
        await ServiceContext.withValue(context) {
            await PaymentFlow(sink: sink, stats: stats, delayMs: delayMs).charge(n)
        }
    }
}

/// Deep inside a request: no ids are passed, yet every event carries them.
struct PaymentFlow {
    let sink: AuditSink
    let stats: Workload.Stats
    let delayMs: Int
    let logger = Logger(label: "payments.provider")

    func charge(_ n: Int) async {
        let amount = Double(n % 500) * 10 + 0.5
        logger.info("charging card", metadata: [
            "amount": "\(amount)",
            "currency": "NGN",
            "card_number": "\(cardNumber(n), sensitivity: .sensitive)",
            // An undeclared secret: the redaction rules catch it.
            "authorization": "Bearer sk_live_\(String(repeating: "9f3a", count: 6))",
        ])
        if delayMs > 0 { try? await Task.sleep(nanoseconds: UInt64(delayMs) * 1_000_000) }
        do {
            switch n % 20 {
            case 3:
                try await sink.recordFailedCall(
                    provider: "paystack", method: "POST", path: "/charge", failure: .status(401),
                    providerRequestID: "ps_\(n)", providerErrorCode: "invalid_key", providerMessage: "Invalid key sk_live_abcdefabcdef0123456789"
                )
                stats.failedCall()
                logger.warning("charge rejected by provider")
            case 7:
                try await sink.recordFailedCall(
                    provider: "flutterwave", method: "POST", path: "/v3/charges", failure: .timeout(seconds: 30), providerRequestID: "fw_\(n)"
                )
                stats.failedCall()
                logger.error("provider timed out")
            case 11:
                try await sink.recordFailedCall(
                    provider: "paystack", method: "POST", path: "/charge", failure: .status(502), providerMessage: "Bad gateway"
                )
                stats.failedCall()
            default:
                try await sink.record(action: "payment.capture", outcome: .success, actor: .init(type: "customer", id: "usr_\(n % 13)"),
                                      message: "captured", metadata: ["amount": "\(amount)"])
                stats.audit()
                if n % 10 == 0 {
                    // The provider's webhook arrives twice; the second delivery is not stored again.
                    try await sink.record(action: "webhook.charge.success", id: "evt_webhook_\(n)")
                    try await sink.record(action: "webhook.charge.success", id: "evt_webhook_\(n)")
                }
            }
        } catch {
            logger.error("audit record failed", metadata: ["error": "\(error)"])
        }
        logger.debug("request done")
    }

    private func cardNumber(_ n: Int) -> String {
        "4111 1111 1111 \(String(1000 + n % 9000))"
    }
}
