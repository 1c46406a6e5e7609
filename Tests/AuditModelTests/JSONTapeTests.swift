import AuditModel
import AuditTestSupport
import Testing

/// The tape is a fast path beside ``JSONParser``: wherever it accepts a text, its canonical
/// encoding must equal the parser's; wherever the parser rejects a text, the tape must too.
@Suite("JSON tape (canonical fast path)")
struct JSONTapeTests {
    let parser = JSONParser()

    /// The tape's canonical bytes, or nil when it declined the text.
    func tapeCanonical(_ text: [UInt8], maxDepth: Int = 64) -> [UInt8]? {
        text.withUnsafeBufferPointer { bytes in
            guard let tape = JSONTape(bytes, maxDepth: maxDepth, maxBytes: 16 << 20) else { return nil }
            var out: [UInt8] = []
            return tape.encodeCanonical(into: &out) ? out : nil
        }
    }

    func parserCanonical(_ text: [UInt8]) -> [UInt8]? {
        (try? parser.parse(text)).map { CanonicalJSON.encode($0) }
    }

    /// Checks the contract on one text; returns whether the tape accepted it.
    @discardableResult
    func check(_ text: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        let fast = tapeCanonical(text)
        let reference = parserCanonical(text)
        if let fast {
            #expect(reference != nil, "tape accepted what the parser rejects: \(String(decoding: text, as: UTF8.self))", sourceLocation: sourceLocation)
            #expect(fast == reference, "\(String(decoding: text, as: UTF8.self)): \(String(decoding: fast, as: UTF8.self))", sourceLocation: sourceLocation)
        }
        return fast != nil
    }

    @Test(
        "accepts the common shapes and writes what CanonicalJSON writes",
        arguments: [
            #"{"b":[1,-2.5,true,false,null],"a":"x","c":{"z":{},"y":[]}}"#,
            #" { "ts" : "2026-11-20T10:00:00Z" ,"level":"info", "n":0 , "m":"a/b?c=d" } "# + "\r",
            #"{"amount":2692337,"duration_ms":207.5,"neg":-12,"small":0.000001,"big":123456789012345}"#,
            #"{"name":"Adébáyọ̀ 日本 🙂","Z":1,"a":2,"_":3,"A":4}"#,
            #"[{"k":[[[]]]},"s",1.25,null]"#,
            #""just a string""#,
            "42",
            #"{"ab":1,"a":2,"abc":3,"":4}"#,
            #"{"transaction_ref":1,"transaction_id":2,"transactions":3,"transaction":4}"#,
        ]
    )
    func accepts(_ text: String) {
        #expect(check(Array(text.utf8)))
    }

    @Test(
        "numbers are written in ECMAScript form, as a prefix of their text",
        arguments: [
            ("9.0", "9"), ("2.50", "2.5"), ("100.000", "100"), ("0.0", "0"), ("0.10", "0.1"), ("-7.250", "-7.25"),
            ("0.000001", "0.000001"), ("123456789012345", "123456789012345"), ("12345678901234.5", "12345678901234.5"),
        ]
    )
    func numbers(_ text: String, _ canonical: String) throws {
        let out = try #require(tapeCanonical(Array("[\(text)]".utf8)))
        #expect(String(decoding: out, as: UTF8.self) == "[\(canonical)]")
        #expect(check(Array("[\(text)]".utf8)))
    }

    @Test(
        "declines what it does not write itself, leaving it to the parser",
        arguments: [
            #"{"a":"x\"y"}"#, #"{"a":"\u00e9"}"#, #"{"é":1}"#, "[-0]", "[-0.0]", "[1e5]", "[1E-3]", "[0.0000001]",
            "[1234567890123456]", "[1.234567890123456]", "[12345678901234.56]",
        ]
    )
    func declines(_ text: String) {
        #expect(tapeCanonical(Array(text.utf8)) == nil)
        #expect(parserCanonical(Array(text.utf8)) != nil, "the parser accepts it: only the fast path declines")
    }

    @Test(
        "rejects everything the parser rejects",
        arguments: [
            #"{"a":1"#, #"{"a":1,}"#, "[1,2]x", #"{"a":01}"#, #"{"a":1.}"#, #"{"a":-}"#, #"{"a":tru}"#, #"{"a" 1}"#, #"{a:1}"#,
            #"{"a":1,"a":2}"#, #"{"b":1,"a":2,"b":3}"#, #"{"transaction_id":1,"transactions":2,"transaction_id":3}"#, "[1 2]", "", " ", "[", "]", "{}}", #"{"a":"x"#, "[\"a\u{1}\"]",
            "[\"tab\there\"]", "nul", "[+1]", "[.5]", "[1.5.]", "[01.5]", #"{"a":[}"#, #"{"a":{]}"#, "[,1]", "[1,,2]",
        ]
    )
    func rejects(_ text: String) {
        #expect(parserCanonical(Array(text.utf8)) == nil)
        #expect(tapeCanonical(Array(text.utf8)) == nil)
    }

