import AuditCrypto
import Testing
@testable import AuditStore

@Suite("Merkle tree (RFC 6962)")
struct MerkleTreeTests {
    func leaves(_ n: Int) -> [SHA256Digest] {
        (0..<n).map { MerkleTree.leafHash(SHA256.hash("record \($0)")) }
    }

    @Test("incremental root equals the recursive definition for 0 to 70 leaves")
    func incrementalMatchesRecursive() {
        for n in 0...70 {
            var builder = MerkleTree.Builder()
            for i in 0..<n { builder.append(recordDigest: SHA256.hash("record \(i)")) }
            #expect(builder.root == MerkleTree.root(leafHashes: leaves(n)[...]), "n = \(n)")
        }
    }

    @Test("leaves merged in batches give the recursive root at every size, across flushes, with roots read in between")
    func batchedMatchesRecursive() {
        let all = leaves(3 * MerkleTree.Builder.flushThreshold + 77)
        // Sizes around each flush, odd and power-of-two sizes, and the end.
        var checks: Set<Int> = [1, 2, 3, 255, 256, 257, 511, 512, 513, 768, 1000, 1024, all.count]
        for k in 1...3 { checks.formUnion([k * MerkleTree.Builder.flushThreshold - 1, k * MerkleTree.Builder.flushThreshold, k * MerkleTree.Builder.flushThreshold + 1]) }
        var builder = MerkleTree.Builder()
        for (i, leaf) in all.enumerated() {
            builder.append(leafHash: leaf)
            if checks.contains(i + 1) {
                #expect(builder.root == MerkleTree.root(leafHashes: all[..<(i + 1)]), "n = \(i + 1)")
                #expect(builder.count == i + 1)
            }
        }
        // Leaves started after an odd number already merged: a subtree of every size on the stack.
        var odd = MerkleTree.Builder()
        let start = 0b1_0110_1011  // 363: subtrees of 256, 64, 32, 8, 2 and 1 leaves
        for leaf in all[..<start] { odd.append(leafHash: leaf) }
        _ = odd.root
        for leaf in all[start...] { odd.append(leafHash: leaf) }
        #expect(odd.root == MerkleTree.root(leafHashes: all[...]))
    }

    @Test("three leaves hash as RFC 6962 says: H(1 ‖ H(1 ‖ a ‖ b) ‖ c)")
    func threeLeaves() {
        let l = leaves(3)
        #expect(MerkleTree.root(leafHashes: l[...]) == MerkleTree.nodeHash(MerkleTree.nodeHash(l[0], l[1]), l[2]))
        #expect(MerkleTree.root(leafHashes: [][...]) == SHA256.hash([UInt8]()))
    }

    @Test("every inclusion proof verifies, and no altered one does")
    func inclusionProofs() {
        for n in [1, 2, 3, 5, 8, 13, 33] {
            let l = leaves(n)
            let root = MerkleTree.root(leafHashes: l[...])
            for i in 0..<n {
                let proof = MerkleTree.inclusionProof(index: i, leafHashes: l[...])
                #expect(MerkleTree.verifyInclusion(leafHash: l[i], index: i, treeSize: n, proof: proof, root: root))
                #expect(!MerkleTree.verifyInclusion(leafHash: SHA256.hash("other"), index: i, treeSize: n, proof: proof, root: root))
                if n > 1 {
                    #expect(!MerkleTree.verifyInclusion(leafHash: l[i], index: (i + 1) % n, treeSize: n, proof: proof, root: root))
                    var bad = proof
                    bad[0] = SHA256.hash("forged")
                    #expect(!MerkleTree.verifyInclusion(leafHash: l[i], index: i, treeSize: n, proof: bad, root: root))
                }
            }
        }
    }

