import AuditCrypto
import Testing

@Suite("SecureRandom")
struct SecureRandomTests {
    @Test("returns the requested number of bytes, and they differ between calls")
    func bytes() {
        #expect(SecureRandom.bytes(count: 0).isEmpty)
        let a = SecureRandom.bytes(count: 32)
        let b = SecureRandom.bytes(count: 32)
        #expect(a.count == 32 && b.count == 32)
        // 2^-256 chance of a false failure.
        #expect(a != b)
        // A large request is not all zeros (catches an uninitialised buffer).
        #expect(SecureRandom.bytes(count: 100_000).contains { $0 != 0 })
    }
}
