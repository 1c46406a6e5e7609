import AuditModel
import Testing

@testable import AuditRedaction

/// `auditq redact` takes a fast path for lines with nothing to redact (``JSONTape`` plus
/// ``Redactor/leavesUnchanged(_:)``). It must only ever be taken when the tree path would leave the
/// event unchanged, and must then give the tree path's bytes.
@Suite("Redaction fast path")
struct RedactionFastPathTests {
    let redactor = Redactor()
    var filter: RedactionFilter { RedactionFilter(redactor: redactor) }

    /// What the tree path makes of a line: the redaction report and the canonical bytes.
    func tree(_ line: [UInt8]) -> (changed: Bool, bytes: [UInt8])? {
        guard case .object(var object) = try? JSONParser().parse(line) else { return nil }
        let report = redactor.redact(&object)
        return (!report.isEmpty, CanonicalJSON.encode(.object(object)))
    }

    /// Checks one line; returns whether the fast path took it.
    @discardableResult
    func check(_ line: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        guard let fast = line.withUnsafeBytes({ filter.canonicalIfUnchanged($0) }) else { return false }
        let text = String(decoding: line, as: UTF8.self)
        guard let reference = tree(line) else {
            Issue.record("fast path took a line the parser rejects: \(text)", sourceLocation: sourceLocation)
            return true
        }
        #expect(!reference.changed, "fast path took a line the redactor changes: \(text)", sourceLocation: sourceLocation)
        #expect(fast == reference.bytes, "\(text)", sourceLocation: sourceLocation)
        #expect(filter.process(line, lineNumber: 1).line == reference.bytes, sourceLocation: sourceLocation)
        return true
    }

