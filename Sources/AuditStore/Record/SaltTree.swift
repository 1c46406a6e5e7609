import AuditCrypto

/// A puncturable source of per-record salt keys for one segment (a GGM tree of SHA-256).
///
/// Every personal-data value gets its own 256-bit salt, derived from its record's leaf key. Storing a
/// fresh random salt per value would put 16–32 incompressible bytes per value into every record (more
/// than the whole compressed record budget), so a segment instead stores one random 256-bit root key.
/// Leaf `i` (the record at `first_seq + i`) is reached by hashing down the binary tree:
/// `child = SHA-256(parent ‖ bit)` with `bit` = 0x00 (left) or 0x01 (right), from the most significant of
/// ``depth`` bits. Erasing a record's personal data *punctures* the tree: the covering key is replaced
/// by the keys of the sibling subtrees along the path, which derive every other leaf but not that one,
/// so the erased values' salts cannot be recomputed from anything left in the store.
package struct SaltTree: Sendable, Hashable {
    /// Leaves per segment: 2^24 records.
    package static let depth = 24
    package static let capacity = 1 << depth

    /// The root of a subtree: the `depth` most significant index bits equal `prefix`.
    package struct Node: Sendable, Hashable {
        package var depth: Int
        package var prefix: UInt32
        package var key: SHA256Digest

        package init(depth: Int, prefix: UInt32, key: SHA256Digest) {
            self.depth = depth
            self.prefix = prefix
            self.key = key
        }

        func covers(_ index: Int) -> Bool {
            depth == 0 || UInt32(index >> (SaltTree.depth - depth)) == prefix
        }
    }

    /// Disjoint subtrees that together cover every leaf that has not been punctured.
    package private(set) var nodes: [Node]

    /// A fresh tree from a random root key.
    package init(rootKey: SHA256Digest) {
        self.nodes = [Node(depth: 0, prefix: 0, key: rootKey)]
    }

    package init(nodes: [Node]) {
        self.nodes = nodes
    }

    package static func child(of key: SHA256Digest, bit: UInt8) -> SHA256Digest {
        var hasher = SHA256()
        hasher.update(key)
        withUnsafeBytes(of: bit) { hasher.update($0) }
        return hasher.finalize()
    }

    /// The key of leaf `index`, or nil when it was punctured.
    package func leafKey(_ index: Int) -> SHA256Digest? {
        guard index >= 0, index < SaltTree.capacity, let node = nodes.first(where: { $0.covers(index) }) else { return nil }
        var key = node.key
        for level in node.depth..<SaltTree.depth {
            let bit = UInt8((index >> (SaltTree.depth - 1 - level)) & 1)
            key = SaltTree.child(of: key, bit: bit)
        }
        return key
    }

    /// Removes the ability to derive leaf `index`, keeping every other leaf derivable.
    package mutating func puncture(_ index: Int) {
        guard let position = nodes.firstIndex(where: { $0.covers(index) }) else { return }
        let node = nodes.remove(at: position)
        var key = node.key
        var prefix = node.prefix
        var siblings: [Node] = []
        for level in node.depth..<SaltTree.depth {
            let bit = UInt32((index >> (SaltTree.depth - 1 - level)) & 1)
            let sibling = SaltTree.child(of: key, bit: UInt8(1 - bit))
            siblings.append(Node(depth: level + 1, prefix: prefix << 1 | (1 - bit), key: sibling))
            key = SaltTree.child(of: key, bit: UInt8(bit))
            prefix = prefix << 1 | bit
        }
        nodes.append(contentsOf: siblings)
        nodes.sort { ($0.depth, $0.prefix) < ($1.depth, $1.prefix) }
    }

    /// The salt of one personal-data value: `SHA-256(leafKey ‖ 0x02 ‖ UTF-8(path))`.
    package static func salt(leafKey: SHA256Digest, path: String) -> SHA256Digest {
        var hasher = SHA256()
        hasher.update(leafKey)
        withUnsafeBytes(of: UInt8(2)) { hasher.update($0) }
        var path = path
        path.withUTF8 { hasher.update(UnsafeRawBufferPointer($0)) }
        return hasher.finalize()
    }
}

extension SaltTree {
    /// Derives leaf keys for increasing indices, re-hashing only the levels below the highest changed
    /// bit (about two hashes per record instead of ``SaltTree/depth``).
    package struct SequentialDeriver: Sendable {
        private let root: SHA256Digest
        private var path: [SHA256Digest]
        private var lastIndex: Int?

        package init(rootKey: SHA256Digest) {
            self.root = rootKey
            self.path = [SHA256Digest](repeating: .zero, count: SaltTree.depth + 1)
            self.path[0] = rootKey
        }

        package mutating func leafKey(_ index: Int) -> SHA256Digest {
            precondition(index >= 0 && index < SaltTree.capacity)
            var start = 0
            if let last = lastIndex {
                let changed = last ^ index
                start = changed == 0 ? SaltTree.depth : SaltTree.depth - (Int.bitWidth - changed.leadingZeroBitCount)
            }
            for level in start..<SaltTree.depth {
                let bit = UInt8((index >> (SaltTree.depth - 1 - level)) & 1)
                path[level + 1] = SaltTree.child(of: path[level], bit: bit)
            }
            lastIndex = index
            return path[SaltTree.depth]
        }
    }
}
