import AuditCrypto

extension Record {
    /// The digests and Merkle leaf hashes of many new records at once.
    ///
    /// Within a group of records nothing hashed depends on another record: the salts, then the
    /// commitments, then the sealed forms, then the leaf hashes are each one ``SHA256Batch`` (one record
    /// per SIMD lane where the CPU has them). Only the chain and the Merkle tree's interior, which the
    /// caller runs afterwards in sequence order, are sequential. The digests are exactly those of
    /// ``Unhashed/withDigest(leafKey:paths:)`` record by record (a test holds them equal).
    package struct Hasher {
        private var batch = SHA256Batch()
        private var salts: [SHA256Digest] = []
        private var commitments: [SHA256Digest] = []
        /// The record digests of the last ``hash(count:personalData:record:)``, in order.
        package private(set) var digests: [SHA256Digest] = []
        /// Their Merkle leaf hashes (``MerkleTree/leafHash(_:)``).
        package private(set) var leafHashes: [SHA256Digest] = []

        /// Nil: ``SHA256Batch``'s choice for each batch; otherwise this implementation (for tests).
        private let implementation: SHA256Batch.Implementation?

        package init(implementation: SHA256Batch.Implementation? = nil) {
            self.implementation = implementation
        }

        private func hashBatch(into digests: inout [SHA256Digest]) {
            if let implementation {
                batch.digests(into: &digests, using: implementation)
            } else {
                batch.digests(into: &digests)
            }
        }

        /// ``hash(_:paths:)`` for lines read from segments, specialised here: a generic call from
        /// another module would run unspecialised.
        package mutating func hash(lines: [ReadLine], paths: [[UInt8]]) {
            hash(lines, paths: paths)
        }

        /// Hashes `records` (each with its leaf key, ``HashInput``); the results are in ``digests`` and
        /// ``leafHashes``. A record's personal-data paths are indices into `paths`, their UTF-8 bytes.
        package mutating func hash(_ records: some RandomAccessCollection<some HashInput>, paths: [[UInt8]]) {
            // salt(p) = H(leafKey ‖ 0x02 ‖ p)
            batch.removeAll()
            for record in records {
                for span in record.personalData {
                    record.leafKey.withUnsafeBytes { key in
                        withUnsafeBytes(of: UInt8(2)) { two in paths[span.path].withUnsafeBytes { _ = batch.append(key, two, $0) } }
                    }
                }
            }
            if !batch.isEmpty {
                hashBatch(into: &salts)
                // commitment(p) = H(salt(p) ‖ value bytes)
                batch.removeAll()
                var k = 0
                for record in records {
                    record.withLine { line in
                        for span in record.personalData {
                            salts[k].withUnsafeBytes { _ = batch.append($0, UnsafeRawBufferPointer(rebasing: line[span.value])) }
                            k += 1
                        }
                    }
                }
                hashBatch(into: &commitments)
            }
            // d = H(sealed form): the line with each value replaced by "commit:<hex commitment>".
            batch.removeAll()
            var sealedBytes = 0
            for record in records { sealedBytes += record.withLine { $0.count } + record.personalData.count * Record.commitmentTemplate.count }
            batch.reserveCapacity(messages: records.count, bytes: sealedBytes)
            var k = 0
            // `"commit:` + 64 hex digits + `"`, rewritten for each value.
            var replacement = Record.commitmentTemplate
            for record in records {
                let personalData = record.personalData
                guard !personalData.isEmpty else {
                    record.withLine { _ = batch.append($0) }
                    continue
                }
                record.withLine { line in
                    batch.append(maxBytes: line.count + personalData.count * replacement.count) { out in
                        var cursor = 0
                        for span in personalData {
                            precondition(span.value.lowerBound >= cursor, "personal-data values overlap")
                            out.append(UnsafeRawBufferPointer(rebasing: line[cursor..<span.value.lowerBound]))
                            replacement.withUnsafeMutableBufferPointer { replacement in
                                Record.fillCommitment(commitments[k], into: replacement)
                                out.append(UnsafeBufferPointer(replacement))
                            }
                            cursor = span.value.upperBound
                            k += 1
                        }
                        out.append(UnsafeRawBufferPointer(rebasing: line[cursor...]))
                    }
                }
            }
            hashBatch(into: &digests)
            // Leaf hashes: H(0x00 ‖ d)
            batch.removeAll()
            for digest in digests {
                withUnsafeBytes(of: UInt8(0)) { zero in digest.withUnsafeBytes { _ = batch.append(zero, $0) } }
            }
            hashBatch(into: &leafHashes)
        }
    }

    /// A line read from a segment, for ``Hasher/hash(lines:paths:)``.
    package struct ReadLine: HashInput {
        package var line: ArraySlice<UInt8>
        package var personalData: [(value: Range<Int>, path: Int)]
        package var leafKey: SHA256Digest

        package init(line: ArraySlice<UInt8>, personalData: [(value: Range<Int>, path: Int)], leafKey: SHA256Digest) {
            self.line = line
            self.personalData = personalData
            self.leafKey = leafKey
        }
    }

    /// A record for ``Hasher``: its line, its personal-data values and its leaf key.
    package protocol HashInput {
        associatedtype Line: Sequence<UInt8>
        /// The line without its newline: contiguous bytes (an array or an array slice).
        var line: Line { get }
        /// Each personal-data value's range in `line` (counted from its first byte) and the index of its
        /// path in the `paths` given to ``Hasher/hash(_:paths:)``; sorted by offset, not overlapping.
        var personalData: [(value: Range<Int>, path: Int)] { get }
        var leafKey: SHA256Digest { get }
    }
}

extension Record.HashInput {
    func withLine<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        guard let result = line.withContiguousStorageIfAvailable({ body(UnsafeRawBufferPointer($0)) }) else {
            preconditionFailure("a record line to hash must be contiguous")
        }
        return result
    }
}
