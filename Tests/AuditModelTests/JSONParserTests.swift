import AuditModel
import Testing

@Suite("JSON parser")
struct JSONParserTests {
    let parser = JSONParser()

    @Test("parses every JSON type and keeps objects in canonical key order")
    func parsesAllTypes() throws {
        let value = try parser.parse(#"{"b":[1,-2.5,true,false,null],"a":"x","c":{"z":{},"y":[]}}"#)
        guard case .object(let o) = value else { Issue.record("not an object"); return }
        #expect(o.keys == ["a", "b", "c"])
        #expect(o["b"] == [1, -2.5, true, false, .null])
        #expect(o["c"]?.objectValue?.keys == ["y", "z"])
    }

    @Test("decodes escapes, including surrogate pairs")
    func escapes() throws {
        let value = try parser.parse(#""a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00""#)
        #expect(value == .string("a\"\\/\u{8}\u{c}\n\r\té😀"))
    }

    @Test(
        "rejects malformed input with the right code",
        arguments: [
            (#"{"a":1"#, JSONParseError.Code.unexpectedEnd),
            (#"{"a":1,}"#, .unexpectedCharacter),
            (#"[1,2]x"#, .trailingData),
            (#"{"a":01}"#, .invalidNumber),
            (#"{"a":1.}"#, .invalidNumber),
            (#"{"a":"\x"}"#, .invalidEscape),
            (#"{"a":"\ud800"}"#, .invalidEscape),
            (#"{"a":1,"a":2}"#, .duplicateKey),
            (#"{"b":1,"a":2,"b":3}"#, .duplicateKey),
            (#"{"a":12345678901234567890}"#, .unsafeInteger),
            (#"{"a":1e999}"#, .invalidNumber),
            ("{\"a\":\"tab\there\"}", .controlCharacter),
            ("", .unexpectedEnd),
            ("nul", .unexpectedEnd),
            ("[tru]", .unexpectedCharacter),
        ]
    )
    func rejects(input: String, code: JSONParseError.Code) {
        #expect(throws: JSONParseError.self) { try parser.parse(input) }
        do {
            _ = try parser.parse(input)
        } catch {
            #expect(error.code == code, "\(input): \(error)")
        }
    }

    @Test("rejects invalid UTF-8 and names the byte")
    func invalidUTF8() {
        let bytes: [UInt8] = Array(#"{"a":"ok"#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)
        do {
            _ = try parser.parse(bytes)
            Issue.record("accepted invalid UTF-8")
        } catch {
            #expect(error.code == .invalidUTF8)
            #expect(error.offset == 8)
        }
    }

    @Test("rejects nesting deeper than the limit without exhausting the stack")
    func depth() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONParseError(.tooDeep)) { try parser.parse(deep) }
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(throws: Never.self) { try parser.parse(ok) }
    }

    @Test("rejects input over the size limit")
    func size() {
        let small = JSONParser(limits: .init(maxDepth: 64, maxBytes: 10))
        #expect(throws: JSONParseError(.tooLarge)) { try small.parse(#"{"a":"0123456789"}"#) }
    }

    @Test("reports line and column")
    func location() {
        do {
            _ = try parser.parse("{\n  \"a\": 1,\n  \"b\": ?\n}")
            Issue.record("accepted")
        } catch {
            #expect(error.line == 3)
            #expect(error.column == 8)
        }
    }

    @Test("an error message never echoes string content")
    func noEcho() {
        do {
            _ = try parser.parse(#"{"password":"hunter2-secret","x":}"#)
        } catch {
            #expect(!error.description.contains("hunter2"))
        }
    }
}

extension JSONParseError {
    /// A value to compare against: equality is on the code only.
    init(_ code: Code) {
        self = Self.make(code)
    }

    private static func make(_ code: Code) -> JSONParseError {
        do {
            switch code {
            case .tooDeep: _ = try JSONParser(limits: .init(maxDepth: 0)).parse("[]")
            case .tooLarge: _ = try JSONParser(limits: .init(maxBytes: 0)).parse("1")
            default: break
            }
        } catch { return error }
        fatalError("unsupported code in test helper")
    }
}
