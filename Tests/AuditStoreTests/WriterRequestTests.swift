import AuditModel
import AuditTestSupport
import Foundation
import Testing
@testable import AuditStore

#if canImport(Glibc)
import Glibc
#endif

/// Requests to a running writer (`docs/formats.md` § Writer requests): the files another process
/// writes and the writer's answers, against `schemas/writer-request.schema.json` and
/// `schemas/writer-response.schema.json`.
@Suite("Writer requests")
struct WriterRequestTests {
    /// Writes `body` as WriterControl does and waits for the running writer's response.
    static func ask(_ layout: StoreLayout, _ body: JSONObject, id: String) throws -> (request: [UInt8], response: [UInt8]) {
        let request = WriterControl.requestDocument(body, deadline: Timestamp(microsecondsSinceEpoch: Timestamp.now().microsecondsSinceEpoch + 60_000_000))
        try FileSystem.createDirectory(layout.requestsDirectory)
        try FileSystem.writeAtomically(request, to: FileSystem.join(layout.requestsDirectory, id + StoreWriter.requestSuffix))
        let responsePath = FileSystem.join(layout.requestsDirectory, id + StoreWriter.responseSuffix)
        for _ in 0..<1000 where !FileSystem.exists(responsePath) { usleep(10_000) }
        return (request, try FileSystem.readFile(responsePath))
    }

    static func object(_ bytes: [UInt8]) throws -> JSONObject {
        guard case .object(let o) = try JSONParser().parse(bytes) else { throw RecordError("not an object") }
        return o
    }

    @Test("seal and append requests and the writer's answers validate against their schemas")
    func requestsAndResponses() throws {
        let dir = TemporaryDirectory()
        let layout = StoreLayout(root: dir.child("store"))
        let writer = try StoreWriter(path: layout.root, key: Fixtures.key(), configuration: Fixtures.configuration { $0.requestPollInterval = 0.01 })
        defer { try? writer.close() }
        for n in 1...5 { try writer.appendDurably(Fixtures.event(n)) }

        let seal = try Self.ask(layout, ["kind": "seal"], id: "1-seal")
        #expect(try SchemaValidation.validate(seal.request, schema: "writer-request") == nil)
        #expect(try SchemaValidation.validate(seal.response, schema: "writer-response") == nil)
        let sealed = try Self.object(seal.response)
        #expect(sealed["ok"] == true && sealed["segment"] == 1 && sealed["last_seq"] == 5)
        #expect(FileSystem.exists(layout.manifest(1)))

        let append = try Self.ask(layout, ["kind": "append", "action": "auditq.test.marker", "level": "notice", "message": "marker", "metadata": ["n": 1]], id: "2-append")
        #expect(try SchemaValidation.validate(append.request, schema: "writer-request") == nil)
        #expect(try SchemaValidation.validate(append.response, schema: "writer-response") == nil)
        #expect(try Self.object(append.response)["seq"] == 6)

        // A request the writer refuses: an event it cannot store (an empty level) is answered, not fatal.
        let refused = try Self.ask(layout, ["kind": "append", "action": "auditq.test.marker", "level": "", "message": "m", "metadata": [:]], id: "3-bad")
        #expect(try SchemaValidation.validate(refused.response, schema: "writer-response") == nil)
        #expect(try Self.object(refused.response)["ok"] == false)
        #expect(try writer.appendDurably(Fixtures.event(7)) == 7)
    }

    @Test("the request and response schemas reject a wrong member")
    func schemasReject() throws {
        // Only auditq's own actions may be appended, and a seal takes no arguments.
        #expect(try SchemaValidation.validate(WriterControl.requestDocument(["kind": "append", "action": "payment.capture", "level": "info", "message": "m", "metadata": [:]], deadline: .now()), schema: "writer-request") != nil)
        #expect(try SchemaValidation.validate(WriterControl.requestDocument(["kind": "seal", "segment": 3], deadline: .now()), schema: "writer-request") != nil)
        #expect(try SchemaValidation.validate(#"{"format":"auditq-writer-response","version":1,"ok":true,"error":"no"}"#, schema: "writer-response") != nil)
        #expect(try SchemaValidation.validate(#"{"format":"auditq-writer-response","version":1,"ok":true,"seq":0}"#, schema: "writer-response") != nil)
    }
}
