import AuditModel
import Testing

@Suite("Timestamps")
struct TimestampTests {
    @Test(
        "normalises RFC 3339 forms to UTC microseconds",
        arguments: [
            ("2026-11-20T10:00:00Z", "2026-11-20T10:00:00.000000Z"),
            ("2026-11-20T10:00:00.1Z", "2026-11-20T10:00:00.100000Z"),
            ("2026-11-20T10:00:00.123456789Z", "2026-11-20T10:00:00.123456Z"),
            ("2026-11-20T10:00:00.999999999Z", "2026-11-20T10:00:00.999999Z"),
            ("2026-11-20T10:00:00+00:00", "2026-11-20T10:00:00.000000Z"),
            ("2026-11-20T11:30:00.5+01:30", "2026-11-20T10:00:00.500000Z"),
            ("2026-11-20T02:00:00-08:00", "2026-11-20T10:00:00.000000Z"),
            ("2026-01-01T00:30:00+01:00", "2025-12-31T23:30:00.000000Z"),
            ("2024-02-29T23:59:60Z", "2024-02-29T23:59:59.999999Z"),
            ("1970-01-01T00:00:00Z", "1970-01-01T00:00:00.000000Z"),
            ("1969-12-31T23:59:59.999999Z", "1969-12-31T23:59:59.999999Z"),
            ("2026-11-20t10:00:00z", "2026-11-20T10:00:00.000000Z"),
        ]
    )
    func normalises(input: String, expected: String) throws {
        let ts = try #require(Timestamp(rfc3339: input))
        #expect(ts.description == expected)
    }

    @Test(
        "rejects what is not a valid date-time",
        arguments: [
            "2026-11-20", "2026-11-20T10:00:00", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z",
            "2026-11-20T24:00:00Z", "2026-11-20T10:00:00.Z", "2026-11-20T10:00:00.1234567890Z",
            "2026-11-20T10:00:00+0100", "2026-11-20T10:00:00Zjunk", "0000-01-01T00:00:00Z", "yesterday",
        ]
    )
    func rejects(input: String) {
        #expect(Timestamp(rfc3339: input) == nil)
    }

    @Test("round trip through the stored form for many instants")
    func roundTrip() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<10_000 {
            let micros = Int64.random(in: Timestamp.minimum.microsecondsSinceEpoch...Timestamp.maximum.microsecondsSinceEpoch, using: &rng)
            let ts = Timestamp(microsecondsSinceEpoch: micros)
            #expect(Timestamp(rfc3339: ts.description) == ts)
        }
    }

    @Test("the stored form at the edges, and an instant outside years 0001 to 9999 prints as the nearest edge")
    func edges() {
        #expect(Timestamp.minimum.description == "0001-01-01T00:00:00.000000Z")
        #expect(Timestamp.maximum.description == "9999-12-31T23:59:59.999999Z")
        #expect(Timestamp(microsecondsSinceEpoch: 0).description == "1970-01-01T00:00:00.000000Z")
        #expect(Timestamp(microsecondsSinceEpoch: -1).description == "1969-12-31T23:59:59.999999Z")
        #expect(Timestamp(microsecondsSinceEpoch: .min).description == Timestamp.minimum.description)
        #expect(Timestamp(microsecondsSinceEpoch: .max).description == Timestamp.maximum.description)
    }
}
