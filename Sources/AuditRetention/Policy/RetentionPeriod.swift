import AuditModel

/// How long a category's records are kept: a positive count of days, weeks, calendar months or
/// calendar years, written `30d`, `6w`, `18mo`, `7y`.
public struct RetentionPeriod: Sendable, Hashable, LosslessStringConvertible {
    /// The unit of a period; the raw value is its suffix in a policy file.
    public enum Unit: String, Sendable, Hashable, CaseIterable {
        case days = "d"
        case weeks = "w"
        case months = "mo"
        case years = "y"

        /// The largest count a policy file may give: 100 years, beyond which `forever` is meant.
        public var maximumCount: Int {
            switch self {
            case .days: 36_525
            case .weeks: 5_218
            case .months: 1_200
            case .years: 100
            }
        }
    }

    /// At least 1.
    public var count: Int
    public var unit: Unit

    public init(count: Int, unit: Unit) {
        self.count = count
        self.unit = unit
    }

    /// Parses `30d`, `6w`, `18mo` or `7y`: digits without sign or leading zero, then the unit,
    /// with a count from 1 to the unit's ``Unit/maximumCount``. `nil` for anything else.
    public init?(_ description: String) {
        guard let (count, unit) = Self.components(of: description), count <= unit.maximumCount else { return nil }
        self.init(count: count, unit: unit)
    }

    /// The count and unit when `text` has the form of a period, whatever its size.
    static func components(of text: String) -> (Int, Unit)? {
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        guard let first = digits.first, first != "0", digits.count <= 9, let count = Int(digits),
            let unit = Unit(rawValue: String(text.dropFirst(digits.count)))
        else { return nil }
        return (count, unit)
    }

    /// `7y`, `18mo`: the form a policy file uses.
    public var description: String { "\(count)\(unit.rawValue)" }

    /// `ts` moved forward by this period, in UTC.
    ///
    /// Days and weeks are exact multiples of 86,400 seconds. Months and years are calendar
    /// arithmetic that keeps the time of day and clamps the day to the target month's length:
    /// 2024-01-31 + 1mo = 2024-02-29, 2023-01-31 + 1mo = 2023-02-28, 2024-02-29 + 1y = 2025-02-28.
    /// A result past ``Timestamp/maximum`` (year 9999) is ``Timestamp/maximum``.
    public func added(to ts: Timestamp) -> Timestamp {
        let microsecondsPerDay: Int64 = 86_400_000_000
        // Beyond 10,000 years every instant lands past year 9999; the bound also keeps the
        // arithmetic below from overflowing.
        let count = Int64(min(max(self.count, 0), 3_660_000))
        switch unit {
        case .days, .weeks:
            let days = unit == .weeks ? count * 7 : count
            return min(Timestamp(microsecondsSinceEpoch: ts.microsecondsSinceEpoch + days * microsecondsPerDay), .maximum)
        case .months, .years:
            let months = unit == .years ? count * 12 : count
            var day = ts.microsecondsSinceEpoch.quotientAndRemainder(dividingBy: microsecondsPerDay)
            if day.remainder < 0 {
                day.quotient -= 1
                day.remainder += microsecondsPerDay
            }
            let date = Timestamp.civil(fromDays: day.quotient)
            let monthIndex = date.year * 12 + Int64(date.month - 1) + months
            let year = monthIndex / 12
            let month = Int(monthIndex % 12) + 1
            guard year <= 9999 else { return .maximum }
            let dayOfMonth = min(date.day, Timestamp.daysIn(month: month, year: Int(year)))
            let days = Timestamp.daysFromCivil(year: year, month: month, day: dayOfMonth)
            return min(Timestamp(microsecondsSinceEpoch: days * microsecondsPerDay + day.remainder), .maximum)
        }
    }
}