    @Test("the proof tree gives exactly the reference proofs and roots, for every leaf of every size up to 130")
    func proofTree() {
        for n in 1...130 {
            let l = leaves(n)
            let tree = MerkleTree.ProofTree(leafHashes: l)
            #expect(tree.root(start: 0, count: n) == MerkleTree.root(leafHashes: l[...]), "n = \(n)")
            for i in 0..<n {
                #expect(tree.inclusionProof(index: i) == MerkleTree.inclusionProof(index: i, leafHashes: l[...]), "n = \(n), leaf \(i)")
            }
        }
    }
}

@Suite("Salt tree (puncturable GGM)")
struct SaltTreeTests {
    let root = SHA256.hash("root key")

    @Test("the sequential deriver gives the same leaf keys as walking the tree")
    func sequentialMatchesTree() {
        let tree = SaltTree(rootKey: root)
        var deriver = SaltTree.SequentialDeriver(rootKey: root)
        for i in [0, 1, 2, 3, 255, 256, 257, 65_535, 65_536, 1_000_000, SaltTree.capacity - 1] {
            #expect(deriver.leafKey(i) == tree.leafKey(i))
        }
    }

    @Test("leaf keys of a range, a level at a time, equal the tree's, and the deriver goes on from them")
    func rangesMatchTree() {
        let tree = SaltTree(rootKey: root)
        var deriver = SaltTree.SequentialDeriver(rootKey: root)
        var batch = SHA256Batch()
        var keys: [SHA256Digest] = []
        // Consecutive ranges as a writer asks for them, across power-of-two boundaries, then jumps.
        let ranges = [0..<1, 1..<33, 33..<64, 64..<65, 65..<300, 300..<300, 1000..<1100, 65_500..<65_600, SaltTree.capacity - 40..<SaltTree.capacity]
        for range in ranges {
            #expect(deriver.leafKeys(range, batch: &batch, into: &keys))
            #expect(keys == range.map { tree.leafKey($0)! }, "\(range)")
            if range.upperBound < SaltTree.capacity {
                #expect(deriver.leafKey(range.upperBound) == tree.leafKey(range.upperBound), "after \(range)")
            }
        }
        #expect(!deriver.leafKeys(SaltTree.capacity - 1..<SaltTree.capacity + 1, batch: &batch, into: &keys))

        // A punctured tree: ranges inside one covering node, and ranges that reach a punctured leaf.
        var punctured = tree
        punctured.puncture(100)
        var partial = SaltTree.SequentialDeriver(tree: punctured)
        // Puncturing 100 leaves nodes over 101, 102–103, 96–99, 104–111, 112–127, 64–95, 0–63, 128–255, …
        #expect(partial.leafKeys(104..<112, batch: &batch, into: &keys))
        #expect(keys == (104..<112).map { tree.leafKey($0)! })
        #expect(partial.leafKeys(128..<256, batch: &batch, into: &keys))
        #expect(keys == (128..<256).map { tree.leafKey($0)! })
        #expect(!partial.leafKeys(101..<104, batch: &batch, into: &keys), "two covering nodes: the caller goes leaf by leaf")
        #expect(!partial.leafKeys(96..<101, batch: &batch, into: &keys), "a punctured leaf")
        #expect(partial.leafKeyIfPresent(99) == tree.leafKey(99))
        #expect(partial.leafKeyIfPresent(100) == nil)
    }

    @Test("puncturing removes exactly the punctured leaves")
    func puncture() {
        var tree = SaltTree(rootKey: root)
        let original = SaltTree(rootKey: root)
        let punctured: Set<Int> = [0, 7, 8, 1023, 4096, 4097, 100_000]
        for i in punctured { tree.puncture(i) }
        for i in Array(0..<2048) + [4095, 4096, 4097, 4098, 99_999, 100_000, 100_001] {
            if punctured.contains(i) {
                #expect(tree.leafKey(i) == nil)
            } else {
                #expect(tree.leafKey(i) == original.leafKey(i))
            }
        }
        // No stored node is an ancestor of (or equal to) a punctured leaf.
        for i in punctured {
            #expect(!tree.nodes.contains { $0.key == original.leafKey(i) })
        }
        #expect(!tree.nodes.contains { $0.key == root })
    }
}
