/// A JSON object whose members are kept in RFC 8785 order (keys sorted by UTF-16 code units) with
/// unique keys, so that canonical serialisation never has to sort.
public struct JSONObject: Sendable, Hashable {
    /// One key and its value.
    public struct Member: Sendable, Hashable {
        public var key: String
        public var value: JSONValue

        public init(key: String, value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    /// The members in canonical key order.
    public private(set) var members: [Member]

    public init() {
        self.members = []
    }

    /// Members that are already sorted and unique (the parser's output, or a fixed set of names written
    /// in order); checked in debug builds.
    package init(sortedUniqueMembers: [Member]) {
        assert(zip(sortedUniqueMembers, sortedUniqueMembers.dropFirst()).allSatisfy { JSONObject.precedes($0.key, $1.key) })
        self.members = sortedUniqueMembers
    }

    /// An object from members in any order; when a key repeats, the last member with it wins, as when
    /// the members are set one after another.
    ///
    /// Sorts once instead of inserting each member in place (objects are built this way per log event).
    package init(members: [Member]) {
        guard members.count > 1 else {
            self.init(sortedUniqueMembers: members)
            return
        }
        guard members.allSatisfy({ JSONObject.isASCII($0.key) }) else {
            // `==` on other keys is canonical equivalence, which byte order does not keep adjacent.
            self.init()
            for member in members { self[member.key] = member.value }
            return
        }
        var sorted = members
        // `sort` is stable: members with equal keys stay in input order, so the last one is the one kept.
        sorted.sort { JSONObject.precedes($0.key, $1.key) }
        var kept = 0
        for i in 1..<sorted.count {
            if JSONObject.precedes(sorted[kept].key, sorted[i].key) {
                kept += 1
                if kept != i { sorted.swapAt(kept, i) }
            } else {
                sorted[kept].value = sorted[i].value
            }
        }
        sorted.removeLast(sorted.count - kept - 1)
        self.init(sortedUniqueMembers: sorted)
    }

    public var count: Int { members.count }
    public var isEmpty: Bool { members.isEmpty }
    public var keys: [String] { members.map(\.key) }

    /// The value for a key; setting `nil` removes the member.
    public subscript(key: String) -> JSONValue? {
        get {
            switch index(of: key) {
            case .found(let i): members[i].value
            case .insertAt: nil
            }
        }
        set {
            switch (index(of: key), newValue) {
            case (.found(let i), .some(let value)): members[i].value = value
            case (.found(let i), .none): members.remove(at: i)
            case (.insertAt(let i), .some(let value)): members.insert(Member(key: key, value: value), at: i)
            case (.insertAt, .none): break
            }
        }
    }

    /// Sets every member of `other`, replacing the value of a key present in both: one merge of the two
    /// sorted lists instead of a search and an insert per member.
    package mutating func merge(_ other: JSONObject) {
        if other.isEmpty { return }
        if isEmpty {
            self = other
            return
        }
        guard members.allSatisfy({ JSONObject.isASCII($0.key) }), other.members.allSatisfy({ JSONObject.isASCII($0.key) }) else {
            for member in other { self[member.key] = member.value }
            return
        }
        var merged: [Member] = []
        merged.reserveCapacity(members.count + other.members.count)
        var i = members.startIndex
        var j = other.members.startIndex
        while i < members.endIndex, j < other.members.endIndex {
            let mine = members[i].key
            let theirs = other.members[j].key
            if mine == theirs {
                merged.append(other.members[j])
                i += 1
                j += 1
            } else if JSONObject.precedes(mine, theirs) {
                merged.append(members[i])
                i += 1
            } else {
                merged.append(other.members[j])
                j += 1
            }
        }
        merged.append(contentsOf: members[i...])
        merged.append(contentsOf: other.members[j...])
        members = merged
    }

    /// Whether a key is ASCII, where `==` is byte equality and ``precedes(_:_:)`` byte order.
    private static func isASCII(_ key: String) -> Bool {
        key.utf8.withContiguousStorageIfAvailable { bytes in
            var any: UInt8 = 0
            for byte in bytes { any |= byte }
            return any < 0x80
        } ?? key.utf8.allSatisfy { $0 < 0x80 }
    }

    /// Replaces the value of the member at `index` (of ``members``).
    mutating func replaceValue(at index: Int, with value: JSONValue) {
        members[index].value = value
    }

    private enum Position {
        case found(Int)
        case insertAt(Int)
    }

    private func index(of key: String) -> Position {
        // Objects are small (tens of members): an equality scan (cheap for the short keys JSON uses)
        // beats a binary search's ordered comparisons.
        if members.count <= 16 {
            for (i, member) in members.enumerated() where member.key == key {
                return .found(i)
            }
            return .insertAt(members.firstIndex { JSONObject.precedes(key, $0.key) } ?? members.count)
        }
        var low = 0
        var high = members.count
        while low < high {
            let mid = (low + high) / 2
            let candidate = members[mid].key
            if candidate == key { return .found(mid) }
            if JSONObject.precedes(candidate, key) { low = mid + 1 } else { high = mid }
        }
        return .insertAt(low)
    }

    /// RFC 8785 key order: lexicographic by UTF-16 code units.
    ///
    /// For keys made of ASCII (nearly all keys) this is byte order, which is taken as the fast path.
    public static func precedes(_ a: String, _ b: String) -> Bool {
        let fast = a.utf8.withContiguousStorageIfAvailable { pa in
            b.utf8.withContiguousStorageIfAvailable { pb -> Bool? in
                let n = Swift.min(pa.count, pb.count)
                var i = 0
                while i < n, pa[i] == pb[i] { i += 1 }
                if i == n { return pa.count < pb.count }
                // Below 0x80 byte order is UTF-16 order; otherwise compare as UTF-16 below.
                if pa[i] < 0x80 && pb[i] < 0x80 { return pa[i] < pb[i] }
                return nil
            }
        }
        if case .some(.some(.some(let result))) = fast { return result }
        return a.utf16.lexicographicallyPrecedes(b.utf16)
    }
}

extension JSONObject: Sequence {
    public func makeIterator() -> IndexingIterator<[Member]> {
        members.makeIterator()
    }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(members: elements.map { Member(key: $0.0, value: $0.1) })
    }
}
