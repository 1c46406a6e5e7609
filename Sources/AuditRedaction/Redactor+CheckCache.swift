#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension Redactor {
    /// What ``Redactor/leavesUnchanged(_:remembering:)`` found on earlier events and need not find
    /// again: member names that are *inert* (the walk leaves them, and never looks at their value for
    /// their sake: no rule names them, or the keep list does, and they hold no secret themselves), and
    /// string values the scanners found nothing in. Both are remembered by their exact bytes.
    ///
    /// A stream of events repeats a few dozen names and many values (actions, sources, messages,
    /// paths), so one seen before is found with a hash of its ends and one comparison instead of being
    /// normalised and looked up, or scanned. Only answers that hold whatever else the event holds are
    /// remembered (a name that a rule matches depends on its value, and is checked every time), so the
    /// cache can only skip a check whose answer it already has. Bounded: see ``BytesSet``.
    ///
    /// One cache per thread: it is a mutable class, not `Sendable`. It belongs to the rules of the
    /// redactor that made it (``Redactor/makeCheckCache()``), and is ignored by any other.
    package final class CheckCache {
        let rules: CompiledRules
        let inertNames = BytesSet(slots: 256, maxBytes: 32)
        let cleanStrings = BytesSet(slots: 1024, maxBytes: 64)

        init(rules: CompiledRules) {
            self.rules = rules
        }
    }

    /// A cache for ``leavesUnchanged(_:remembering:)`` on one thread.
    package func makeCheckCache() -> CheckCache {
        CheckCache(rules: rules)
    }
}

/// A bounded, direct-mapped set of short byte strings: `slots` entries of at most `maxBytes` bytes.
/// A string that collides with one already in its slot replaces it; a longer one is never kept.
final class BytesSet {
    private let slotCount: Int
    private let maxBytes: Int
    /// Per slot: the length of the bytes held (0 when empty).
    private let lengths: UnsafeMutablePointer<UInt8>
    /// Per slot: `maxBytes` bytes.
    private let storage: UnsafeMutablePointer<UInt8>

    /// - Parameters:
    ///   - slots: a power of two, at most 2^16.
    ///   - maxBytes: at most 255.
    init(slots: Int, maxBytes: Int) {
        precondition(slots > 0 && slots & (slots - 1) == 0 && slots <= 1 << 16 && (1...255).contains(maxBytes))
        slotCount = slots
        self.maxBytes = maxBytes
        lengths = .allocate(capacity: slots)
        lengths.initialize(repeating: 0, count: slots)
        storage = .allocate(capacity: slots * maxBytes)
        storage.initialize(repeating: 0, count: slots * maxBytes)
    }

    deinit {
        lengths.deallocate()
        storage.deallocate()
    }

    @inline(__always)
    private func slot(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        let n = bytes.count
        var h = UInt64(n) &* 0x9E37_79B9_7F4A_7C15
        if n >= 8 {
            let raw = UnsafeRawPointer(bytes.baseAddress!)
            h ^= raw.loadUnaligned(as: UInt64.self) &* 0xC2B2_AE3D_27D4_EB4F
            h ^= raw.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self) &* 0x1656_67B1_9E37_79F9
            if n > 16 { h ^= raw.loadUnaligned(fromByteOffset: n / 2 - 4, as: UInt64.self) &* 0x27D4_EB2F_1656_67C5 }
        } else {
            var v: UInt64 = 0
            for b in bytes { v = v << 8 | UInt64(b) }
            h ^= v &* 0xC2B2_AE3D_27D4_EB4F
        }
        h ^= h >> 31
        h = h &* 0xFF51_AFD7_ED55_8CCD
        return Int(truncatingIfNeeded: h >> 48) & (slotCount - 1)
    }

    /// Whether the set holds `bytes`.
    @inline(__always)
    func contains(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count > 0, bytes.count <= maxBytes else { return false }
        let slot = slot(bytes)
        return Int(lengths[slot]) == bytes.count && memcmp(storage + slot * maxBytes, bytes.baseAddress!, bytes.count) == 0
    }

    /// Adds `bytes` (nothing when empty or longer than `maxBytes`).
    func insert(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard bytes.count > 0, bytes.count <= maxBytes else { return }
        let slot = slot(bytes)
        (storage + slot * maxBytes).update(from: bytes.baseAddress!, count: bytes.count)
        lengths[slot] = UInt8(bytes.count)
    }
}
