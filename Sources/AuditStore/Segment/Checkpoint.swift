import AuditCrypto
import AuditModel

/// A signed statement of the store's head: the last durable record, its chain hash, and how many bytes
/// of the open segment hold it. Written at least once a second while events arrive, on an idle
/// interval, at every seal and at shutdown (`clean_shutdown`). Saved elsewhere (from `auditq head`) it
/// lets a verifier prove that the store still contains and extends that head.
///
/// Stored as canonical JSON with a `signature` member: the Ed25519 signature (base64) over the RFC 8785
/// bytes of the object without `signature`.
package struct Checkpoint: Sendable, Hashable {
    package static let format = "auditq-checkpoint"
    package static let version = 1

    package var storeID: String
    /// The segment that holds record `seq`.
    package var segment: UInt64
    package var seq: UInt64
    package var chainHead: SHA256Digest
    /// Durable length of the segment file covered by this checkpoint.
    package var segmentBytes: Int
    /// Whether the segment was sealed at this point.
    package var sealed: Bool
    /// Written by an orderly shutdown: no crash recovery is expected after it.
    package var cleanShutdown: Bool
    package var time: Timestamp
    package var keyID: String
    package var signature: [UInt8]

    package init(
        storeID: String, segment: UInt64, seq: UInt64, chainHead: SHA256Digest, segmentBytes: Int, sealed: Bool,
        cleanShutdown: Bool, time: Timestamp, keyID: String, signature: [UInt8] = []
    ) {
        self.storeID = storeID
        self.segment = segment
        self.seq = seq
        self.chainHead = chainHead
        self.segmentBytes = segmentBytes
        self.sealed = sealed
        self.cleanShutdown = cleanShutdown
        self.time = time
        self.keyID = keyID
        self.signature = signature
    }

    package var body: JSONObject {
        let value: JSONValue = [
            "format": .string(Checkpoint.format),
            "version": .number(Double(Checkpoint.version)),
            "store_id": .string(storeID),
            "segment": .number(Double(segment)),
            "seq": .number(Double(seq)),
            "chain_head": .string(chainHead.hex),
            "segment_bytes": .number(Double(segmentBytes)),
            "sealed": .bool(sealed),
            "clean_shutdown": .bool(cleanShutdown),
            "time": .string(time.description),
            "key_id": .string(keyID),
        ]
        return value.objectValue!
    }

    /// The bytes that are signed.
    package var signedBytes: [UInt8] { CanonicalJSON.encode(.object(body)) }

    /// The stored document: body plus `signature`.
    package var documentBytes: [UInt8] {
        var document = body
        document["signature"] = .string(Base64.encode(signature))
        return CanonicalJSON.encode(.object(document)) + [0x0A]
    }

    package init(bytes: [UInt8]) throws(RecordError) {
        let value: JSONValue
        do {
            value = try JSONParser().parse(bytes)
        } catch {
            throw RecordError("checkpoint is not valid JSON: \(error)")
        }
        guard let o = value.objectValue, o["format"]?.stringValue == Checkpoint.format else {
            throw RecordError("not a checkpoint (member 'format' is not \"\(Checkpoint.format)\")")
        }
        guard o["version"]?.integerValue == Int64(Checkpoint.version) else {
            throw RecordError("checkpoint version \(o["version"]?.integerValue.map(String.init) ?? "?") is not supported")
        }
        guard let storeID = o["store_id"]?.stringValue,
            let segment = o["segment"]?.integerValue, segment >= 0,
            let seq = o["seq"]?.integerValue, seq >= 0,
            let headText = o["chain_head"]?.stringValue, let head = SHA256Digest(hex: headText),
            let bytesCount = o["segment_bytes"]?.integerValue, bytesCount >= 0,
            case .bool(let sealed)? = o["sealed"],
            case .bool(let clean)? = o["clean_shutdown"],
            let timeText = o["time"]?.stringValue, let time = Timestamp(rfc3339: timeText),
            let keyID = o["key_id"]?.stringValue,
            let signatureText = o["signature"]?.stringValue, let signature = Base64.decode(signatureText)
        else {
            throw RecordError("checkpoint lacks a required member or has one of the wrong type")
        }
        self.init(
            storeID: storeID, segment: UInt64(segment), seq: UInt64(seq), chainHead: head, segmentBytes: Int(bytesCount),
            sealed: sealed, cleanShutdown: clean, time: time, keyID: keyID, signature: signature
        )
    }
}