    /// A JSON text for a value with members in reverse canonical order and some spaces, so that the
    /// fast path has to sort.
    static func render(_ value: JSONValue, into out: inout [UInt8]) {
        switch value {
        case .object(let object):
            out.append(UInt8(ascii: "{"))
            for (i, member) in object.members.reversed().enumerated() {
                if i > 0 { out += Array(", ".utf8) }
                CanonicalJSON.appendString(member.key, to: &out)
                out += Array(" : ".utf8)
                render(member.value, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (i, element) in elements.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                render(element, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        default:
            CanonicalJSON.encode(value, into: &out)
        }
    }

    static func lines(_ event: JSONObject) -> [[UInt8]] {
        var reversed: [UInt8] = []
        render(.object(event), into: &reversed)
        return [CanonicalJSON.encode(.object(event)), reversed]
    }

    @Test("a plain event takes the fast path; an event with a secret does not")
    func plain() throws {
        let event = #"{"ts":"2026-11-20T10:00:00.001055Z","level":"warn","source":"identity-svc","action":"auth.login","actor":{"type":"api_key","id":"api_ScdpxZpcfRHyxJ"},"request_id":"req_ALENZ54pCRipuMoWnG3juGmD","message":"Dashboard login","http":{"method":"POST","path":"/v1/auth/login","status":201,"duration_ms":207.0},"error":{"code":"timeout","message":"Upstream timed out"},"metadata":{"amount":2692337,"currency":"NGN","ip":"154.53.115.232"}}"#
        #expect(check(Array(event.utf8)))
        for secret in [#""password":"hunter22""#, #""m":"Bearer abcdefghijklmnopqrstuvwxyz0123""#, #""card":4111111111111111"#, #""redaction":{"rules":{"x":1}}"#,
            #""sk_live_4eC39HqLyjWDarjtT1zdp7dc":true"#, #""h":["X-Api-Key","abcdef0123456789abcdef"]"#, #""f":[{"name":"password","value":"x1"}]"#,
            #""code":"f83Kd92hQ0zLm4Xv7TbN1wYp""#,
        ] {
            let line = Array((event.dropLast() + "," + secret + "}").utf8)
            #expect(!check(line), "\(secret)")
        }
    }

    @Test("every corpus event: the fast path is taken only when nothing changes, and writes the same bytes")
    func corpus() throws {
        var taken = 0
        var unchanged = 0
        for name in ["train", "heldout", "blind"] {
            for item in try CorpusTests.load(name) {
                for line in Self.lines(item.event) {
                    if check(line) { taken += 1 }
                    if tree(line)?.changed == false { unchanged += 1 }
                }
            }
        }
        // The fast path is not dead: it takes most events the redactor leaves alone.
        #expect(taken > unchanged / 2, "fast path took \(taken) of \(unchanged) unchanged corpus lines")
    }

    @Test("events built from the scanners' trigger fragments, as names, values, header pairs and lists")
    func fragments() {
        var generator = RedactorFuzzTests.Generator(state: 99)
        let names = ["key", "code", "name", "value", "authorization", "Authorization", "header", "password", "apiKey", "token", "m", "pin", "id"]
        // Fragments the tape takes as they are (no quotes, backslashes or control characters), so
        // that the redaction checks, not the tape, decide.
        let fragments = RedactorFuzzTests.fragments.filter { !$0.utf8.contains { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C } }
        func text() -> String {
            (0..<Int.random(in: 0...4, using: &generator)).map { _ in fragments.randomElement(using: &generator)! }.joined()
        }
        var taken = 0
        for _ in 0..<3000 {
            var event = JSONObject()
            event["m"] = .string(text())
            event[names.randomElement(using: &generator)!] = .string(text())
            event[String(decoding: text().utf8.filter { $0 < 0x80 }, as: UTF8.self)] = .string(text())
            event["pair"] = ["name": .string(names.randomElement(using: &generator)!), "value": .string(text())]
            event["list"] = .array([.string(names.randomElement(using: &generator)!), .string(text()), .string(text())])
            event["authorization"] = ["status": .string(text()), "code": .string(text())]
            event["n"] = .number(Double(Int.random(in: 0...(Bool.random(using: &generator) ? 999 : 999_999_999_999_999), using: &generator)))
            for line in Self.lines(event) where check(line) { taken += 1 }
        }
        #expect(taken > 100)
    }

    @Test("the check on strings (the log handler's) answers as the walk does, for fragments, names, pairs and nesting")
    func strings() {
        var generator = RedactorFuzzTests.Generator(state: 7)
        let names = ["key", "code", "name", "Name", "value", "authorization", "header", "password", "apiKey", "token", "m", "pin", "id",
                     "field", "parameter", "metadata", "a_rather_long_name_with_sk_live_4eC39HqLyjWDarjtT1zdp7dc"]
        // All fragments: strings need no tape here, so quotes and control characters are in.
        let fragments = RedactorFuzzTests.fragments
        func text() -> String {
            (0..<Int.random(in: 0...4, using: &generator)).map { _ in fragments.randomElement(using: &generator)! }.joined()
        }
        func members(_ count: Int) -> [(key: String, value: String)] {
            var seen = Set<String>()
            return (0..<count).compactMap { _ in
                let key = Bool.random(using: &generator) ? names.randomElement(using: &generator)! : text()
                guard seen.insert(key).inserted else { return nil }
                return (key, Bool.random(using: &generator) ? names.randomElement(using: &generator)! : text())
            }
        }
        var unchanged = 0
        var compared = 0
        let cache = redactor.makeCheckCache()
        for n in 0..<12000 {
            // Around eight members, where the `{name, value}` check starts and stops.
            let top = members(Int.random(in: 1...10, using: &generator))
            let nested = n % 3 == 0 ? nil : (key: Bool.random(using: &generator) ? "metadata" : names.randomElement(using: &generator)!, members: members(Int.random(in: 0...9, using: &generator)))
            guard nested == nil || !top.contains(where: { $0.key == nested!.key }) else { continue }
            var object = JSONObject(members: top.map { JSONObject.Member(key: $0.key, value: .string($0.value)) })
            if let nested { object[nested.key] = .object(JSONObject(members: nested.members.map { JSONObject.Member(key: $0.key, value: .string($0.value)) })) }
            let before = object
            let walked = redactor.redact(&object)
            let direct = redactor.leavesUnchanged(strings: top, object: nested)
            // Names found inert once need no check per call: the answer is the same.
            let inert = top.indices.reduce(UInt64(0)) { redactor.nameIsInert(top[$1].key) ? $0 | 1 << UInt64($1) : $0 }
            #expect(redactor.leavesUnchanged(strings: top, object: nested, inertNames: inert) == direct, "\(top)")
            if direct {
                unchanged += 1
                #expect(walked.isEmpty && object == before, "\(before)")
            }
            // Where the tape can read the event, both checks give the same answer.
            let bytes = CanonicalJSON.encode(.object(before))
            if let tape = bytes.withUnsafeBufferPointer({ JSONTape($0, maxDepth: redactor.maxDepth, maxBytes: 1 << 20) }) {
                compared += 1
                #expect(redactor.leavesUnchanged(tape) == direct, "\(before)")
                // Names remembered as inert from earlier events change no answer.
                #expect(redactor.leavesUnchanged(tape, remembering: cache) == direct, "\(before)")
            }
        }
        #expect(unchanged > 900)
        #expect(compared > 1500)
    }

    @Test("the check cache remembers inert names and clean strings, and answers only for the rules that filled it")
    func checkCacheBelongsToItsRules() throws {
        var rules = RedactionRules.default
        rules.fieldRules.append(.init(name: "flavour", exact: ["flavour"], contains: [], redactsAnyInlineValue: true))
        let strict = Redactor(rules: rules)
        let line = Array(#"{"action":"a","flavour":"vanilla"}"#.utf8)
        let tape = try #require(line.withUnsafeBufferPointer { JSONTape($0, maxDepth: 8, maxBytes: 1 << 20) })
        let cache = redactor.makeCheckCache()
        #expect(redactor.leavesUnchanged(tape, remembering: cache))
        line.withUnsafeBufferPointer { bytes in
            #expect(cache.inertNames.contains(UnsafeBufferPointer(rebasing: bytes[15..<22])), "flavour is inert by default")
            #expect(cache.cleanStrings.contains(UnsafeBufferPointer(rebasing: bytes[25..<32])), "vanilla is clean")
        }
        #expect(!strict.leavesUnchanged(tape, remembering: cache), "another redactor's cache was used")
        #expect(!strict.leavesUnchanged(tape, remembering: strict.makeCheckCache()))
        // A string holding a secret is never remembered as clean, however often it is seen.
        let secret = Array(#"{"note":"key sk_live_4eC39HqLyjWDarjtT1zdp7dc"}"#.utf8)
        let secretTape = try #require(secret.withUnsafeBufferPointer { JSONTape($0, maxDepth: 8, maxBytes: 1 << 20) })
        for _ in 0..<3 { #expect(!redactor.leavesUnchanged(secretTape, remembering: cache)) }
        secret.withUnsafeBufferPointer { bytes in
            #expect(!cache.cleanStrings.contains(UnsafeBufferPointer(rebasing: bytes[9..<(bytes.count - 2)])))
        }
    }

    @Test("a bounded byte set keeps what fits, and a colliding string replaces the one before")
    func bytesSet() {
        let set = BytesSet(slots: 4, maxBytes: 8)
        func has(_ s: String) -> Bool { Array(s.utf8).withUnsafeBufferPointer { set.contains($0) } }
        func add(_ s: String) { Array(s.utf8).withUnsafeBufferPointer { set.insert($0) } }
        add("abc")
        #expect(has("abc") && !has("abd") && !has("ab") && !has(""))
        add("123456789")  // longer than 8 bytes: not kept
        #expect(!has("123456789"))
        add("")
        #expect(!has(""))
        // Four slots: of many strings, at most four are held, and each held one is exact.
        let words = (0..<100).map { "w\($0)" }
        for w in words { add(w) }
        let held = words.filter(has)
        #expect(!held.isEmpty && held.count <= 4)
    }

    @Test("after 32 lines in a row on the full path, one line in 16 tries the fast path, until one takes it")
    func gate() {
        var gate = RedactionFilter.FastPathGate()
        for _ in 0..<32 {
            let tries = gate.shouldTry()
            #expect(tries)
            gate.record(taken: false)
        }
        var tries = 0
        for _ in 0..<160 where gate.shouldTry() {
            tries += 1
            gate.record(taken: false)
        }
        #expect(tries == 10)
        while !gate.shouldTry() {}
        gate.record(taken: true)
        for _ in 0..<40 {
            let tries = gate.shouldTry()
            #expect(tries)
        }

        // The output is the same whichever path a line takes.
        let secret = Array(#"{"password":"hunter22","m":"x"}"#.utf8)
        let plain = Array(#"{"m":"nothing here","n":9.0}"#.utf8)
        var adaptive = RedactionFilter.FastPathGate()
        for i in 0..<100 {
            let line = i % 50 == 49 ? plain : secret
            #expect(filter.process(line, lineNumber: i + 1, gate: &adaptive) == filter.process(line, lineNumber: i + 1))
        }
    }
}
