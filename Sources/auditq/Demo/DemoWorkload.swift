import AuditModel

/// A small, deterministic stream of payment-integration events for `auditq demo`: authorisations,
/// captures, webhooks, refunds, logins and ledger postings, with failures carrying provider errors and
/// a few events carrying secrets that redaction must remove.
struct DemoWorkload {
    private var state: UInt64

    init(seed: UInt64) {
        self.state = seed | 1
    }

    private mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }

    private mutating func pick<T>(_ items: [T]) -> T { items[Int(next() % UInt64(items.count))] }

    private mutating func token(_ alphabet: String, _ count: Int) -> String {
        let chars = Array(alphabet)
        return String((0..<count).map { _ in chars[Int(next() % UInt64(chars.count))] })
    }

    private static let base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    private static let upper = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

    /// `count` events, starting at `start`, about 40 ms apart, grouped in transactions of 1 to 6 events.
    mutating func events(count: Int, start: Timestamp) -> [JSONObject] {
        let customers = (0..<40).map { _ in "CUS_" + token(Self.upper, 10) }
        var out: [JSONObject] = []
        var time = start.microsecondsSinceEpoch
        while out.count < count {
            let customer = customers[Int(min(next() % 40, next() % 40))]
            let transaction = "txn_" + token(Self.base62, 20)
            let correlation = token("0123456789abcdef", 32)
            let amount = Double(next() % 500_000) / 100
            let currency = pick(["NGN", "GHS", "KES", "USD", "ZAR"])
            let steps = pick([["payment.authorize", "payment.capture", "webhook.received", "ledger.post"], ["payment.authorize"], ["auth.login", "customer.update"], ["refund.create", "ledger.post"], ["payment.authorize", "payment.capture"]])
            for action in steps where out.count < count {
                time += Int64(20_000 + next() % 40_000)
                let failed = next() % 100 < 7
                var event: JSONObject = [
                    "ts": .string(Timestamp(microsecondsSinceEpoch: time).description),
                    "level": failed ? "error" : "info",
                    "source": .string(Self.source(of: action)),
                    "action": .string(action),
                    "outcome": failed ? "failure" : "success",
                    "actor": ["type": action.hasPrefix("webhook") ? "provider" : "customer", "id": .string(action.hasPrefix("webhook") ? "paystack" : "usr_" + token(Self.base62, 12))],
                    "request_id": .string("req_" + token(Self.base62, 24)),
                    "transaction_id": .string(transaction),
                    "customer_code": .string(customer),
                    "correlation_id": .string(correlation),
                    "message": .string(Self.message(for: action, failed: failed)),
                    "http": ["method": action == "customer.update" ? "PATCH" : "POST", "path": .string(Self.path(of: action)), "status": .number(failed ? Double(pick([400, 401, 402, 502, 504])) : 200), "duration_ms": .number(Double(20 + next() % 900))],
                    "metadata": ["amount": .number(amount), "currency": .string(currency), "institution": .string(pick(["paystack", "flutterwave", "stripe", "mono"])), "ip": .string("102.89.\(next() % 255).\(next() % 255)")],
                ]
                if failed {
                    event["error"] = ["code": .string(pick(["insufficient_funds", "invalid_token", "provider_timeout", "do_not_honor"])), "message": .string(pick(["Issuer declined the authorization", "Upstream provider timed out after 30s", "Token expired"]))]
                }
                // About one event in twelve carries a secret that must never reach the store.
                switch next() % 48 {
                case 0: event.setPath("metadata.password", "Sup3r-s3cret!")
                case 1: event["headers"] = ["authorization": .string("Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0." + token(Self.base62, 43))]
                case 2: event["message"] = .string("Retrying charge with key sk_live_" + token(Self.base62, 24))
                case 3: event.setPath("metadata.card_number", "4111 1111 1111 1111")
                default: break
                }
                out.append(event)
            }
        }
        return out
    }

    private static func source(of action: String) -> String {
        switch action {
        case "webhook.received": "webhook-dispatcher"
        case "refund.create": "refunds-svc"
        case "auth.login", "customer.update": "identity-svc"
        case "ledger.post": "ledger-svc"
        default: "payments-api"
        }
    }

    private static func path(of action: String) -> String {
        switch action {
        case "payment.capture": "/v1/payments/capture"
        case "webhook.received": "/hooks/inbound"
        case "refund.create": "/v1/refunds"
        case "auth.login": "/v1/auth/login"
        case "customer.update": "/v1/customers"
        case "ledger.post": "/internal/ledger/entries"
        default: "/v1/payments"
        }
    }

    private static func message(for action: String, failed: Bool) -> String {
        if failed { return "Provider rejected \(action); quote the request_id to the provider" }
        switch action {
        case "payment.authorize": return "Card payment authorized by processor"
        case "payment.capture": return "Captured authorized payment"
        case "webhook.received": return "Webhook signature checked and queued"
        case "refund.create": return "Refund created"
        case "auth.login": return "Customer signed in"
        case "customer.update": return "Customer profile updated"
        default: return "Ledger entry posted"
        }
    }
}

extension JSONObject {
    fileprivate mutating func setPath(_ path: String, _ value: JSONValue) {
        let parts = path.split(separator: ".").map(String.init)
        var child = self[parts[0]]?.objectValue ?? JSONObject()
        child[parts[1]] = value
        self[parts[0]] = .object(child)
    }
}
