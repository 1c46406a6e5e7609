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
    package func leavesUnchanged(_ tape: JSONTape) -> Bool {
        guard let first = tape.entries.first, first.kind == .object else { return false }
        return tape.entries.withUnsafeBufferPointer { entries in
            TapeCheck(rules: rules, tape: tape, entries: entries).object(at: 0)
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

    func object(at index: Int) -> Bool {
        let count = Int(entries[index].count)
        if count <= 8, !headerPairsUnchanged(at: index) { return false }
        var name = index + 1
        for _ in 0..<count {
            let key = tape.text(entries[name])
            // A secret name, or a long name holding a secret (the walk renames those).
            switch rules.matcher.lookup(key) {
            case .some(let match) where match.rule >= 0:
                let value = entries[name + 1]
                if match.isWeak {
                    // Ambiguous names (`key`, `code`): only random-looking strings go; other values are walked.
                    if value.kind == .string, TextScanner.looksRandom(tape.text(value)) { return false }
                } else if !(match.rule == rules.authorization && value.kind == .object) {
                    // An `authorization` object is a card authorization result, walked; any other
                    // value under a secret name is replaced (or is empty, a case left to the walk).
                    return false
                }
            case .some:
                break
            case .none:
                if key.count >= 12, !stringUnchanged(key) { return false }
            }
            guard value(at: name + 1) else { return false }
            name = next(name + 1)
        }
        return true
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
            if valueEntry.kind == .string, valueEntry.end - valueEntry.start <= 64, RedactionWalk.isPairNameKey(tape.text(entries[name])),
                let match = rules.matcher.lookup(tape.text(valueEntry)), match.rule >= 0, !match.isWeak
            {
                return false
            }
            name = next(name + 1)
        }
        return true
    }

    private func stringUnchanged(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        if text.count < 4 { return true }
        if text.count > rules.limits.maxStringBytes { return false }
        return TextScanner.spans(in: text, rules: rules).isEmpty
    }

    @inline(__always)
    private func next(_ index: Int) -> Int { Int(entries[index].next) }
}
