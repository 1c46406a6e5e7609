/// Decides whether a member name, or a label inside a string (`password=`, `"api_key":`), names a
/// secret.
///
/// Names are compared after normalisation: ASCII lowercased, everything but letters and digits
/// dropped, and one leading `x-`/`x_` removed. So `clientSecret`, `client_secret`,
/// `CLIENT-SECRET`, `X-Client-Secret` and `client.secret` are all `clientsecret`, and one table
/// covers every naming style. A name matches a rule when it equals one of the rule's exact names,
/// or contains one of its fragments, unless the fragment is only qualified by a descriptive
/// suffix or prefix (`token_type`, `password_changed_at`, `last_password_reset`) or the whole
/// name is on the keep list. Matching allocates nothing, because it runs for every member of
/// every event.
///
/// A final class with only `let` storage after `init`: shared by reference between threads
/// (copying a struct of seven arrays on every lookup cost more than the lookup).
final class FieldNameMatcher: Sendable {
    /// A name that names a secret: the rule, and whether the rule is weak (redact only values
    /// that look random, for ambiguous names such as `key`).
    struct Match: Hashable, Sendable {
        var rule: Int
        var isWeak: Bool
    }

    /// One normalised name in the open-addressed table.
    private struct Entry: Sendable {
        var hash: UInt64
        var offset: Int32
        var length: Int32
        /// Rule index; `-1` for names on the keep list.
        var rule: Int32
        var isWeak: Bool
    }

    /// A fragment's bytes in `fragmentBytes`, its leading bigram and its rule.
    private struct Fragment: Sendable {
        var offset: Int32
        var length: Int16
        var bigram: Int16
        var rule: Int32
    }

    private let slots: [Entry?]
    private let storage: [UInt8]
    private let fragments: [Fragment]
    private let fragmentBytes: [UInt8]
    /// Bigram code → index of the first fragment starting with that bigram, or -1.
    private let fragmentStart: [Int16]
    private let suffixExceptions: [[UInt8]]
    private let prefixExceptions: [[UInt8]]
    /// Longest normalised name worth looking at; longer labels are prose, not names.
    static let maxNameLength = 96

    /// - Parameters:
    ///   - exact: normalised name → rule index.
    ///   - weak: normalised names that match the weak rule `weakRule`.
    ///   - fragments: normalised fragment → rule index, in priority order.
    ///   - keep: normalised names never matched.
    init(
        exact: [(String, Int)], weak: [String], weakRule: Int, fragments: [(String, Int)], keep: [String],
        suffixExceptions: [String], prefixExceptions: [String]
    ) {
        var entries: [(bytes: [UInt8], rule: Int32, weak: Bool)] = []
        var seen: Set<[UInt8]> = []
        // Keep-list entries first, so that they win over rules for the same name.
        for name in keep {
            let bytes = Self.normalize(name)
            if !bytes.isEmpty, seen.insert(bytes).inserted { entries.append((bytes, -1, false)) }
        }
        for (name, rule) in exact {
            let bytes = Self.normalize(name)
            if !bytes.isEmpty, seen.insert(bytes).inserted { entries.append((bytes, Int32(rule), false)) }
        }
        for name in weak {
            let bytes = Self.normalize(name)
            if !bytes.isEmpty, seen.insert(bytes).inserted { entries.append((bytes, Int32(weakRule), true)) }
        }
        var capacity = 64
        while capacity < entries.count * 3 { capacity *= 2 }
        var slots = [Entry?](repeating: nil, count: capacity)
        var storage: [UInt8] = []
        for entry in entries {
            let hash = entry.bytes.withUnsafeBufferPointer { Self.hash($0) }
            var slot = Int(hash & UInt64(capacity - 1))
            while slots[slot] != nil { slot = (slot + 1) & (capacity - 1) }
            slots[slot] = Entry(
                hash: hash, offset: Int32(storage.count), length: Int32(entry.bytes.count), rule: entry.rule, isWeak: entry.weak
            )
            storage.append(contentsOf: entry.bytes)
        }
        self.slots = slots
        self.storage = storage

        var list: [(bytes: [UInt8], rule: Int)] = []
        var seenFragments: Set<[UInt8]> = []
        for (text, rule) in fragments {
            let bytes = Self.normalize(text)
            if bytes.count >= 2, seenFragments.insert(bytes).inserted { list.append((bytes, rule)) }
        }
        // Stable sort by leading bigram keeps the given priority within a bigram.
        let sorted = list.enumerated().sorted {
            let a = Self.bigram($0.element.bytes[0], $0.element.bytes[1])
            let b = Self.bigram($1.element.bytes[0], $1.element.bytes[1])
            return a != b ? a < b : $0.offset < $1.offset
        }.map(\.element)
        var starts = [Int16](repeating: -1, count: 37 * 37)
        var compiled: [Fragment] = []
        var fragmentBytes: [UInt8] = []
        for (i, fragment) in sorted.enumerated() {
            let bigram = Self.bigram(fragment.bytes[0], fragment.bytes[1])
            if starts[bigram] < 0 { starts[bigram] = Int16(i) }
            compiled.append(
                Fragment(offset: Int32(fragmentBytes.count), length: Int16(fragment.bytes.count), bigram: Int16(bigram), rule: Int32(fragment.rule))
            )
            fragmentBytes.append(contentsOf: fragment.bytes)
        }
        self.fragments = compiled
        self.fragmentBytes = fragmentBytes
        self.fragmentStart = starts
        self.suffixExceptions = suffixExceptions.map(Self.normalize).filter { !$0.isEmpty }.sorted { $0.count > $1.count }
        self.prefixExceptions = prefixExceptions.map(Self.normalize).filter { !$0.isEmpty }
    }

