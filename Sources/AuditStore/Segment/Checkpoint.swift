import AuditCrypto
import AuditModel

/// A signed statement of the store's head: the last durable record, its chain hash, and how many bytes
/// of the open segment hold it. Written at least once a second while events arrive, on an idle
/// interval, at every seal and at shutdown (`clean_shutdown`). Saved elsewhere (from `auditq head`) it
/// lets a verifier prove that the store still contains and extends that head.
///
/// Stored as canonical JSON with a `signature` member: the Ed25519 signature (base64) over the RFC 8785
/// bytes of the object without `signature`.
package struct Checkpoint: KeySigned, Sendable, Hashable {
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
    package var signedBytes: [UInt8] { document.signedBytes }

    /// The stored document: body plus `signature`.
    package var documentBytes: [UInt8] { document.documentBytes }

    package init(bytes: [UInt8]) throws(RecordError) {
        let document = try SignedDocument(bytes: bytes, format: Checkpoint.format, version: Checkpoint.version, what: "checkpoint")
        let r = SignedDocument.Reader(document.body, what: "checkpoint")
        self.init(
            storeID: try r.string("store_id"), segment: try r.integer("segment"), seq: try r.integer("seq"), chainHead: try r.digest("chain_head"),
            segmentBytes: Int(try r.integer("segment_bytes")), sealed: try r.bool("sealed"), cleanShutdown: try r.bool("clean_shutdown"),
            time: try r.timestamp("time"), keyID: try r.string("key_id"), signature: document.signature
        )
    }
}
