import AuditCrypto
import AuditModel

/// The lookup index of one sealed segment (`segment-NNNNNNNN.index`): for each of the four lookup
/// keys, which blocks hold records with a given key, plus each block's place and time range. See
/// `docs/formats.md` § Segment index files.
///
/// Why the format and its builder live here and not in `AuditQuery`: the writer builds the index at
/// seal and the verifier rebuilds it to check the signed digest, and neither may depend on the query
/// engine. `AuditStore` owns every byte a store holds (records, manifests, indexes); `AuditQuery` owns
/// how lookups use them (segment selection, block reads, matching, fallback scans).
///
/// The file is a *directory* followed by *pages*. The signed manifest holds the SHA-256 of the
/// directory (`index.root`), and the directory holds the SHA-256 of every page, so a lookup checks
/// only the directory and the few pages it reads: work proportional to the answer, never trusting a
/// byte it has not checked against the signature (unlike journald's unsealed lookup tables,
/// CVE-2023-31437). The index is a deterministic function of the segment's records, so a lost or
/// damaged index is rebuilt bit for bit from the segment (`auditq index rebuild`).
package enum SegmentIndex {
    /// Format version, also in the manifest's `index.version`.
    package static let version = 1
    package static let magic: [UInt8] = Array("auditqix".utf8)
    /// A page is closed before an entry would take it past this many bytes.
    package static let pageTarget = 16384
    /// Bytes of the fixed part of the directory, before the page table.
    package static let fixedDirectoryBytes = 56 + 12 * Section.allCases.count
    package static let pageEntryBytes = 52
    package static let blockEntryBytes = 40
    package static let fileSuffix = ".index"

    /// The four lookup keys: top-level string members of the event.
    package enum Field: Int, CaseIterable, Sendable, Hashable {
        case transactionID = 0
        case customerCode = 1
        case requestID = 2
        case correlationID = 3

        package var name: String {
            switch self {
            case .transactionID: "transaction_id"
            case .customerCode: "customer_code"
            case .requestID: "request_id"
            case .correlationID: "correlation_id"
            }
        }

        package var section: Section { Section(rawValue: rawValue + 1)! }
    }

    /// The parts of the file, in file order: the block table, then one part per field.
    package enum Section: Int, CaseIterable, Sendable {
        case blocks = 0
        case transactionID, customerCode, requestID, correlationID

        package var field: Field? { self == .blocks ? nil : Field(rawValue: rawValue - 1) }
    }

    /// The 32-bit fingerprint of a key value: the high 32 bits of FNV-1a-64 over the value's UTF-8
    /// bytes, finished with MurmurHash3's 64-bit mixer. Collisions only cost a block read: every
    /// record a lookup returns is compared with the key itself.
    @inline(__always)
    package static func fingerprint(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        finish(fnv(bytes).hash)
    }

    /// ``fingerprint(_:)`` of a JSON string's content as written, in the same pass that checks it is the
    /// string's value: nil when it has an escape, a control character or a byte outside ASCII (the caller
    /// then reads the string).
    @inline(__always)
    static func fingerprint(plainASCII bytes: UnsafeRawBufferPointer) -> UInt32? {
        let (hash, unusual) = fnv(bytes)
        return unusual ? nil : finish(hash)
    }

    /// FNV-1a-64 of the bytes, and whether any is outside ASCII, a control character or a backslash.
    @inline(__always)
    private static func fnv(_ bytes: UnsafeRawBufferPointer) -> (hash: UInt64, unusual: Bool) {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        var unusual = false
        for byte in bytes {
            h ^= UInt64(byte)
            h &*= 0x0000_0100_0000_01b3
            unusual = unusual || byte >= 0x80 || byte < 0x20 || byte == UInt8(ascii: "\\")
        }
        return (h, unusual)
    }

    @inline(__always)
    private static func finish(_ fnv: UInt64) -> UInt32 {
        var h = fnv
        h ^= h >> 33
        h &*= 0xff51_afd7_ed55_8ccd
        h ^= h >> 33
        h &*= 0xc4ce_b9fe_1a85_ec53
        h ^= h >> 33
        return UInt32(truncatingIfNeeded: h >> 32)
    }

    package static func fingerprint(_ value: String) -> UInt32 {
        var value = value
        return value.withUTF8 { fingerprint(UnsafeRawBufferPointer($0)) }
    }

    /// One record's contribution: the fingerprints of the keys it has, and its event time.
    package struct RecordKeys: Sendable, Hashable {
        package var fingerprints: (UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0)
        /// Bit `field.rawValue` is set when the event has that key as a string.
        package var present: UInt8 = 0
        package var timestamp: Int64

        package init(event: JSONObject, timestamp: Int64) {
            self.timestamp = timestamp
            // One pass over the members instead of a lookup per field (this runs for every record
            // appended); a name is compared only with the field of its length. Exact: no string other
            // than these names themselves equals them under `==` (no character outside ASCII has a
            // canonical decomposition to lower-case letters or `_`).
            for member in event {
                let field: Field
                switch member.key.utf8.count {
                case 10 where member.key == Field.requestID.name: field = .requestID
                case 13 where member.key == Field.customerCode.name: field = .customerCode
                case 14 where member.key == Field.transactionID.name: field = .transactionID
                case 14 where member.key == Field.correlationID.name: field = .correlationID
                default: continue
                }
                guard case .string(let value) = member.value else { continue }
                set(field, SegmentIndex.fingerprint(value))
            }
        }

        /// The keys read straight from a stored line's event (the verifier's fast path); nil when a key
        /// is present but not a plain string, so the caller reads it through the record model.
        package init?(rawLine: UnsafeRawBufferPointer, members: RawEvent, timestamp: Int64) {
            self.timestamp = timestamp
            // One pass over the members, a name compared only with the field of its length (as above).
            let line = rawLine.bindMemory(to: UInt8.self)
            let names = RawJSON(bytes: line)
            for member in members.members {
                let field: Field
                switch member.key.count {
                case 10 where names.bytes(member.key, equal: "request_id"): field = .requestID
                case 13 where names.bytes(member.key, equal: "customer_code"): field = .customerCode
                case 14 where names.bytes(member.key, equal: "transaction_id"): field = .transactionID
                case 14 where names.bytes(member.key, equal: "correlation_id"): field = .correlationID
                default: continue
                }
                // The first member of a name counts (as ``RawEvent/fieldBytes(_:line:)`` finds it).
                guard present & (1 << UInt8(field.rawValue)) == 0 else { continue }
                // The usual key, a string of ASCII without escapes, in one pass: its bytes are the text.
                let value = member.value
                if value.count >= 2, line[value.lowerBound] == UInt8(ascii: "\""), line[value.upperBound - 1] == UInt8(ascii: "\""),
                    let fingerprint = SegmentIndex.fingerprint(plainASCII: UnsafeRawBufferPointer(rebasing: rawLine[(value.lowerBound + 1)..<(value.upperBound - 1)]))
                {
                    set(field, fingerprint)
                    continue
                }
                // Nil for a key that is not a plain string: the caller reads it through the record model.
                var scanner = RawJSON(bytes: line)
                scanner.index = value.lowerBound
                guard let range = scanner.plainString(), scanner.index == value.upperBound else { return nil }
                // Outside ASCII: the fingerprint of the string the record model reads, the UTF-8
                // decoding of the bytes (which repairs invalid sequences).
                set(field, SegmentIndex.fingerprint(String(decoding: UnsafeRawBufferPointer(rebasing: rawLine[range]), as: UTF8.self)))
            }
        }

        private mutating func set(_ field: Field, _ fingerprint: UInt32) {
            present |= 1 << UInt8(field.rawValue)
            switch field {
            case .transactionID: fingerprints.0 = fingerprint
            case .customerCode: fingerprints.1 = fingerprint
            case .requestID: fingerprints.2 = fingerprint
            case .correlationID: fingerprints.3 = fingerprint
            }
        }

        package func fingerprint(_ field: Field) -> UInt32? {
            guard present & (1 << UInt8(field.rawValue)) != 0 else { return nil }
            switch field {
            case .transactionID: return fingerprints.0
            case .customerCode: return fingerprints.1
            case .requestID: return fingerprints.2
            case .correlationID: return fingerprints.3
            }
        }

        package static func == (a: RecordKeys, b: RecordKeys) -> Bool {
            a.present == b.present && a.timestamp == b.timestamp && a.fingerprints == b.fingerprints
        }

        package func hash(into hasher: inout Hasher) {
            hasher.combine(present)
            hasher.combine(timestamp)
            hasher.combine(fingerprints.0)
            hasher.combine(fingerprints.2)
        }
    }

    /// One block (gzip member) of the segment, as the index describes it.
    package struct Block: Sendable, Hashable {
        package var offset: Int
        /// Compressed length: the member ends at `offset + length`.
        package var length: Int
        package var count: Int
        package var firstSeq: UInt64
        /// Earliest and latest event time of the block's records, in microseconds since the epoch.
        package var minTimestamp: Int64
        package var maxTimestamp: Int64

        package init(offset: Int, length: Int, count: Int, firstSeq: UInt64, minTimestamp: Int64, maxTimestamp: Int64) {
            self.offset = offset
            self.length = length
            self.count = count
            self.firstSeq = firstSeq
            self.minTimestamp = minTimestamp
            self.maxTimestamp = maxTimestamp
        }
    }

    /// The file name of segment `number`'s index.
    package static func fileName(_ number: UInt64) -> String { StoreLayout.baseName(number) + fileSuffix }
}