    /// The rule a member name names, if any.
    func match(_ name: String) -> Match? {
        guard let found = lookup(name), found.rule >= 0 else { return nil }
        return found
    }

    /// As ``lookup(_:)-(UnsafeBufferPointer<UInt8>)``, for a `String`.
    func lookup(_ name: String) -> Match? {
        if let result = name.utf8.withContiguousStorageIfAvailable({ lookup($0) }) { return result }
        return Array(name.utf8).withUnsafeBufferPointer { lookup($0) }
    }

    /// The rule a name given as UTF-8 bytes names; a match with rule `-1` means the name is on the
    /// keep list (so a qualifier such as `idempotency` in `idempotency key` can override `key`).
    func lookup(_ name: UnsafeBufferPointer<UInt8>) -> Match? {
        guard name.count <= 4 * Self.maxNameLength else { return nil }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.maxNameLength) { buffer in
            let count = Self.normalize(name, into: buffer)
            guard count > 0 else { return nil }
            return lookup(normalized: UnsafeBufferPointer(rebasing: buffer[0..<count]))
        }
    }

    private func lookup(normalized name: UnsafeBufferPointer<UInt8>) -> Match? {
        let hash = Self.hash(name)
        let mask = slots.count - 1
        var slot = Int(hash & UInt64(mask))
        while let entry = slots[slot] {
            if entry.hash == hash, Int(entry.length) == name.count, storage.withUnsafeBufferPointer({ stored in
                ByteClass.equal(UnsafeBufferPointer(rebasing: stored[Int(entry.offset)..<Int(entry.offset + entry.length)]), name)
            }) {
                return Match(rule: Int(entry.rule), isWeak: entry.isWeak)
            }
            slot = (slot + 1) & mask
        }
        guard name.count >= 2 else { return nil }
        // Descriptive prefixes and suffixes are looked up only once a fragment has matched, which
        // is rare: most names contain none.
        var bounds: (lowest: Int, highestEnd: Int)?
        return fragmentBytes.withUnsafeBufferPointer { bytes in
            var i = 0
            while i + 1 < name.count {
                let key = Self.bigram(name[i], name[i + 1])
                var f = Int(fragmentStart[key])
                if f >= 0 {
                    while f < fragments.count, Int(fragments[f].bigram) == key {
                        let fragment = fragments[f]
                        let end = i + Int(fragment.length)
                        if end <= name.count, ByteClass.equal(
                            UnsafeBufferPointer(rebasing: bytes[Int(fragment.offset)..<(Int(fragment.offset) + Int(fragment.length))]),
                            UnsafeBufferPointer(rebasing: name[i..<end])
                        ) {
                            let limits = bounds ?? exceptionBounds(name)
                            bounds = limits
                            // A fragment ending where a descriptive suffix starts (`token|type`) is qualified by it.
                            if i >= limits.lowest, end > limits.highestEnd || limits.highestEnd == name.count {
                                return Match(rule: Int(fragment.rule), isWeak: false)
                            }
                        }
                        f += 1
                    }
                }
                i += 1
            }
            return nil
        }
    }

    /// Where a fragment match must start (after a descriptive prefix) and past where it must end
    /// (into a descriptive suffix, else it is qualified by it).
    private func exceptionBounds(_ name: UnsafeBufferPointer<UInt8>) -> (lowest: Int, highestEnd: Int) {
        var lowest = 0
        for prefix in prefixExceptions where prefix.count < name.count && Self.hasPrefix(name, prefix) {
            lowest = max(lowest, prefix.count)
        }
        var highestEnd = name.count
        for suffix in suffixExceptions where suffix.count < name.count && Self.hasSuffix(name, suffix) {
            highestEnd = name.count - suffix.count
            break
        }
        return (lowest, highestEnd)
    }

    /// The normalised form of a name, as the table stores it.
    static func normalize(_ name: String) -> [UInt8] {
        let bytes = Array(name.utf8)
        return bytes.withUnsafeBufferPointer { source in
            [UInt8](unsafeUninitializedCapacity: max(source.count, 1)) { buffer, count in
                count = normalize(source, into: buffer, limit: source.count)
            }
        }
    }

    /// Writes the normalised name into `buffer` (up to `limit` bytes) and returns its length.
    static func normalize(_ name: UnsafeBufferPointer<UInt8>, into buffer: UnsafeMutableBufferPointer<UInt8>, limit: Int = maxNameLength) -> Int {
        var i = 0
        if name.count > 2, name[0] | 0x20 == UInt8(ascii: "x"), name[1] == UInt8(ascii: "-") || name[1] == UInt8(ascii: "_") {
            i = 2
        }
        var count = 0
        while i < name.count {
            let byte = name[i]
            // A marker left by an earlier pass (`[REDACTED:secret]`) is not part of the name, or
            // its rule name would make the name look sensitive the next time.
            if byte == UInt8(ascii: "["), ByteClass.matches(name, at: i, "[REDACTED:") {
                var close = i + 10
                while close < name.count, ByteClass.is(name[close], [.lower, .digit]) || name[close] == UInt8(ascii: "-") { close += 1 }
                if close > i + 10, close < name.count, name[close] == UInt8(ascii: "]") {
                    i = close + 1
                    continue
                }
            }
            i += 1
            let out: UInt8
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), 0x80...: out = byte
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): out = byte | 0x20
            default: continue
            }
            guard count < limit else { return 0 }
            buffer[count] = out
            count += 1
        }
        return count
    }

    @inline(__always)
    private static func bigram(_ a: UInt8, _ b: UInt8) -> Int {
        code(a) * 37 + code(b)
    }

    @inline(__always)
    private static func code(_ byte: UInt8) -> Int {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"): Int(byte - UInt8(ascii: "a")) + 1
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0")) + 27
        default: 0
        }
    }

    /// A multiply-xorshift hash over 8-byte words (a byte-at-a-time hash was most of a lookup).
    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(bytes.count)
        let raw = UnsafeRawBufferPointer(bytes)
        var i = 0
        while i + 8 <= bytes.count {
            let word = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            hash = (hash ^ word) &* 0xFF51_AFD7_ED55_8CCD
            hash ^= hash >> 32
            i += 8
        }
        if i < bytes.count {
            var word: UInt64 = 0
            var shift: UInt64 = 0
            while i < bytes.count {
                word |= UInt64(bytes[i]) << shift
                shift += 8
                i += 1
            }
            hash = (hash ^ word) &* 0xFF51_AFD7_ED55_8CCD
            hash ^= hash >> 32
        }
        return hash
    }

    private static func hasPrefix(_ name: UnsafeBufferPointer<UInt8>, _ prefix: [UInt8]) -> Bool {
        prefix.withUnsafeBufferPointer { ByteClass.equal($0, UnsafeBufferPointer(rebasing: name[0..<prefix.count])) }
    }

    private static func hasSuffix(_ name: UnsafeBufferPointer<UInt8>, _ suffix: [UInt8]) -> Bool {
        suffix.withUnsafeBufferPointer { ByteClass.equal($0, UnsafeBufferPointer(rebasing: name[(name.count - suffix.count)...])) }
    }
}
