import AuditModel

extension Redactor {
    /// Whether ``redact(_:)-(JSONObject)`` would leave the object in `tape` unchanged, decided on the
    /// raw bytes without building the tree.
    ///
    /// It runs the same checks as the walk (every member name through the name table, every string
    /// through the scanner with its decoded layers, card numbers, header pairs and flat header lists)
    /// and answers false as soon as any of them could lead to a change, so a false answer only means
    /// "walk the tree". The tape must have been read with a depth limit no higher than the rules'
    /// (``maxDepth``), so that no value is dropped for its depth.
    ///
    /// - Parameter cache: what earlier calls found (``makeCheckCache()``, one per thread); ignored
    ///   unless this redactor made it.
    package func leavesUnchanged(_ tape: JSONTape, remembering cache: CheckCache? = nil) -> Bool {
        guard let first = tape.entries.first, first.kind == .object else { return false }
        let cache = cache.flatMap { $0.rules === rules ? $0 : nil }
        return tape.entries.withUnsafeBufferPointer { entries in
            TapeCheck(rules: rules, tape: tape, entries: entries, cache: cache).object(at: 0)
        }
    }

    /// As ``leavesUnchanged(_:)-(JSONTape)`` for an object given as its parts, without reading JSON:
    /// string members, and at most one member holding an object of string members (the log
    /// handler's events: their fields, and `metadata`). The same checks, in the same words; the texts
    /// are the decoded strings the walk would see.
    ///
    /// - Parameter inertNames: bit `i` set when the name of `members[i]` passed ``nameIsInert(_:)``
    ///   (names the caller uses on every call, checked once): only its value is checked.
    package func leavesUnchanged(
        strings members: [(key: String, value: String)], object: (key: String, members: [(key: String, value: String)])?, inertNames: UInt64 = 0
    ) -> Bool {
        guard rules.limits.maxDepth >= (object == nil ? 1 : 2) else { return false }
        let rules = rules
        func unchanged(_ members: [(key: String, value: String)], objectMembers: Int, inertNames: UInt64) -> Bool {
            for (i, member) in members.enumerated() {
                var key = member.key
                var value = member.value
                let inert = i < 64 && inertNames & (1 << UInt64(i)) != 0
                let unchanged = key.withUTF8 { key in
                    value.withUTF8 { value in
                        (objectMembers > 8 || TapeCheck.pairUnchanged(key, value, rules: rules))
                            && (inert || TapeCheck.nameUnchanged(key, .string(value), rules: rules))
                            && TapeCheck.stringUnchanged(value, rules: rules)
                    }
                }
                guard unchanged else { return false }
            }
            return true
        }
        guard unchanged(members, objectMembers: members.count + (object == nil ? 0 : 1), inertNames: inertNames) else { return false }
        guard let object else { return true }
        var key = object.key
        return key.withUTF8 { TapeCheck.nameUnchanged($0, .object, rules: rules) } && unchanged(object.members, objectMembers: object.members.count, inertNames: 0)
    }

    /// Whether a member name passes the walk's name checks whatever its value: no rule names it (or it
    /// is on the keep list), and it is not a long name holding a secret.
    package func nameIsInert(_ name: String) -> Bool {
        var name = name
        return name.withUTF8 { key in
            switch rules.matcher.lookup(key) {
            case .some(let match): match.rule < 0
            case .none: key.count < 12 || TapeCheck.stringUnchanged(key, rules: rules)
            }
        }
    }

    /// The deepest nesting the walk handles without dropping values.
    package var maxDepth: Int { rules.limits.maxDepth }
}

/// The checks of ``RedactionWalk`` over a ``JSONTape``, answering only "nothing would change".
private struct TapeCheck {
    let rules: CompiledRules
    let tape: JSONTape
    let entries: UnsafeBufferPointer<JSONTape.Entry>
    let cache: Redactor.CheckCache?

    func object(at index: Int) -> Bool {
        let count = Int(entries[index].count)
        if count <= 8, !headerPairsUnchanged(at: index) { return false }
        var name = index + 1
        for _ in 0..<count {
            let value = entries[name + 1]
            let shape: MemberShape
            switch value.kind {
            case .string: shape = .string(tape.text(value))
            case .object: shape = .object
            default: shape = .other
            }
            guard nameUnchanged(tape.text(entries[name]), shape), self.value(at: name + 1) else { return false }
            name = next(name + 1)
        }
        return true
    }

    /// What the name checks need to know of a member's value.
    enum MemberShape {
        case string(UnsafeBufferPointer<UInt8>)
        case object
        case other

        var isObject: Bool {
            if case .object = self { true } else { false }
        }
    }

