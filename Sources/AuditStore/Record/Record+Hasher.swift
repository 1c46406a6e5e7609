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
        /// The record digests of the last ``hash(_:leafKeys:paths:)``, in order.
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

        /// Hashes the records of `group`, record `i` with the salts of `leafKeys[i]`; the results are in
        /// ``digests`` and ``leafHashes``. A value's path is an index into `paths`, their UTF-8 bytes.
        package mutating func hash(_ group: Group, leafKeys: [SHA256Digest], paths: [[UInt8]]) {
            precondition(leafKeys.count >= group.count, "a leaf key for every record")
            // Each of the group's arrays is read in place, once per group: nothing per record is
            // retained or copied.
            group.bytes.withUnsafeBytes { bytes in
                group.entries.withUnsafeBufferPointer { entries in
                    group.values.withUnsafeBufferPointer { values in
                        leafKeys.withUnsafeBufferPointer { leafKeys in
                            hash(bytes: bytes, entries: entries, values: values, leafKeys: leafKeys, paths: paths)
                        }
                    }
                }
            }
        }

        private mutating func hash(
            bytes: UnsafeRawBufferPointer, entries: UnsafeBufferPointer<Group.Entry>,
            values: UnsafeBufferPointer<(value: Range<Int>, path: Int)>, leafKeys: UnsafeBufferPointer<SHA256Digest>, paths: [[UInt8]]
        ) {
            if !values.isEmpty {
                // salt(p) = H(leafKey ‖ 0x02 ‖ p)
                batch.removeAll()
                for (i, entry) in entries.enumerated() where !entry.values.isEmpty {
                    leafKeys[i].withUnsafeBytes { key in
                        for value in values[entry.values] {
                            withUnsafeBytes(of: UInt8(2)) { two in paths[value.path].withUnsafeBytes { _ = batch.append(key, two, $0) } }
                        }
                    }
                }
                hashBatch(into: &salts)
                // commitment(p) = H(salt(p) ‖ value bytes)
                batch.removeAll()
                salts.withUnsafeBufferPointer { salts in
                    for (k, value) in values.enumerated() {
                        salts[k].withUnsafeBytes { _ = batch.append($0, UnsafeRawBufferPointer(rebasing: bytes[value.value])) }
                    }
                }
                hashBatch(into: &commitments)
            }
            // d = H(sealed form): the line with each value replaced by "commit:<hex commitment>".
            batch.removeAll()
            var sealedBytes = 0
            for entry in entries { sealedBytes += entry.line.count + entry.values.count * Record.commitmentTemplate.count }
            batch.reserveCapacity(messages: entries.count, bytes: sealedBytes)
            // `"commit:` + 64 hex digits + `"`, rewritten for each value.
            var replacement = Record.commitmentTemplate
            // Read in place: the array captured by the closure below would be retained per record.
            let commitments = commitments
            commitments.withUnsafeBufferPointer { commitments in
                for entry in entries {
                    guard !entry.values.isEmpty else {
                        _ = batch.append(UnsafeRawBufferPointer(rebasing: bytes[entry.line]))
                        continue
                    }
                    batch.append(maxBytes: entry.line.count + entry.values.count * replacement.count) { out in
                        var cursor = entry.line.lowerBound
                        for k in entry.values {
                            let value = values[k].value
                            precondition(value.lowerBound >= cursor && value.upperBound <= entry.line.upperBound, "personal-data values overlap or leave their line")
                            out.append(UnsafeRawBufferPointer(rebasing: bytes[cursor..<value.lowerBound]))
                            replacement.withUnsafeMutableBufferPointer { replacement in
                                Record.fillCommitment(commitments[k], into: replacement)
                                out.append(UnsafeBufferPointer(replacement))
                            }
                            cursor = value.upperBound
                        }
                        out.append(UnsafeRawBufferPointer(rebasing: bytes[cursor..<entry.line.upperBound]))
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
}
