#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A UTC instant with microsecond resolution: how every event time is stored.
///
/// Parsing accepts RFC 3339 / ISO 8601 extended format date-times with 0 to 9 fraction digits and
/// `Z` or a `±hh:mm` offset; digits beyond the sixth are truncated (never rounded, so an event never
/// moves into the next second). A leap second (`:60`) is held at `:59.999999` of the same minute.
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Microseconds since 1970-01-01T00:00:00Z.
    public var microsecondsSinceEpoch: Int64

    public init(microsecondsSinceEpoch: Int64) {
        self.microsecondsSinceEpoch = microsecondsSinceEpoch
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.microsecondsSinceEpoch < rhs.microsecondsSinceEpoch
    }

    /// Earliest and latest instants representable in the stored form (years 0001 to 9999).
    public static let minimum = Timestamp(microsecondsSinceEpoch: -62_135_596_800_000_000)
    public static let maximum = Timestamp(microsecondsSinceEpoch: 253_402_300_799_999_999)

    /// The current wall-clock time.
    public static func now() -> Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(microsecondsSinceEpoch: Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000)
    }

    /// The stored form: `YYYY-MM-DDTHH:MM:SS.ffffffZ` (an instant outside years 0001 to 9999, which
    /// parsing never gives, prints as the nearest one inside them).
    public var description: String {
        String(unsafeUninitializedCapacity: Self.descriptionLength) { buffer in
            writeDescription(to: UnsafeMutableRawBufferPointer(buffer))
            return Self.descriptionLength
        }
    }

    /// The length of ``description``.
    static let descriptionLength = 27

    /// Whether `text` is ``description``, without building the string.
    func descriptionEquals(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        guard text.count == Self.descriptionLength else { return false }
        return withUnsafeTemporaryAllocation(byteCount: Self.descriptionLength, alignment: 1) { buffer in
            writeDescription(to: buffer)
            return memcmp(buffer.baseAddress!, text.baseAddress!, Self.descriptionLength) == 0
        }
    }

    private func writeDescription(to out: UnsafeMutableRawBufferPointer) {
        let clamped = min(max(microsecondsSinceEpoch, Self.minimum.microsecondsSinceEpoch), Self.maximum.microsecondsSinceEpoch)
        var seconds = clamped.quotientAndRemainder(dividingBy: 1_000_000)
        if seconds.remainder < 0 {
            seconds.quotient -= 1
            seconds.remainder += 1_000_000
        }
        var days = seconds.quotient.quotientAndRemainder(dividingBy: 86_400)
        if days.remainder < 0 {
            days.quotient -= 1
            days.remainder += 86_400
        }
        let (year, month, day) = Timestamp.civil(fromDays: days.quotient)
        let secondOfDay = Int(days.remainder)
        var i = 0
        func digits(_ value: Int, _ width: Int) {
            var v = value
            for j in stride(from: width - 1, through: 0, by: -1) {
                out[i + j] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
            }
            i += width
        }
        func literal(_ c: Unicode.Scalar) {
            out[i] = UInt8(ascii: c)
            i += 1
        }
        digits(Int(year), 4); literal("-")
        digits(month, 2); literal("-")
        digits(day, 2); literal("T")
        digits(secondOfDay / 3600, 2); literal(":")
        digits(secondOfDay / 60 % 60, 2); literal(":")
        digits(secondOfDay % 60, 2); literal(".")
        digits(Int(seconds.remainder), 6); literal("Z")
    }

    /// Parses an RFC 3339 date-time; `nil` with a reason through ``parse(_:)`` for messages.
    public init?(rfc3339 text: some StringProtocol) {
        guard case .success(let value) = Timestamp.parse(text) else { return nil }
        self = value
    }

    /// Parses an RFC 3339 date-time from its UTF-8 bytes (a value inside a stored line), without
    /// building a string.
    package init?(rfc3339UTF8 bytes: UnsafeRawBufferPointer) {
        guard case .success(let value) = Timestamp.parse(utf8: bytes.bindMemory(to: UInt8.self)) else { return nil }
        self = value
    }

    /// Parses an RFC 3339 date-time, or says exactly what is wrong with it.
    public static func parse(_ text: some StringProtocol) -> Result<Timestamp, TimestampError> {
        if let result = text.utf8.withContiguousStorageIfAvailable({ parse(utf8: $0) }) { return result }
        return Array(text.utf8).withUnsafeBufferPointer { parse(utf8: $0) }
    }

    static func parse(utf8 b: UnsafeBufferPointer<UInt8>) -> Result<Timestamp, TimestampError> {
        func fail(_ reason: String) -> Result<Timestamp, TimestampError> {
            .failure(TimestampError(reason: reason))
        }
        func number(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= b.count else { return nil }
            var v = 0
            for i in start..<(start + count) {
                let d = b[i] &- UInt8(ascii: "0")
                guard d < 10 else { return nil }
                v = v * 10 + Int(d)
            }
            return v
        }
        guard b.count >= 20 else { return fail("expected YYYY-MM-DDTHH:MM:SS followed by Z or ±hh:mm") }
        guard let year = number(0, 4), b[4] == UInt8(ascii: "-"), let month = number(5, 2), b[7] == UInt8(ascii: "-"),
            let day = number(8, 2)
        else { return fail("the date must be YYYY-MM-DD") }
        guard b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t") || b[10] == UInt8(ascii: " ") else {
            return fail("date and time must be separated by 'T'")
        }
        guard let hour = number(11, 2), b[13] == UInt8(ascii: ":"), let minute = number(14, 2), b[16] == UInt8(ascii: ":"),
            var second = number(17, 2)
        else { return fail("the time must be HH:MM:SS") }
        guard year >= 1 else { return fail("year 0000 is out of range") }
        guard (1...12).contains(month) else { return fail("month \(month) is out of range") }
        guard (1...daysIn(month: month, year: year)).contains(day) else { return fail("day \(day) does not exist in \(year)-\(month)") }
        guard hour < 24 else { return fail("hour \(hour) is out of range") }
        guard minute < 60 else { return fail("minute \(minute) is out of range") }
        guard second <= 60 else { return fail("second \(second) is out of range") }
        var i = 19
        var micros = 0
        if i < b.count, b[i] == UInt8(ascii: ".") || b[i] == UInt8(ascii: ",") {
            i += 1
            var count = 0
            while i < b.count, b[i] &- UInt8(ascii: "0") < 10 {
                if count < 6 { micros = micros * 10 + Int(b[i] - UInt8(ascii: "0")) }
                count += 1
                i += 1
            }
            guard (1...9).contains(count) else {
                return fail(count == 0 ? "a decimal point must be followed by digits" : "more than 9 fraction digits")
            }
            if count < 6 {
                for _ in count..<6 { micros *= 10 }
            }
        }
        guard i < b.count else { return fail("missing time zone: add Z or an offset such as +00:00") }
        var offsetSeconds = 0
        switch b[i] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            i += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard let oh = number(i + 1, 2), i + 3 < b.count, b[i + 3] == UInt8(ascii: ":"), let om = number(i + 4, 2) else {
                return fail("the offset must be ±hh:mm")
            }
            guard oh < 24, om < 60 else { return fail("offset out of range") }
            offsetSeconds = (oh * 3600 + om * 60) * (b[i] == UInt8(ascii: "-") ? -1 : 1)
            i += 6
        default:
            return fail("missing time zone: add Z or an offset such as +00:00")
        }
        guard i == b.count else { return fail("unexpected characters after the time zone") }
        if second == 60 {
            second = 59
            micros = 999_999
        }
        let days = daysFromCivil(year: Int64(year), month: month, day: day)
        let secondsOfDay = Int64(hour * 3600 + minute * 60 + second - offsetSeconds)
        let value = Timestamp(microsecondsSinceEpoch: (days * 86_400 + secondsOfDay) * 1_000_000 + Int64(micros))
        guard value >= minimum, value <= maximum else { return fail("the instant is outside years 0001 to 9999 in UTC") }
        return .success(value)
    }

    /// The number of days in a month of the proleptic Gregorian calendar.
    package static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    package static func daysFromCivil(year: Int64, month: Int, day: Int) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The proleptic Gregorian date of a day counted from 1970-01-01 (the inverse of ``daysFromCivil(year:month:day:)``).
    package static func civil(fromDays z0: Int64) -> (year: Int64, month: Int, day: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = Int(doy - (153 * mp + 2) / 5 + 1)
        let m = Int(mp < 10 ? mp + 3 : mp - 9)
        return (m <= 2 ? y + 1 : y, m, d)
    }
}

/// Why a date-time was not accepted.
public struct TimestampError: Error, Hashable, Sendable, CustomStringConvertible {
    public var reason: String
    public var description: String { "invalid RFC 3339 timestamp: \(reason)" }
}