    /// ``nameUnchanged(_:_:rules:)``, answered from the cache for a name found inert before, and
    /// remembering a name found inert now.
    private func nameUnchanged(_ key: UnsafeBufferPointer<UInt8>, _ value: MemberShape) -> Bool {
        guard let inert = cache?.inertNames else { return Self.nameUnchanged(key, value, rules: rules) }
        if inert.contains(key) { return true }
        let match = rules.matcher.lookup(key)
        guard Self.nameUnchanged(key, value, match: match, rules: rules) else { return false }
        // Unchanged without a rule naming it (no match, or the keep list): whatever its value.
        if match.map({ $0.rule < 0 }) ?? true { inert.insert(key) }
        return true
    }

    /// The walk's checks of a member's name: a secret name, or a long name holding a secret (the walk
    /// renames those).
    static func nameUnchanged(_ key: UnsafeBufferPointer<UInt8>, _ value: MemberShape, rules: CompiledRules) -> Bool {
        nameUnchanged(key, value, match: rules.matcher.lookup(key), rules: rules)
    }

    /// As ``nameUnchanged(_:_:rules:)``, with the name's entry in the rules' table already looked up.
    static func nameUnchanged(
        _ key: UnsafeBufferPointer<UInt8>, _ value: MemberShape, match: FieldNameMatcher.Match?, rules: CompiledRules
    ) -> Bool {
        switch match {
        case .some(let match) where match.rule >= 0:
            if match.isWeak {
                // Ambiguous names (`key`, `code`): only random-looking strings go; other values are walked.
                if case .string(let text) = value, TextScanner.looksRandom(text) { return false }
            } else if !(match.rule == rules.authorization && value.isObject) {
                // An `authorization` object is a card authorization result, walked; any other
                // value under a secret name is replaced (or is empty, a case left to the walk).
                return false
            }
        case .some:
            break
        case .none:
            if key.count >= 12, !stringUnchanged(key, rules: rules) { return false }
        }
        return true
    }

    /// The `{name, value}` check of one member of an object with at most eight: a `name`-like member
    /// holding a secret header's name.
    static func pairUnchanged(_ key: UnsafeBufferPointer<UInt8>, _ value: UnsafeBufferPointer<UInt8>, rules: CompiledRules) -> Bool {
        guard value.count <= 64, RedactionWalk.isPairNameKey(key), let match = rules.matcher.lookup(value) else { return true }
        return !(match.rule >= 0 && !match.isWeak)
    }

    static func stringUnchanged(_ text: UnsafeBufferPointer<UInt8>, rules: CompiledRules) -> Bool {
        if text.count < 4 { return true }
        if text.count > rules.limits.maxStringBytes { return false }
        return TextScanner.spans(in: text, rules: rules).isEmpty
    }

    func array(at index: Int) -> Bool {
        var element = index + 1
        var previous = -1
        for _ in 0..<Int(entries[index].count) {
            guard value(at: element) else { return false }
            // Flat header lists: a secret header name followed by its value.
            if previous >= 0, entries[previous].kind == .string, entries[element].kind == .string {
                let name = tape.text(entries[previous])
                if name.count <= 40, let match = rules.matcher.lookup(name), match.rule >= 0, !match.isWeak { return false }
            }
            previous = element
            element = next(element)
        }
        return true
    }

    func value(at index: Int) -> Bool {
        let entry = entries[index]
        switch entry.kind {
        case .string:
            return stringUnchanged(tape.text(entry))
        case .number:
            // Card numbers sent as numbers have 13 to 16 digits; the tape holds at most 15.
            return entry.end - entry.start < 13
        case .literal:
            return true
        case .object:
            return object(at: index)
        case .array:
            return array(at: index)
        }
    }

    /// `{name, value}` lists: a `name`-like member holding a secret header's name.
    private func headerPairsUnchanged(at index: Int) -> Bool {
        var name = index + 1
        for _ in 0..<Int(entries[index].count) {
            let valueEntry = entries[name + 1]
            if valueEntry.kind == .string, !Self.pairUnchanged(tape.text(entries[name]), tape.text(valueEntry), rules: rules) { return false }
            name = next(name + 1)
        }
        return true
    }

    /// ``stringUnchanged(_:rules:)``, answered from the cache for a string found clean before (the
    /// answer depends on nothing but the string and the rules), and remembering one found clean now.
    private func stringUnchanged(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        guard text.count >= 4, let clean = cache?.cleanStrings else { return Self.stringUnchanged(text, rules: rules) }
        if clean.contains(text) { return true }
        guard Self.stringUnchanged(text, rules: rules) else { return false }
        clean.insert(text)
        return true
    }

    @inline(__always)
    private func next(_ index: Int) -> Int { Int(entries[index].next) }
}
