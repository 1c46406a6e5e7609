import AuditModel
import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Requests from other processes to the running writer, so that an erasure or retention run can work
/// while a writer appends: the writer is the only process that may seal its open segment or append
/// to the chain. A request is a file `DIR/requests/ID.request.json`; the writer answers with
/// `ID.response.json`. See `docs/formats.md` § Writer requests.
extension StoreWriter {
    package static let requestSuffix = ".request.json"
    package static let responseSuffix = ".response.json"

    /// Waits one poll interval and answers the requests waiting; false once the writer is closing.
    func serveRequests() -> Bool {
        let directory = storeLayout.requestsDirectory
        do {
            let stop = state.wait(until: { $0.closing }, timeout: configuration.requestPollInterval) { $0.closing }
            if stop { return false }
            guard FileSystem.isDirectory(directory), let names = try? FileSystem.contents(of: directory) else { return true }
            for name in names.sorted() where name.hasSuffix(StoreWriter.requestSuffix) {
                let path = FileSystem.join(directory, name)
                let responsePath = FileSystem.join(directory, String(name.dropLast(StoreWriter.requestSuffix.count)) + StoreWriter.responseSuffix)
                guard let bytes = try? FileSystem.readFile(path) else { continue }
                if StoreWriter.requestExpired(bytes) {
                    // Its requester gave up (or died): never act on it, and clear it away.
                    try? FileSystem.remove(path)
                    try? FileSystem.remove(responsePath)
                    continue
                }
                guard !FileSystem.exists(responsePath) else { continue }
                var response: JSONObject = ["format": "auditq-writer-response", "version": 1]
                do throws(AuditStoreError) {
                    for member in try answer(bytes).members { response[member.key] = member.value }
                    response["ok"] = true
                } catch {
                    response["ok"] = false
                    response["error"] = .string(error.message)
                }
                try? FileSystem.writeAtomically(CanonicalJSON.encode(.object(response)) + [0x0A], to: responsePath)
            }
        }
        return true
    }

    /// Whether a request's `deadline` has passed (an unreadable request has none and is answered with an error).
    static func requestExpired(_ bytes: [UInt8]) -> Bool {
        guard case .object(let request)? = try? JSONParser().parse(bytes),
            let deadline = request["deadline"]?.stringValue.flatMap(Timestamp.init(rfc3339:))
        else { return false }
        return Timestamp.now() > deadline
    }

    private func answer(_ bytes: [UInt8]) throws(AuditStoreError) -> JSONObject {
        guard case .object(let request)? = try? JSONParser().parse(bytes), request["format"]?.stringValue == "auditq-writer-request",
            request["version"]?.integerValue == 1
        else {
            throw AuditStoreError(.invalidRequest, "not an auditq-writer-request version 1")
        }
        switch request["kind"]?.stringValue {
        case "seal":
            let (segment, lastSeq) = try sealOpenSegment()
            return ["segment": .number(Double(segment)), "last_seq": .number(Double(lastSeq))]
        case "append":
            guard let action = request["action"]?.stringValue, action.hasPrefix("auditq."), let message = request["message"]?.stringValue,
                let level = request["level"]?.stringValue, let metadata = request["metadata"]?.objectValue
            else {
                throw AuditStoreError(.invalidRequest, "an append request needs 'action' (auditq.*), 'level', 'message' and 'metadata'")
            }
            let event: AuditEvent
            do {
                event = try checkedSystemEvent(action: action, level: level, message: message, metadata: metadata)
            } catch {
                throw AuditStoreError(.invalidRequest, "the append request's event is invalid: \(error)")
            }
            return ["seq": .number(Double(try appendDurably(event)))]
        default:
            throw AuditStoreError(.invalidRequest, "unknown request kind \(request["kind"].map { "\($0)" } ?? "(none)")")
        }
    }

    /// Seals the open segment if it holds records and waits until its manifest is in place.
    ///
    /// - Returns: the newest sealed segment and the last sequence number in it (0, 0 for an empty store).
    package func sealOpenSegment() throws(AuditStoreError) -> (segment: UInt64, lastSeq: UInt64) {
        let sealing: Result<(UInt64, UInt64), AuditStoreError> = state.withLock { s in
            if let failure = s.failure { return .failure(failure) }
            let open = s.segment.header.segment
            if s.segment.count > 0 {
                rotate(&s)
                return .success((open, s.nextSeq - 1))
            }
            return .success((open - 1, s.nextSeq - 1))
        }
        let (segment, lastSeq) = try sealing.get()
        state.broadcast()
        guard segment >= 1 else { return (0, lastSeq) }
        try waitUntilDurable(lastSeq)
        let deadline = monotonicSeconds() + 60
        while !FileSystem.exists(storeLayout.manifest(segment)) {
            if let failure = self.failure { throw failure }
            guard monotonicSeconds() < deadline else {
                throw AuditStoreError(.io, "segment \(segment) was not sealed within 60 s", path: storeLayout.root)
            }
            usleep(5_000)
        }
        return (segment, lastSeq)
    }
}
