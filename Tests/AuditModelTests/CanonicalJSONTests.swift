import AuditModel
import Testing

@Suite("RFC 8785 canonical JSON")
struct CanonicalJSONTests {
    @Test("RFC 8785 section 3.2.2 example")
    func rfcExample() throws {
        let input = #"{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],"string":"\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/","literals":[null,true,false]}"#
        let expected = #"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#
        #expect(CanonicalJSON.string(try JSONParser().parse(input)) == expected)
    }

    @Test(
        "numbers are written as ECMAScript writes them",
        arguments: [
            (0.0, "0"), (-0.0, "0"), (1.0, "1"), (-1.0, "-1"), (4.5, "4.5"), (0.002, "0.002"),
            (1e-7, "1e-7"), (1e-6, "0.000001"), (1e21, "1e+21"), (1e20, "100000000000000000000"),
            (123456789012345680000.0, "123456789012345680000"), (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"), (9007199254740992.0, "9007199254740992"),
            (-9007199254740992.0, "-9007199254740992"), (0.1, "0.1"), (100.25, "100.25"), (1.5e300, "1.5e+300"),
            (2e-3, "0.002"), (333333333.3333333, "333333333.3333333"), (1e23, "1e+23"), (12.0, "12"),
        ]
    )
    func numbers(value: Double, expected: String) {
        #expect(CanonicalJSON.string(.number(value)) == expected)
    }

    @Test("orders keys by UTF-16 code units, not by scalar value")
    func keyOrder() throws {
        // U+1F600 (surrogates D83D DE00) sorts before U+FB01 in UTF-16 but after it by scalar value.
        let value = try JSONParser().parse(#"{"\ufb01":1,"\ud83d\ude00":2,"a":3,"":4}"#)
        #expect(CanonicalJSON.string(value) == "{\"\":4,\"a\":3,\"😀\":2,\"ﬁ\":1}")
    }

    @Test("parse and serialise round-trips canonical text byte for byte")
    func roundTrip() throws {
        let text = #"{"a":[{"b":null}],"id":"x","n":-12.75,"s":"line\nnext\u0001"}"#
        #expect(CanonicalJSON.string(try JSONParser().parse(text)) == text)
    }

    @Test("objects larger than the encoder's first buffer, appended after existing bytes, with marked ranges")
    func largeObjectsAfterExistingBytes() {
        // Long strings with escapes and non-ASCII, so the buffer grows several times mid-string.
        let long = String(repeating: "ab\"c\\d\u{1}é€ ", count: 400)
        let members: [(String, JSONValue)] = (0..<40).map { ("k\($0)", $0 % 3 == 0 ? .string(long) : .number(Double($0) + 0.5)) }
        var object = JSONObject()
        for (key, value) in members { object[key] = value }
        object["nested"] = ["pd": .string(long), "other": [1, "two", .null]]

        // The same bytes from the scalar path, which writes straight into an array.
        var expected = Array("prefix".utf8) + [UInt8(ascii: "{")]
        for (i, member) in object.members.enumerated() {
            if i > 0 { expected.append(UInt8(ascii: ",")) }
            CanonicalJSON.appendString(member.key, to: &expected)
            expected.append(UInt8(ascii: ":"))
            if case .object(let inner) = member.value {
                expected.append(UInt8(ascii: "{"))
                for (j, m) in inner.members.enumerated() {
                    if j > 0 { expected.append(UInt8(ascii: ",")) }
                    CanonicalJSON.appendString(m.key, to: &expected)
                    expected.append(UInt8(ascii: ":"))
                    if case .array = m.value { expected += Array(#"[1,"two",null]"#.utf8) } else { CanonicalJSON.encode(m.value, into: &expected) }
                }
                expected.append(UInt8(ascii: "}"))
            } else {
                CanonicalJSON.encode(member.value, into: &expected)
            }
        }
        expected.append(UInt8(ascii: "}"))

        var plain = Array("prefix".utf8)
        CanonicalJSON.encode(object, into: &plain)
        #expect(plain == expected)

        var marked = Array("prefix".utf8)
        let ranges = CanonicalJSON.encode(object, into: &marked, marking: CanonicalJSON.PathMarks([["nested", "pd"], ["k3"], ["absent"]]))
        #expect(marked == expected)
        #expect(ranges.count == 3 && ranges[2] == nil)
        #expect(ranges[0].map { Array(marked[$0]) } == CanonicalJSON.encode(.string(long)))
        #expect(ranges[1].map { Array(marked[$0]) } == CanonicalJSON.encode(.string(long)))
    }
}
