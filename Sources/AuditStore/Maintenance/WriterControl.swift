import AuditCrypto
import AuditModel

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Seals the open segment and appends auditq's own records for an erasure or retention run: through
/// the running writer when there is one (a request in `DIR/requests/`, answered within
/// ``timeout``), otherwise through a writer opened for the purpose and closed again.
package struct WriterControl: Sendable {
    package let layout: StoreLayout
    package let key: SigningKey
    /// How long to wait for a running writer's answer.
    package var timeout: Double = 30

    package init(layout: StoreLayout, key: SigningKey) {
        self.layout = layout
        self.key = key
    }

    /// Seals the open segment, so every record so far is in a sealed segment.
    ///
    /// - Returns: the newest sealed segment and its last sequence number (0, 0 for an empty store).
    package func sealOpenSegment() throws(AuditStoreError) -> (segment: UInt64, lastSeq: UInt64) {
        if let writer = try openWriter() {
            let sealed = try writer.sealOpenSegment()
            try writer.close()
            return sealed
        }
        let response = try request(["kind": "seal"])
        guard let segment = response["segment"]?.integerValue, let last = response["last_seq"]?.integerValue else {
            throw AuditStoreError(.corrupt, "the writer's answer to a seal request lacks 'segment' or 'last_seq'", path: layout.requestsDirectory)
        }
        return (UInt64(segment), UInt64(last))
    }

    /// Appends an auditq record (source `auditq`) durably; returns its sequence number.
    package func append(action: String, level: String, message: String, metadata: JSONObject) throws(AuditStoreError) -> UInt64 {
        if let writer = try openWriter() {
            let seq = try writer.appendDurably(writer.systemEvent(action: action, level: level, message: message, metadata: metadata))
            try writer.close()
            return seq
        }
        let response = try request(["kind": "append", "action": .string(action), "level": .string(level), "message": .string(message), "metadata": .object(metadata)])
        guard let seq = response["seq"]?.integerValue else {
            throw AuditStoreError(.corrupt, "the writer's answer to an append request lacks 'seq'", path: layout.requestsDirectory)
        }
        return UInt64(seq)
    }

    /// A writer of our own, or nil when another process is writing the store.
    private func openWriter() throws(AuditStoreError) -> StoreWriter? {
        do {
            return try StoreWriter(path: layout.root, key: key)
        } catch where error.code == .locked {
            return nil
        }
    }

    /// The bytes of a request file: `body` (its `kind` and arguments) as an `auditq-writer-request`
    /// version 1, JCS and a newline. See `docs/formats.md` § Writer requests.
    package static func requestDocument(_ body: JSONObject, deadline: Timestamp) -> [UInt8] {
        var document = body
        document["format"] = "auditq-writer-request"
        document["version"] = 1
        document["deadline"] = .string(deadline.description)
        return CanonicalJSON.encode(.object(document)) + [0x0A]
    }

    private func request(_ body: JSONObject) throws(AuditStoreError) -> JSONObject {
        try FileSystem.createDirectory(layout.requestsDirectory)
        let id = "\(Timestamp.now().microsecondsSinceEpoch)-\(getpid())-" + Hex.encode(SecureRandom.bytes(count: 4))
        let requestPath = FileSystem.join(layout.requestsDirectory, id + StoreWriter.requestSuffix)
        let responsePath = FileSystem.join(layout.requestsDirectory, id + StoreWriter.responseSuffix)
        // The writer ignores (and deletes) a request past its deadline: the requester has given up by then,
        // and the request must not be carried out behind its back.
        let wallDeadline = Timestamp(microsecondsSinceEpoch: Timestamp.now().microsecondsSinceEpoch + Int64(timeout * 1e6))
        try FileSystem.writeAtomically(WriterControl.requestDocument(body, deadline: wallDeadline), to: requestPath)
        defer {
            try? FileSystem.remove(requestPath)
            try? FileSystem.remove(responsePath)
        }
        let deadline = monotonicSeconds() + timeout
        while !FileSystem.exists(responsePath) {
            guard monotonicSeconds() < deadline else {
                throw AuditStoreError(
                    .locked,
                    "another process is writing the store but did not answer a \(body["kind"]?.stringValue ?? "") request within \(Int(timeout)) s (a writer from a version without requests, or a stalled one); stop it and rerun",
                    path: layout.root
                )
            }
            usleep(10_000)
        }
        let bytes = try FileSystem.readFile(responsePath)
        guard case .object(let response)? = try? JSONParser().parse(bytes) else {
            throw AuditStoreError(.corrupt, "the writer's answer is not JSON", path: responsePath)
        }
        guard response["ok"] == .bool(true) else {
            throw AuditStoreError(.io, "the running writer refused the request: \(response["error"]?.stringValue ?? "no reason given")", path: layout.root)
        }
        return response
    }
}
