import AuditCrypto
import AuditModel

/// `store.json`: what identifies a store and how its records are written.
package struct StoreDescriptor: Sendable, Hashable {
    package static let format = "auditq-store"
    package static let version = 1

    /// Random 128-bit id (32 hex digits), bound into the chain's genesis and every signed document.
    package var storeID: String
    package var created: Timestamp
    /// Event paths whose values are committed to with a salt, so they can be erased later while the
    /// chain still verifies.
    package var personalDataPaths: [String]

    /// Paths treated as personal data when a store is created without a list.
    package static let defaultPersonalDataPaths = [
        "actor.id", "customer_code", "metadata.address", "metadata.date_of_birth", "metadata.email",
        "metadata.ip", "metadata.name", "metadata.phone",
    ]

    package init(storeID: String, created: Timestamp, personalDataPaths: [String]) {
        self.storeID = storeID
        self.created = created
        self.personalDataPaths = personalDataPaths
    }

    package static func new(personalDataPaths: [String] = defaultPersonalDataPaths) -> StoreDescriptor {
        StoreDescriptor(storeID: Hex.encode(SecureRandom.bytes(count: 16)), created: .now(), personalDataPaths: personalDataPaths.sorted())
    }

    package var json: JSONValue {
        [
            "format": .string(StoreDescriptor.format),
            "version": .number(Double(StoreDescriptor.version)),
            "store_id": .string(storeID),
            "created": .string(created.description),
            "personal_data": .array(personalDataPaths.map(JSONValue.string)),
        ]
    }

    package init(json bytes: [UInt8], path: String) throws(AuditStoreError) {
        let value: JSONValue
        do {
            value = try JSONParser().parse(bytes)
        } catch {
            throw AuditStoreError(.notAStore, "not a store descriptor: \(error)", path: path)
        }
        guard let o = value.objectValue, o["format"]?.stringValue == StoreDescriptor.format else {
            throw AuditStoreError(.notAStore, "not a store descriptor (member 'format' is not \"\(StoreDescriptor.format)\")", path: path)
        }
        guard o["version"]?.integerValue == Int64(StoreDescriptor.version) else {
            throw AuditStoreError(.unsupportedVersion, "store format version \(o["version"]?.integerValue.map(String.init) ?? "?") is not supported; this build reads version \(StoreDescriptor.version)", path: path)
        }
        guard let id = o["store_id"]?.stringValue, id.utf8.count == 32, Hex.decode(id) != nil else {
            throw AuditStoreError(.corrupt, "member 'store_id' must be 32 hex digits", path: path)
        }
        guard let createdText = o["created"]?.stringValue, let created = Timestamp(rfc3339: createdText) else {
            throw AuditStoreError(.corrupt, "member 'created' must be an RFC 3339 time", path: path)
        }
        guard let paths = o["personal_data"]?.arrayValue?.compactMap(\.stringValue) else {
            throw AuditStoreError(.corrupt, "member 'personal_data' must be an array of paths", path: path)
        }
        self.init(storeID: id, created: created, personalDataPaths: paths)
    }

    package static func load(_ layout: StoreLayout) throws(AuditStoreError) -> StoreDescriptor {
        guard FileSystem.exists(layout.descriptor) else {
            throw AuditStoreError(.notAStore, "no store here (store.json is missing); create one with 'auditq ingest'", path: layout.root)
        }
        return try StoreDescriptor(json: try FileSystem.readFile(layout.descriptor), path: layout.descriptor)
    }
}
