import AuditCrypto
import AuditModel
import AuditStore

/// Checks an evidence bundle offline: every manifest's signature against the trusted keys, and every
/// record against its manifest's Merkle root through its inclusion proof, recomputing the record's
/// digest from its own line and salts. Nothing in the bundle is trusted before it is checked.
public struct BundleVerifier: Sendable {
    public let trustedKeys: [Ed25519.PublicKey]

    public init(trustedKeys: [Ed25519.PublicKey]) {
        self.trustedKeys = trustedKeys
    }

    public struct Report: Sendable {
        public var findings: [Finding] = []
        public var recordsProven = 0
        public var storeID: String?
        public var isIntact: Bool { !findings.contains { $0.severity == .error } }
    }

    public func verify(bundle bytes: [UInt8]) -> Report {
        var report = Report()
        let bundle: EvidenceBundle
        do {
            bundle = try EvidenceBundle(bytes: bytes)
        } catch {
            report.findings.append(Finding(.malformedDocument, .error, "\(error)"))
            return report
        }
        report.storeID = bundle.storeID
        let keys = Dictionary(trustedKeys.map { ($0.keyID, $0) }, uniquingKeysWith: { a, _ in a })
        var manifests: [UInt64: SegmentManifest] = [:]
        for (number, signed) in bundle.manifests.sorted(by: { $0.key < $1.key }) {
            guard let manifest = try? SegmentManifest(bytes: signed.bytes) else {
                report.findings.append(Finding(.malformedDocument, segment: number, "the bundle's manifest for segment \(number) is not a manifest"))
                continue
            }
            guard let key = keys[manifest.keyID] else {
                report.findings.append(Finding(.untrustedKey, segment: number, "manifest of segment \(number) is signed by key \(manifest.keyID), which is not trusted"))
                continue
            }
            guard key.isValidSignature(signed.signature, for: signed.bytes) else {
                report.findings.append(Finding(.signatureInvalid, segment: number, "manifest of segment \(number): the signature does not verify"))
                continue
            }
            guard manifest.segment == number, manifest.storeID == bundle.storeID else {
                report.findings.append(Finding(.manifestMismatch, segment: number, "the manifest filed under segment \(number) is for store \(manifest.storeID.prefix(8))… segment \(manifest.segment)"))
                continue
            }
            manifests[number] = manifest
        }
        for entry in bundle.entries {
            let place = entry.seq...entry.seq
            guard let manifest = manifests[entry.segment] else {
                report.findings.append(Finding(.missingFile, segment: entry.segment, seqRange: place, "record \(entry.seq) refers to segment \(entry.segment), whose manifest is missing or did not verify"))
                continue
            }
            guard (manifest.firstSeq...manifest.lastSeq).contains(entry.seq), entry.leafIndex == Int(entry.seq - manifest.firstSeq) else {
                report.findings.append(Finding(.sequenceBroken, segment: entry.segment, seqRange: place, "record \(entry.seq) is not at leaf \(entry.leafIndex) of segment \(entry.segment)"))
                continue
            }
            let digest: SHA256Digest
            do {
                digest = try EvidenceBundle.digest(of: entry)
            } catch {
                report.findings.append(Finding(.recordAltered, segment: entry.segment, seqRange: place, "record \(entry.seq): \(error)"))
                continue
            }
            guard MerkleTree.verifyInclusion(leafHash: MerkleTree.leafHash(digest), index: entry.leafIndex, treeSize: manifest.recordCount, proof: entry.proof, root: manifest.merkleRoot) else {
                report.findings.append(Finding(.recordAltered, segment: entry.segment, seqRange: place, "record \(entry.seq) is not the record the signed manifest's Merkle root includes at that position"))
                continue
            }
            report.recordsProven += 1
        }
        return report
    }
}
