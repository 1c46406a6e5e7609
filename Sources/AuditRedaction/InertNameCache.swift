#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension Redactor {
    /// Member names that ``Redactor/leavesUnchanged(_:remembering:)`` found *inert* (the walk leaves
    /// them and never looks at their value for their sake: no rule names them, or the keep list
    /// does, and they hold no secret themselves), remembered by their exact bytes.
    ///
    /// A stream of events repeats a few dozen names, so a name seen before is found with a hash of
    /// its ends and one comparison instead of being normalised and looked up in the rules' table.
    /// Only inert names are remembered, so the cache can only skip a check whose answer it already
    /// has; names that match a rule are checked every time. Direct-mapped and bounded (256 names of
    /// at most 32 bytes): a name that collides replaces the one before, a longer name is not kept.
    ///
    /// One cache per thread: it is a mutable class, not `Sendable`. It belongs to the rules of the
    /// redactor that made it (``Redactor/makeInertNameCache()``), and is ignored by any other.
    package final class InertNameCache {
        static let slotCount = 256
        static let maxNameBytes = 32

        let rules: CompiledRules
        /// Per slot: the name's length (0 when empty), then `maxNameBytes` bytes of the name.
        private let lengths: UnsafeMutablePointer<UInt8>
        private let names: UnsafeMutablePointer<UInt8>

        init(rules: CompiledRules) {
            self.rules = rules
            lengths = .allocate(capacity: Self.slotCount)
            lengths.initialize(repeating: 0, count: Self.slotCount)
            names = .allocate(capacity: Self.slotCount * Self.maxNameBytes)
            names.initialize(repeating: 0, count: Self.slotCount * Self.maxNameBytes)
        }

        deinit {
            lengths.deallocate()
            names.deallocate()
        }

        @inline(__always)
        private static func slot(_ name: UnsafeBufferPointer<UInt8>) -> Int {
            let n = name.count
            var h = UInt64(n) &* 0x9E37_79B9_7F4A_7C15
            if n >= 8 {
                let raw = UnsafeRawPointer(name.baseAddress!)
                h ^= raw.loadUnaligned(as: UInt64.self) &* 0xC2B2_AE3D_27D4_EB4F
                h ^= raw.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self) &* 0x1656_67B1_9E37_79F9
            } else {
                var v: UInt64 = 0
                for b in name { v = v << 8 | UInt64(b) }
                h ^= v &* 0xC2B2_AE3D_27D4_EB4F
            }
            h ^= h >> 31
            h = h &* 0xFF51_AFD7_ED55_8CCD
            return Int(truncatingIfNeeded: h >> 56)
        }

        /// Whether `name` was remembered as inert.
        @inline(__always)
        func contains(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
            guard name.count > 0, name.count <= Self.maxNameBytes else { return false }
            let slot = Self.slot(name)
            return Int(lengths[slot]) == name.count && memcmp(names + slot * Self.maxNameBytes, name.baseAddress!, name.count) == 0
        }

        /// Remembers `name`, which the caller found inert.
        func insert(_ name: UnsafeBufferPointer<UInt8>) {
            guard name.count > 0, name.count <= Self.maxNameBytes else { return }
            let slot = Self.slot(name)
            (names + slot * Self.maxNameBytes).update(from: name.baseAddress!, count: name.count)
            lengths[slot] = UInt8(name.count)
        }
    }

    /// A cache for ``leavesUnchanged(_:remembering:)`` on one thread.
    package func makeInertNameCache() -> InertNameCache {
        InertNameCache(rules: rules)
    }
}
