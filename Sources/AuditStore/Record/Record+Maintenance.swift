import AuditCrypto
import AuditModel

/// What erasure and expiry do to a stored record. Both leave its digest unchanged, so the chain, the
/// block chain heads and the Merkle root still verify. See `docs/formats.md` § Erasure and expiry.
extension Record {
    /// The digest an expired record keeps in place of its content.
    package var expiredDigest: SHA256Digest? {
        guard let hex = object[Key.expired]?.objectValue?["digest"]?.stringValue else { return nil }
        return SHA256Digest(hex: hex)
    }

    /// Why an expired record lost its content: `(policy, category)`.
    package var expiry: (policy: String, category: String)? {
        guard let expired = object[Key.expired]?.objectValue,
            let policy = expired["policy"]?.stringValue, let category = expired["category"]?.stringValue
        else { return nil }
        return (policy, category)
    }

    /// The event time: the event's `ts`, or an expired record's `ts`.
    package var timestamp: Timestamp? {
        let text = expiredDigest != nil ? object[Key.timestamp]?.stringValue : event[Key.timestamp]?.stringValue
        return text.flatMap { Timestamp(rfc3339: $0) }
    }

    /// The erased values: path → reference of the request that erased it.
    package var erasedReferences: [String: String] {
        var result: [String: String] = [:]
        for member in object[Key.erased]?.objectValue?.members ?? [] {
            result[member.key] = member.value.objectValue?["ref"]?.stringValue ?? ""
        }
        return result
    }

    /// The personal-data paths whose values are still present.
    package var presentPersonalDataPaths: [String] {
        let erased = object[Key.erased]?.objectValue
        return personalDataPaths.filter { erased?[$0] == nil }
    }

    /// This record with the values at `paths` erased under `reference`: each value is removed and its
    /// commitment kept in `erased`; because the record's leaf key is about to be removed from the salt
    /// tree, every personal-data value that stays gets its salt in `salts`.
    ///
    /// - Parameter leafKey: the record's leaf key before the erasure (nil if it was removed earlier, in
    ///   which case every remaining value already has an explicit salt).
    package func erasing(_ paths: [String], reference: String, leafKey: SHA256Digest?) throws(RecordError) -> Record {
        var object = self.object
        var event = self.event
        var erased = object[Key.erased]?.objectValue ?? JSONObject()
        var salts = object[Key.salts]?.objectValue ?? JSONObject()
        for path in personalDataPaths where erased[path] == nil {
            guard let value = JSONValue.object(event)[path: path] else {
                throw RecordError("record \(seq): personal-data value at '\(path)' is missing and not marked erased")
            }
            let salt: SHA256Digest
            if let hex = salts[path]?.stringValue {
                guard let explicit = SHA256Digest(hex: hex) else { throw RecordError("record \(seq): salt for '\(path)' is not 64 hex digits") }
                salt = explicit
            } else if let leafKey {
                salt = SaltTree.salt(leafKey: leafKey, path: path)
            } else {
                throw RecordError("record \(seq): no salt for the personal-data value at '\(path)'")
            }
            if paths.contains(path) {
                erased[path] = ["commitment": .string(Record.commitment(salt: salt, value: value).hex), "ref": .string(reference)]
                salts[path] = nil
                event.removeValue(atPath: path)
            } else {
                salts[path] = .string(salt.hex)
            }
        }
        object[Key.event] = .object(event)
        object[Key.erased] = erased.isEmpty ? nil : .object(erased)
        object[Key.salts] = salts.isEmpty ? nil : .object(salts)
        return try Record(stored: object)
    }

    /// The stub that replaces a record whose retention ended: its sequence number, its event time and
    /// its digest (so the chain and Merkle tree still verify), and the policy and category that expired it.
    package func expiring(policy: String, category: String, leafKey: SHA256Digest?) throws(RecordError) -> Record {
        let digest = try self.digest(leafKey: leafKey)
        guard let ts = timestamp else { throw RecordError("record \(seq) has no valid ts to keep") }
        var stub = JSONObject()
        stub[Key.version] = .number(Double(Record.version))
        stub[Key.seq] = .number(Double(seq))
        stub[Key.timestamp] = .string(ts.description)
        stub[Key.expired] = ["category": .string(category), "digest": .string(digest.hex), "policy": .string(policy)]
        return try Record(stored: stub)
    }

    static func checkExpiredStub(_ object: JSONObject, _ expired: JSONValue) throws(RecordError) {
        guard let entry = expired.objectValue, entry["digest"]?.stringValue.flatMap(SHA256Digest.init(hex:)) != nil,
            entry["policy"]?.stringValue != nil, entry["category"]?.stringValue != nil
        else {
            throw RecordError("member 'expired' must hold 'digest' (64 hex digits), 'policy' and 'category'")
        }
        let allowed: Set<String> = [Key.version, Key.seq, Key.timestamp, Key.expired]
        if let extra = object.keys.first(where: { !allowed.contains($0) }) {
            throw RecordError("an expired record has only 'v', 'seq', 'ts' and 'expired'; found '\(extra)'")
        }
        guard object[Key.timestamp]?.stringValue.flatMap({ Timestamp(rfc3339: $0) }) != nil else {
            throw RecordError("member 'ts' of an expired record is missing or not an RFC 3339 time")
        }
    }
}

extension JSONObject {
    /// Removes the value at a dotted path (parents stay, possibly empty).
    package mutating func removeValue(atPath path: String) {
        guard let dot = path.firstIndex(of: ".") else {
            self[path] = nil
            return
        }
        let head = String(path[..<dot])
        guard var child = self[head]?.objectValue else { return }
        child.removeValue(atPath: String(path[path.index(after: dot)...]))
        self[head] = .object(child)
    }
}
