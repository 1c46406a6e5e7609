import AuditModel
import Testing

@testable import AuditRedaction

/// Deterministic random strings built from the fragments the scanners react to: the redactor
/// must never trap (bounds, overflow), and a secret planted among the noise must still go.
/// (Exact idempotence holds for realistic events, see `RedactorTests`; on garbage like this a
/// second pass occasionally finds more, because markers change what surrounds a label.)
@Suite("Redactor on adversarial strings")
struct RedactorFuzzTests {
    /// SplitMix64, so the cases are the same on every run.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let fragments = [
        "password", "Password", ":", "=", " ", "\"", "'", "\\", "\\\"", "\\u0022", "%3D", "%26", "%", "&quot;", "&", "<", ">",
        "</", "-----BEGIN ", "PRIVATE KEY", "-----", "-----END ", "eyJ", ".", "Bearer ", "Basic ", "://", "@", "?", "token",
        "key", "4111", "1111", " 1111", "-", "12/27", "cvv", "123", "otp", "is", "sk_live_", "AKIA", "ABCDEFGHIJKLMNOP",
        "abcdefghijklmnop0123456789", "\r\n", "\n", "é", "日本", "🙂", "--", "-u ", "x:", "0", "9", "AUTH_", "SK", "+234 ",
        "set to ", "code", "your", "X-Api-Key", "\u{0}", "\u{1F}", "[REDACTED:", "]",
    ]

    @Test("random strings never trap, and a planted secret never survives them")
    func random() throws {
        var generator = Generator(state: 20261121)
        let redactor = Redactor()
        for _ in 0..<4000 {
            var text = ""
            for _ in 0..<Int.random(in: 1...24, using: &generator) {
                text += Self.fragments.randomElement(using: &generator)!
            }
            let secret = Self.secrets.randomElement(using: &generator)!
            let planted = text + " " + secret + " " + Self.fragments.randomElement(using: &generator)!
            var object = JSONObject()
            object["m"] = .string(planted)
            object[String(text.prefix(40))] = .string(text)
            _ = redactor.redact(&object)
            var again = object
            _ = redactor.redact(&again)
            for output in [CanonicalJSON.string(.object(object)), CanonicalJSON.string(.object(again))] {
                #expect(!output.contains(secret), "\(secret) survived in \(CanonicalJSON.string(.string(planted)))")
            }
        }
    }

    static let secrets = [
        "sk_live_4eC39HqLyjWDarjtT1zdp7dc", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJlXzEyMw", "AKIAIOSFODNN7EXAMPLE",
        "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789", "4111 1111 1111 1111", "xoxb-123456789012-abcdefABCDEF123456",
    ]
}
