internal import CAuditMultiHash

/// Many independent messages, hashed together.
///
/// Messages are gathered into one buffer (no allocation per message once the batch has grown) and
/// hashed by ``digests(into:)``: with AVX-512 or AVX2, one message per SIMD lane through a
/// multi-buffer SHA-256 (the C target `CAuditMultiHash`), otherwise one after another through OpenSSL.
/// The digests are the same either way; only the time differs. For short messages on a CPU without SHA
/// extensions, a batch of 16 costs about a fifth of hashing them one by one (docs/performance.md, SHA-256
/// in batches).
///
/// The hot paths of the store use it where hashes do not depend on each other: the leaf keys, salts,
/// commitments, digests and Merkle leaves of a group of records the writer appends or of a block the
/// verifier reads, and each level of the Merkle builder's merge.
public struct SHA256Batch: Sendable {
    /// How a batch is hashed.
    public enum Implementation: Sendable, Hashable, CustomStringConvertible {
        /// One message after another through OpenSSL (its SHA-NI, AVX2 or plain code).
        case oneByOne
        /// `lanes` messages at once: 8 with AVX2, 16 with AVX-512.
        case multiBuffer(lanes: Int)

        public var description: String {
            switch self {
            case .oneByOne: "one by one (OpenSSL)"
            case .multiBuffer(let lanes): "multi-buffer, \(lanes) lanes (\(lanes == 16 ? "AVX-512" : "AVX2"))"
            }
        }
    }

    /// Every implementation this CPU runs, for tests and benchmarks.
    public static var availableImplementations: [Implementation] {
        let features = auditq_sha256_cpu_features()
        var available: [Implementation] = [.oneByOne]
        if features & Int32(AUDITQ_SHA256_CPU_AVX2) != 0 { available.append(.multiBuffer(lanes: 8)) }
        if features & Int32(AUDITQ_SHA256_CPU_AVX512) != 0 { available.append(.multiBuffer(lanes: 16)) }
        return available
    }

    /// What batches use: AVX-512 when present (faster than OpenSSL even with SHA extensions, measured on
    /// an AMD EPYC with both), else AVX2 on a CPU without SHA extensions (with them, OpenSSL's SHA-NI code
    /// is faster than 8 lanes), else OpenSSL. The environment variable `AUDITQ_SHA256_LANES` (`1`, `8`
    /// or `16`) overrides the choice, for measurements; a value the CPU cannot run is ignored.
    public static let preferredImplementation: Implementation = {
        let available = availableImplementations
        if let forced = getenv("AUDITQ_SHA256_LANES").flatMap({ Int(String(cString: $0)) }) {
            let wanted: Implementation = forced == 1 ? .oneByOne : .multiBuffer(lanes: forced)
            if available.contains(wanted) { return wanted }
        }
        let features = auditq_sha256_cpu_features()
        if available.contains(.multiBuffer(lanes: 16)) { return .multiBuffer(lanes: 16) }
        if available.contains(.multiBuffer(lanes: 8)), features & Int32(AUDITQ_SHA256_CPU_SHA_NI) == 0 {
            return .multiBuffer(lanes: 8)
        }
        return .oneByOne
    }()

    /// The messages, one after another, in the first `used` bytes. The array is kept as long as its
    /// capacity (zero-filled when it grows), so that a message is copied in with one access to it
    /// rather than an `Array.append` per part: the appends were 3% of the writer's instructions.
    private var bytes: [UInt8] = []
    private var used = 0
    /// Where each message ends in `bytes`.
    private var ends: [Int] = []

    public init() {}

    /// The number of messages.
    public var count: Int { ends.count }

    public var isEmpty: Bool { ends.isEmpty }

    /// Makes room for `messages` messages of `bytes` bytes in all, so that adding them does not grow
    /// the buffer step by step.
    public mutating func reserveCapacity(messages: Int, bytes: Int) {
        makeRoom(for: bytes)
        ends.reserveCapacity(ends.count + messages)
    }

    /// Removes every message, keeping the storage for the next batch.
    public mutating func removeAll() {
        used = 0
        ends.removeAll(keepingCapacity: true)
    }

