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

    private var bytes: [UInt8] = []
    /// Where each message ends in `bytes`.
    private var ends: [Int] = []

    public init() {}

    /// The number of messages.
    public var count: Int { ends.count }

    public var isEmpty: Bool { ends.isEmpty }

    /// Makes room for `messages` messages of `bytes` bytes in all, so that adding them does not grow
    /// the buffer step by step.
    public mutating func reserveCapacity(messages: Int, bytes: Int) {
        self.bytes.reserveCapacity(bytes)
        ends.reserveCapacity(messages)
    }

    /// Removes every message, keeping the storage for the next batch.
    public mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
    }

    /// Adds a message of up to three parts (joined); returns its index.
    @discardableResult
    public mutating func append(
        _ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0),
        _ c: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)
    ) -> Int {
        Self.append(a, to: &bytes)
        Self.append(b, to: &bytes)
        Self.append(c, to: &bytes)
        ends.append(bytes.count)
        return ends.count - 1
    }

    /// Appends raw bytes to a byte array as one copy (appending an `UnsafeRawBufferPointer` as a
    /// sequence goes byte by byte); for callers that build a message with ``append(writing:)``.
    public static func append(_ part: UnsafeRawBufferPointer, to bytes: inout [UInt8]) {
        guard !part.isEmpty else { return }
        bytes.append(contentsOf: part.assumingMemoryBound(to: UInt8.self))
    }

    /// Adds a message that `body` appends to the batch's buffer; returns its index.
    @discardableResult
    public mutating func append(writing body: (inout [UInt8]) -> Void) -> Int {
        body(&bytes)
        ends.append(bytes.count)
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
        bytes.withUnsafeBytes { buffer in
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
