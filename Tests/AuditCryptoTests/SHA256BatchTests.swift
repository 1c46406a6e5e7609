import AuditCrypto
import AuditTestSupport
import Testing

@Suite("SHA-256 batches")
struct SHA256BatchTests {
    /// One-by-one first: the reference the vector implementations are held to.
    static let implementations = SHA256Batch.availableImplementations

    @Test("FIPS 180 vectors, each in a batch of its own copies and mixed with the others, by every implementation", arguments: implementations)
    func fipsVectors(implementation: SHA256Batch.Implementation) {
        var batch = SHA256Batch()
        // Enough copies that every lane of 16 holds each vector at some point, with lanes refilled mid-run.
        for i in 0..<(4 * 17) {
            let message = SHA256Tests.vectors[i % SHA256Tests.vectors.count].message
            let bytes = Array(message.utf8)
            bytes.withUnsafeBytes { batch.append($0) }
        }
        var digests: [SHA256Digest] = []
        batch.digests(into: &digests, using: implementation)
        #expect(digests.count == 4 * 17)
        for (i, digest) in digests.enumerated() {
            #expect(digest.hex == SHA256Tests.vectors[i % SHA256Tests.vectors.count].digest, "message \(i)")
        }
    }

    @Test("every length from 0 to 300 bytes (the padding boundaries at 55, 56, 63, 64 and their multiples) and random lengths to 5,000", arguments: implementations)
    func lengths(implementation: SHA256Batch.Implementation) {
        var random = SeededGenerator(seed: 0x5A256)
        var messages: [[UInt8]] = (0...300).map { length in (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) } }
        for _ in 0..<200 {
            messages.append((0..<Int.random(in: 0...5_000, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) })
        }
        messages.shuffle(using: &random)
        var batch = SHA256Batch()
        for message in messages { message.withUnsafeBytes { batch.append($0) } }
        var digests: [SHA256Digest] = []
        batch.digests(into: &digests, using: implementation)
        #expect(digests == messages.map { SHA256.hash($0) })
    }

    @Test("batches of 0 to 40 messages: fewer than the lanes, exactly the lanes, lanes refilled", arguments: implementations)
    func batchSizes(implementation: SHA256Batch.Implementation) {
        var random = SeededGenerator(seed: 40)
        var batch = SHA256Batch()
        var digests: [SHA256Digest] = []
        for size in 0...40 {
            batch.removeAll()
            var messages: [[UInt8]] = []
            for _ in 0..<size {
                let message = (0..<Int.random(in: 0...200, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
                messages.append(message)
                // In two or three parts, as callers append them.
                let cut = message.isEmpty ? 0 : Int.random(in: 0...message.count, using: &random)
                message.withUnsafeBytes { bytes in
                    _ = batch.append(UnsafeRawBufferPointer(rebasing: bytes[..<cut]), UnsafeRawBufferPointer(rebasing: bytes[cut...]))
                }
            }
            #expect(batch.count == size)
            batch.digests(into: &digests, using: implementation)
            #expect(digests == messages.map { SHA256.hash($0) }, "batch of \(size)")
            batch.digests(into: &digests)
            #expect(digests == messages.map { SHA256.hash($0) }, "batch of \(size), preferred implementation")
        }
    }

    @Test("a message written into the batch's buffer")
    func appendWriting() {
        var batch = SHA256Batch()
        "ab".utf8.withContiguousStorageIfAvailable { ab in batch.append(maxBytes: 8) { $0.append(ab) } }
        // Written in two parts, with room to spare: the message is what was written.
        let index = batch.append(maxBytes: 100) { message in
            "a".utf8.withContiguousStorageIfAvailable { message.append($0) }
            "bc".utf8.withContiguousStorageIfAvailable { message.append($0) }
        }
        #expect(index == 1)
        // Past the first growth of the buffer, and after removeAll, which keeps it.
        let long = [UInt8](repeating: 0x61, count: 10_000)
        long.withUnsafeBytes { _ = batch.append($0) }
        var digests: [SHA256Digest] = []
        batch.digests(into: &digests)
        #expect(digests == [SHA256.hash("ab"), SHA256.hash("abc"), SHA256.hash(long)])
        batch.removeAll()
        "xyz".utf8.withContiguousStorageIfAvailable { xyz in batch.append(maxBytes: 3) { $0.append(xyz) } }
        batch.digests(into: &digests)
        #expect(digests == [SHA256.hash("xyz")])
    }

    @Test("the preferred implementation is one this CPU runs")
    func preferred() {
        #expect(SHA256Batch.availableImplementations.contains(SHA256Batch.preferredImplementation))
        #expect(SHA256Batch.availableImplementations.first == .oneByOne)
    }
}
