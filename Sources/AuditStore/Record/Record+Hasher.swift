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

        /// Hashes `records` (each with its leaf key, ``HashInput``); the results are in ``digests`` and
        /// ``leafHashes``.
        package mutating func hash(_ records: some RandomAccessCollection<some HashInput>, personalData plan: PersonalDataPlan) {
            // salt(p) = H(leafKey ‖ 0x02 ‖ p)
            batch.removeAll()
            for record in records {
                for span in record.unhashed.personalData {
                    record.leafKey.withUnsafeBytes { key in
                        withUnsafeBytes(of: UInt8(2)) { two in plan.pathBytes[span.path].withUnsafeBytes { _ = batch.append(key, two, $0) } }
                    }
                }
            }
            if !batch.isEmpty {
                hashBatch(into: &salts)
                // commitment(p) = H(salt(p) ‖ value bytes)
                batch.removeAll()
                var k = 0
                for record in records {
                    record.unhashed.line.withUnsafeBytes { line in
                        for span in record.unhashed.personalData {
                            salts[k].withUnsafeBytes { _ = batch.append($0, UnsafeRawBufferPointer(rebasing: line[span.value])) }
                            k += 1
                        }
                    }
                }
                hashBatch(into: &commitments)
            }
            // d = H(sealed form): the line with each value replaced by "commit:<hex commitment>".
            batch.removeAll()
            var k = 0
            // `"commit:` + 64 hex digits + `"`, rewritten for each value.
            var replacement = Record.commitmentTemplate
            let hexStart = replacement.count - 65
            let hexDigits = Record.hexDigits
            for record in records {
                let unhashed = record.unhashed
                guard !unhashed.personalData.isEmpty else {
                    unhashed.line.withUnsafeBytes { _ = batch.append($0) }
                    continue
                }
                unhashed.line.withUnsafeBytes { line in
                    batch.append { out in
                        var cursor = 0
                        for span in unhashed.personalData {
                            precondition(span.value.lowerBound >= cursor, "personal-data values overlap")
                            SHA256Batch.append(UnsafeRawBufferPointer(rebasing: line[cursor..<span.value.lowerBound]), to: &out)
                            replacement.withUnsafeMutableBufferPointer { text in
                                hexDigits.withUnsafeBufferPointer { hexDigits in
                                    commitments[k].withUnsafeBytes { digest in
                                        for i in 0..<digest.count {
                                            text[hexStart + 2 * i] = hexDigits[Int(digest[i] >> 4)]
                                            text[hexStart + 2 * i + 1] = hexDigits[Int(digest[i] & 0xF)]
                                        }
                                    }
                                }
                            }
                            out.append(contentsOf: replacement)
                            cursor = span.value.upperBound
                            k += 1
                        }
                        SHA256Batch.append(UnsafeRawBufferPointer(rebasing: line[cursor...]), to: &out)
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

    /// A record for ``Hasher``: its line and personal-data values, and its leaf key.
    package protocol HashInput {
        var unhashed: Unhashed { get }
        var leafKey: SHA256Digest { get }
    }
}
