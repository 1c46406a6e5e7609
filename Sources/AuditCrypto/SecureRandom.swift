internal import CAuditCrypto

/// Cryptographically secure random bytes from OpenSSL's DRBG, seeded by the OS.
public enum SecureRandom {
    /// Returns `count` random bytes.
    ///
    /// This traps instead of throwing: `RAND_bytes` fails only when the operating
    /// system's entropy source is broken, and then no key, nonce or salt this process
    /// could make would be safe to use, so carrying on would be worse than stopping.
    public static func bytes(count: Int) -> [UInt8] {
        precondition(count >= 0, "SecureRandom.bytes(count:) needs a non-negative count")
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            var offset = 0
            while offset < count {
                let chunk = min(count - offset, Int(Int32.max))
                guard RAND_bytes(buffer.baseAddress! + offset, Int32(chunk)) == 1 else {
                    let detail = OpenSSLErrorQueue.drain().joined(separator: "; ")
                    fatalError("RAND_bytes failed: the OS random number generator is unavailable (\(detail))")
                }
                offset += chunk
            }
            initialized = count
        }
    }
}