    @Test("rejects invalid UTF-8 in strings: overlong forms, surrogates, stray and truncated bytes")
    func invalidUTF8() {
        let bad: [[UInt8]] = [[0xC0, 0xAF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0x80], [0xE2, 0x82], [0xF5, 0x80, 0x80, 0x80], [0xFF]]
        for bytes in bad {
            let text = Array(#"{"a":""#.utf8) + bytes + Array(#""}"#.utf8)
            #expect(parserCanonical(text) == nil)
            #expect(tapeCanonical(text) == nil, "\(bytes)")
        }
        let good: [[UInt8]] = [[0xC2, 0x80], [0xE0, 0xA0, 0x80], [0xED, 0x9F, 0xBF], [0xEE, 0x80, 0x80], [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF]]
        for bytes in good {
            #expect(check(Array(#"{"a":""#.utf8) + bytes + Array(#""}"#.utf8)), "\(bytes)")
        }
    }

    @Test("nesting deeper than the limit is declined")
    func depth() {
        let deep = Array(repeating: UInt8(ascii: "["), count: 10) + Array(repeating: UInt8(ascii: "]"), count: 10)
        #expect(tapeCanonical(deep, maxDepth: 10) != nil)
        #expect(tapeCanonical(deep, maxDepth: 9) == nil)
    }

    @Test("objects with many members are sorted like the parser sorts them")
    func manyMembers() {
        var generator = SeededGenerator(seed: 7)
        for size in [1, 2, 23, 24, 25, 100] {
            let keys = (0..<size).map { _ in String((0..<Int.random(in: 0...6, using: &generator)).map { _ in "abAB_-9é".randomElement(using: &generator)! }) }
            let unique = Array(Set(keys.filter { $0.utf8.allSatisfy { $0 < 0x80 } }))
            let text = "{" + unique.enumerated().map { #""\#($1)":\#($0)"# }.joined(separator: ",") + "}"
            #expect(check(Array(text.utf8)))
        }
    }

    @Test("a special byte at every offset of a string (eight bytes are scanned at a time): each is found where it is")
    func specialByteAtEveryOffset() {
        // Plain strings of every length around the eight-byte steps are accepted as they are.
        for length in 0...40 {
            let plain = String((0..<length).map { Character(UnicodeScalar(UInt8(ascii: "a") + UInt8($0 % 26))) })
            #expect(check(Array("[\"\(plain)\",\"x\"]".utf8)), "length \(length)")
        }
        // An escape or a control byte declines or rejects; a character past ASCII is accepted (and
        // validated): wherever it sits among the bytes before the closing quote, and with more text after it.
        let specials: [[UInt8]] = [Array(#"\""#.utf8), Array(#"\\"#.utf8), Array(#"\n"#.utf8), [0x01], [0x1F], [0xC3, 0xA9], [0xF0, 0x9F, 0x99, 0x82], [0xC3]]
        for special in specials {
            for offset in 0...20 {
                for after in [0, 3, 9] {
                    let text = Array("{\"k\":\"".utf8) + Array(repeating: UInt8(ascii: "b"), count: offset) + special
                        + Array(repeating: UInt8(ascii: "c"), count: after) + Array("\"}".utf8)
                    let accepted = check(text)
                    let expected = special.first! >= 0x80 && special != [0xC3]
                    #expect(accepted == expected, "\(special) at \(offset), \(after) after")
                }
            }
        }
    }

    @Test("mutated events: the tape never accepts what the parser rejects, and agrees when both accept")
    func mutations() {
        let seeds = [
            #"{"ts":"2026-11-20T10:00:00.001055Z","level":"warn","actor":{"type":"api_key","id":"api_1"},"http":{"status":201,"duration_ms":207.5},"metadata":{"amount":2692337,"ok":true,"x":null,"list":[1,2.50,"é"]}}"#,
            #"[{"a":[{"b":-1.0}],"c":"日本"},0.25,"",{}]"#,
        ].map { Array($0.utf8) }
        let alphabet = Array(#"{}[]:,"\-+.0123456789eEtrufalsn "#.utf8) + [0x00, 0x1F, 0x7F, 0x80, 0xC3, 0xA9, 0xFF]
        var generator = SeededGenerator(seed: 20261121)
        var accepted = 0
        for _ in 0..<20_000 {
            var text = seeds.randomElement(using: &generator)!
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                let at = Int.random(in: 0...text.count, using: &generator)
                switch Int.random(in: 0..<4, using: &generator) {
                case 0 where at < text.count: text[at] = alphabet.randomElement(using: &generator)!
                case 1: text.insert(alphabet.randomElement(using: &generator)!, at: at)
                case 2 where at < text.count: text.remove(at: at)
                default: text.insert(contentsOf: text[at...].prefix(Int.random(in: 1...8, using: &generator)), at: at)
                }
            }
            if check(text) { accepted += 1 }
        }
        // Enough of the mutants stay valid for the comparison to mean something.
        #expect(accepted > 1000)
    }
}
