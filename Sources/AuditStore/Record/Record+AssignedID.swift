import AuditModel

extension Record {
    /// The id of an event that arrived without one: the store id's first 16 hex digits, a dash, and the
    /// sequence number zero-padded to 12 digits (`331459a03e3331de-000000000001`), so ids sort in arrival
    /// order and stay unique across stores. Deriving it from the sequence number (not random bits) keeps it
    /// nearly free in compressed segments.
    ///
    /// Written straight into a record's bytes (``append(to:)``): the ingest path builds no string for it.
    package struct AssignedID: Sendable, CustomStringConvertible {
        /// The store id's first 16 hex digits and the dash.
        private let prefix: [UInt8]
        package let seq: UInt64

        /// - Parameter prefix: the first characters of the id, ASCII letters, digits and dashes only (so
        ///   that the id needs no escape in JSON).
        package init(prefix: [UInt8], seq: UInt64) {
            assert(
                prefix.allSatisfy { $0 == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) },
                "an assigned id's prefix is hex digits and dashes"
            )
            self.prefix = prefix
            self.seq = seq
        }

        /// The prefix of the ids of the store with this id.
        package static func prefix(storeID: String) -> [UInt8] {
            Array(storeID.utf8.prefix(16)) + [UInt8(ascii: "-")]
        }

        /// Appends the id's characters (no quotes).
        package func append(to bytes: inout [UInt8]) {
            bytes.append(contentsOf: prefix)
            CanonicalJSON.appendDecimal(seq, minimumWidth: 12, to: &bytes)
        }

        package var description: String {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(prefix.count + 20)
            append(to: &bytes)
            return String(decoding: bytes, as: UTF8.self)
        }
    }
}