    @inline(__always)
    private mutating func makeRoom(for count: Int) {
        if used + count > bytes.count { grow(toAtLeast: used + count) }
    }

    private mutating func grow(toAtLeast minimum: Int) {
        bytes.append(contentsOf: repeatElement(0, count: max(minimum, 2 * bytes.count, 4096) - bytes.count))
    }

    /// Adds a message of up to three parts (joined); returns its index.
    @discardableResult
    public mutating func append(
        _ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0),
        _ c: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)
    ) -> Int {
        append(maxBytes: a.count + b.count + c.count) { message in
            message.append(a)
            message.append(b)
            message.append(c)
        }
    }

    /// Where ``append(maxBytes:writing:)`` writes a message, in the batch's buffer.
    public struct MessageWriter: ~Copyable {
        fileprivate let buffer: UnsafeMutableRawBufferPointer
        fileprivate var count = 0

        /// Appends bytes to the message.
        @inline(__always)
        public mutating func append(_ bytes: UnsafeRawBufferPointer) {
            guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
            precondition(count + bytes.count <= buffer.count, "SHA256Batch: a message longer than its maxBytes")
            (buffer.baseAddress! + count).copyMemory(from: source, byteCount: bytes.count)
            count += bytes.count
        }

        /// Appends bytes to the message.
        @inline(__always)
        public mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
            append(UnsafeRawBufferPointer(bytes))
        }
    }

    /// Adds a message of at most `maxBytes` bytes that `body` writes; returns its index.
    @discardableResult
    public mutating func append(maxBytes: Int, writing body: (inout MessageWriter) -> Void) -> Int {
        makeRoom(for: maxBytes)
        let start = used
        let written = bytes.withUnsafeMutableBytes { buffer in
            var message = MessageWriter(buffer: UnsafeMutableRawBufferPointer(rebasing: buffer[start..<(start + maxBytes)]))
            body(&message)
            return message.count
        }
        used += written
        ends.append(used)
        return ends.count - 1
    }

    /// The digest of every message, in order, replacing the contents of `digests`.
    public func digests(into digests: inout [SHA256Digest]) {
        var implementation = Self.preferredImplementation
        // A batch smaller than the lanes would leave lanes idle and cost more than OpenSSL.
        if case .multiBuffer(let lanes) = implementation, count < lanes { implementation = .oneByOne }
        self.digests(into: &digests, using: implementation)
    }

    /// The digests, in order, by the given implementation (which must be one of
    /// ``availableImplementations``).
    public func digests(into digests: inout [SHA256Digest], using implementation: Implementation) {
        digests.removeAll(keepingCapacity: true)
        digests.append(contentsOf: repeatElement(SHA256Digest.zero, count: ends.count))
        guard !ends.isEmpty else { return }
        let used = used
        bytes.withUnsafeBytes { buffer in
            let buffer = UnsafeRawBufferPointer(rebasing: buffer[..<used])
            if case .multiBuffer(let lanes) = implementation {
                assert(MemoryLayout<SHA256Digest>.stride == SHA256Digest.byteCount)
                let base = buffer.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
                // On the stack for the usual batch (the writer's groups are 32 messages): two arrays
                // per batch were a tenth of the writer's allocations.
                let status = withUnsafeTemporaryAllocation(of: UnsafePointer<UInt8>?.self, capacity: ends.count) { pointers in
                    withUnsafeTemporaryAllocation(of: Int.self, capacity: ends.count) { lengths in
                        var start = 0
                        for (i, end) in ends.enumerated() {
                            pointers.initializeElement(at: i, to: (base + start).assumingMemoryBound(to: UInt8.self))
                            lengths.initializeElement(at: i, to: end - start)
                            start = end
                        }
                        return digests.withUnsafeMutableBytes { out in
                            auditq_sha256_multi(Int32(lanes), ends.count, pointers.baseAddress, lengths.baseAddress, out.baseAddress!.assumingMemoryBound(to: UInt8.self))
                        }
                    }
                }
                precondition(status == 0, "SHA256Batch: \(implementation) is not available on this CPU")
                return
            }
            var start = 0
            for (i, end) in ends.enumerated() {
                digests[i] = SHA256.hash(UnsafeRawBufferPointer(rebasing: buffer[start..<end]))
                start = end
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
