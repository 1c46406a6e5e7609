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
    }

    /// Disjoint subtrees that together cover every leaf that has not been punctured, sorted by depth, then prefix.
    package var nodes: [Node] {
        lookup.enumerated().flatMap { depth, keys in keys.map { Node(depth: depth, prefix: $0.key, key: $0.value) } }
            .sorted { ($0.depth, $0.prefix) < ($1.depth, $1.prefix) }
    }
    /// `lookup[depth][prefix]` is the key of the node at that depth and prefix: finding a leaf's covering
    /// node takes at most ``depth`` + 1 probes, and a puncture changes at most ``depth`` + 1 entries,
    /// however often the tree was punctured.
    private var lookup: [[UInt32: SHA256Digest]]

    /// A fresh tree from a random root key.
    package init(rootKey: SHA256Digest) {
        self.init(nodes: [Node(depth: 0, prefix: 0, key: rootKey)])
    }

    package init(nodes: [Node]) {
        var lookup = [[UInt32: SHA256Digest]](repeating: [:], count: SaltTree.depth + 1)
        for node in nodes where node.depth >= 0 && node.depth <= SaltTree.depth { lookup[node.depth][node.prefix] = node.key }
        self.lookup = lookup
    }

    /// How many subtree roots the tree holds (1 until it is punctured).
    package var nodeCount: Int { lookup.reduce(0) { $0 + $1.count } }

    /// The node that covers leaf `index`, if any.
    package func coveringNode(_ index: Int) -> Node? {
        guard index >= 0, index < SaltTree.capacity else { return nil }
        for depth in 0...SaltTree.depth where !lookup[depth].isEmpty {
            let prefix = depth == 0 ? 0 : UInt32(index >> (SaltTree.depth - depth))
            if let key = lookup[depth][prefix] { return Node(depth: depth, prefix: prefix, key: key) }
        }
        return nil
    }

    package static func child(of key: SHA256Digest, bit: UInt8) -> SHA256Digest {
        key.withUnsafeBytes { k in withUnsafeBytes(of: bit) { SHA256.hash(k, $0) } }
    }

    /// The key of leaf `index`, or nil when it was punctured.
    package func leafKey(_ index: Int) -> SHA256Digest? {
        guard let node = coveringNode(index) else { return nil }
        var key = node.key
        for level in node.depth..<SaltTree.depth {
            let bit = UInt8((index >> (SaltTree.depth - 1 - level)) & 1)
            key = SaltTree.child(of: key, bit: bit)
        }
        return key
    }

    /// Removes the ability to derive leaf `index`, keeping every other leaf derivable.
    package mutating func puncture(_ index: Int) {
        guard let node = coveringNode(index) else { return }
        lookup[node.depth][node.prefix] = nil
        var key = node.key
        var prefix = node.prefix
        for level in node.depth..<SaltTree.depth {
            let bit = UInt32((index >> (SaltTree.depth - 1 - level)) & 1)
            lookup[level + 1][prefix << 1 | (1 - bit)] = SaltTree.child(of: key, bit: UInt8(1 - bit))
            key = SaltTree.child(of: key, bit: UInt8(bit))
            prefix = prefix << 1 | bit
        }
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
        private let tree: SaltTree?
        private var path: [SHA256Digest]
        private var lastIndex: Int?
        /// The depth of the node `path` starts from (0 for an unpunctured tree).
        private var nodeDepth = 0

        package init(rootKey: SHA256Digest) {
            self.tree = nil
            self.path = [SHA256Digest](repeating: .zero, count: SaltTree.depth + 1)
            self.path[0] = rootKey
        }

        /// Derives from a tree that may have been punctured; ``leafKey(_:)`` is nil for punctured leaves.
        package init(tree: SaltTree) {
            let root = tree.nodeCount == 1 ? tree.coveringNode(0).flatMap { $0.depth == 0 ? $0.key : nil } : nil
            self.tree = root == nil ? tree : nil
            self.path = [SHA256Digest](repeating: .zero, count: SaltTree.depth + 1)
            if let root { self.path[0] = root }
        }

        /// The key of leaf `index` of an unpunctured tree (the writer's case).
        package mutating func leafKey(_ index: Int) -> SHA256Digest {
            precondition(tree == nil && index >= 0 && index < SaltTree.capacity)
            return derive(index)
        }

        /// The key of leaf `index`, or nil when it is out of range or was punctured.
        package mutating func leafKeyIfPresent(_ index: Int) -> SHA256Digest? {
            guard index >= 0, index < SaltTree.capacity else { return nil }
            guard let tree else { return derive(index) }
            guard let node = tree.coveringNode(index) else { return nil }
            if lastIndex == nil || node.depth != nodeDepth || path[node.depth] != node.key {
                // A different subtree: start over from its root.
                nodeDepth = node.depth
                path[node.depth] = node.key
                lastIndex = nil
            }
            return derive(index)
        }

        /// The keys of the consecutive leaves `range` of an unpunctured tree (the writer's case), or of
        /// a punctured one when one node covers them all: each level below their common ancestor hashed
        /// as one ``SHA256Batch``. The same keys as ``leafKeyIfPresent(_:)`` leaf by leaf; false when
        /// that would give nil for any of them (out of range, punctured), or when two covering nodes share
        /// the range (the caller then goes leaf by leaf; the deriver stays usable).
        package mutating func leafKeys(_ range: Range<Int>, batch: inout SHA256Batch, into keys: inout [SHA256Digest]) -> Bool {
            keys.removeAll(keepingCapacity: true)
            guard !range.isEmpty else { return true }
            let last = range.upperBound - 1
            guard last < SaltTree.capacity else { return false }
            // The first leaf the usual way: that leaves its ancestors in `path`, the common one included.
            guard let first = leafKeyIfPresent(range.lowerBound) else { return false }
            if let tree {
                // The last leaf must be under the node that covers the first.
                guard let node = tree.coveringNode(last), node.depth == nodeDepth, node.key == path[nodeDepth] else { return false }
            }
            guard range.count > 1 else {
                keys.append(first)
                return true
            }
            let common = SaltTree.depth - (Int.bitWidth - (range.lowerBound ^ last).leadingZeroBitCount)
            var level = [path[common]]
            for depth in (common + 1)...SaltTree.depth {
                let shift = SaltTree.depth - depth
                let low = range.lowerBound >> shift, high = last >> shift
                let parentLow = range.lowerBound >> (shift + 1)
                batch.removeAll()
                for node in low...high {
                    level[(node >> 1) - parentLow].withUnsafeBytes { parent in
                        withUnsafeBytes(of: UInt8(node & 1)) { _ = batch.append(parent, $0) }
                    }
                }
                batch.digests(into: &keys)
                swap(&level, &keys)
                path[depth] = level[level.count - 1]
            }
            swap(&level, &keys)
            lastIndex = last
            return true
        }

        private mutating func derive(_ index: Int) -> SHA256Digest {
            var start = nodeDepth
            if let last = lastIndex {
                let changed = last ^ index
                start = max(nodeDepth, changed == 0 ? SaltTree.depth : SaltTree.depth - (Int.bitWidth - changed.leadingZeroBitCount))
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
