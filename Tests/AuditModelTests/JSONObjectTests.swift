@testable import AuditModel
import Testing

@Suite("JSONObject construction")
struct JSONObjectTests {
    /// The object built the old way: one subscript set per member, in order.
    static func setOneByOne(_ members: [JSONObject.Member]) -> JSONObject {
        var object = JSONObject()
        for member in members { object[member.key] = member.value }
        return object
    }

    static func members(_ pairs: [(String, JSONValue)]) -> [JSONObject.Member] {
        pairs.map { JSONObject.Member(key: $0.0, value: $0.1) }
    }

    @Test(
        "init(members:) equals setting the members one by one",
        arguments: [
            [],
            [("a", 1)],
            [("ts", "x"), ("action", "log"), ("level", "info"), ("message", "m"), ("logger", "l"), ("source", "s")],
            // Repeated keys: the last value wins, wherever the repeats are.
            [("b", 1), ("a", 2), ("b", 3), ("c", 4), ("b", 5), ("a", 6)],
            [("k", 1), ("k", 2), ("k", 3)],
            // Prefixes and byte order (`_` sorts after upper case, before lower case).
            [("ab", 1), ("a", 2), ("a_b", 3), ("aB", 4), ("", 5), ("abc", 6)],
            // Non-ASCII names: UTF-16 order, and canonically equivalent names are one key (as `==` says).
            [("\u{E9}", 1), ("e\u{301}", 2), ("\u{1F600}", 3), ("\u{FB01}", 4), ("z", 5)],
        ] as [[(String, JSONValue)]]
    )
    func bulkInit(pairs: [(String, JSONValue)]) {
        let members = Self.members(pairs)
        let built = JSONObject(members: members)
        let expected = Self.setOneByOne(members)
        #expect(built == expected)
        #expect(built.keys == expected.keys)
        #expect(CanonicalJSON.string(.object(built)) == CanonicalJSON.string(.object(expected)))
    }

    @Test("init(members:) agrees with one-by-one sets on random members, duplicates included")
    func bulkInitRandom() {
        var generator = SystemRandomNumberGenerator()
        let names = ["id", "ts", "a", "b", "ab", "a_b", "request_id", "metadata", "Z", "z", "é", "€"]
        for _ in 0..<500 {
            let count = Int.random(in: 0...20, using: &generator)
            let members = (0..<count).map { i in
                JSONObject.Member(key: names.randomElement(using: &generator)!, value: .number(Double(i)))
            }
            #expect(JSONObject(members: members) == Self.setOneByOne(members))
        }
    }

    @Test("the dictionary literal keeps the last of repeated keys")
    func literal() {
        let object: JSONObject = ["b": 1, "a": 2, "b": 3]
        #expect(object.keys == ["a", "b"])
        #expect(object["b"] == 3)
    }

    @Test(
        "merge(_:) equals setting the other object's members one by one",
        arguments: [
            ([], [("a", 1)]),
            ([("a", 1)], []),
            ([("action", "log"), ("level", "info"), ("ts", "t")], [("action", "pay"), ("request_id", "r"), ("zz", 1), ("a", 0)]),
            ([("b", 1), ("d", 2)], [("a", 3), ("c", 4), ("e", 5)]),
            ([("a", 1), ("b", 2)], [("a", 3), ("b", 4)]),
            ([("\u{E9}", 1), ("x", 2)], [("e\u{301}", 3), ("a", 4)]),
        ] as [([(String, JSONValue)], [(String, JSONValue)])]
    )
    func merge(base: [(String, JSONValue)], other: [(String, JSONValue)]) {
        var merged = Self.setOneByOne(Self.members(base))
        let addition = Self.setOneByOne(Self.members(other))
        merged.merge(addition)
        var expected = Self.setOneByOne(Self.members(base))
        for member in addition { expected[member.key] = member.value }
        #expect(merged == expected)
        #expect(merged.keys == expected.keys)
    }
}
