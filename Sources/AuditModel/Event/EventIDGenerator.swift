import AuditCrypto
import Synchronization

/// Assigns event ids: UUIDv7 strings (RFC 9562), time-ordered, unique per generator.
///
/// The 74 bits after the millisecond timestamp are a 12-bit sub-millisecond counter (method 1 of
/// RFC 9562 §6.2) and a 62-bit field made of a random 32-bit generator id and a 30-bit counter.
/// Using a counter instead of fresh random bits keeps ids unique and ordered within one writer and
/// keeps them compressible in segments; the random generator id separates writers.
public final class EventIDGenerator: Sendable {
    private struct State {
        var lastMillisecond: Int64 = 0
        var subMillisecond: UInt16 = 0
        var counter: UInt32 = 0
    }

    private let node: UInt32
    private let state = Mutex(State())

    public init() {
        let bytes = SecureRandom.bytes(count: 4)
        self.node = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
    }

    /// A new id, no earlier than any id this generator made before.
    public func next(now: Timestamp = .now()) -> String {
        let (ms, sub, counter) = state.withLock { s -> (Int64, UInt16, UInt32) in
            var ms = now.microsecondsSinceEpoch / 1000
            if ms <= s.lastMillisecond {
                ms = s.lastMillisecond
                s.subMillisecond &+= 1
                if s.subMillisecond >= 4096 {
                    ms += 1
                    s.subMillisecond = 0
                }
            } else {
                s.subMillisecond = 0
            }
            s.lastMillisecond = ms
            s.counter = (s.counter &+ 1) & 0x3FFF_FFFF
            return (ms, s.subMillisecond, s.counter)
        }
        let high = (UInt64(ms) << 16) | 0x7000 | UInt64(sub & 0x0FFF)
        let low = (UInt64(0b10) << 62) | (UInt64(node) << 30) | UInt64(counter)
        var bytes = [UInt8](repeating: 0, count: 16)
        for i in 0..<8 {
            bytes[i] = UInt8(truncatingIfNeeded: high >> (56 - 8 * i))
            bytes[8 + i] = UInt8(truncatingIfNeeded: low >> (56 - 8 * i))
        }
        let hex = Array(Hex.encode(bytes).utf8)
        var out: [UInt8] = []
        out.reserveCapacity(36)
        for (i, c) in hex.enumerated() {
            if i == 8 || i == 12 || i == 16 || i == 20 { out.append(UInt8(ascii: "-")) }
            out.append(c)
        }
        return String(decoding: out, as: UTF8.self)
    }
}
