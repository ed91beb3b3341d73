import AgentTailCore
import Foundation

/// Which stretch of time a report covers, as the user asked for it.
package enum ReportPeriod: Sendable, Equatable {
    /// The last `duration` up to now.
    case since(Duration)
    /// One UTC calendar day.
    case day(year: Int, month: Int, day: Int)
    /// One ISO week (Monday to Sunday, UTC).
    case week(year: Int, week: Int)
    /// The last ISO week that has ended.
    case lastWeek
    /// From one instant to another.
    case range(from: Date, to: Date)

    /// A period the user wrote badly, with what to write instead.
    package struct Problem: Error, CustomStringConvertible {
        package var description: String
    }

    /// The UTC calendar used for days and ISO weeks.
    package static let calendar: Calendar = {
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    /// Reads `--day YYYY-MM-DD`.
    package static func day(_ text: String) throws(Problem) -> ReportPeriod {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
        guard text.count == 10, parts.count == 3, let year = parts[0], let month = parts[1], let day = parts[2],
            let date = calendar.date(from: DateComponents(year: year, month: month, day: day)),
            calendar.component(.month, from: date) == month, calendar.component(.day, from: date) == day
        else {
            throw Problem(description: "'\(text)' is not a day; write it as YYYY-MM-DD, such as 2026-12-01")
        }
        return .day(year: year, month: month, day: day)
    }

    /// Reads `--week YYYY-Www` (or `last`).
    package static func week(_ text: String) throws(Problem) -> ReportPeriod {
        if text == "last" { return .lastWeek }
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[1].first == "W" || parts[1].first == "w", let year = Int(parts[0]),
            let week = Int(parts[1].dropFirst()), (1...53).contains(week),
            week <= weeksIn(year: year)
        else {
            throw Problem(description: "'\(text)' is not an ISO week; write it as YYYY-Www, such as 2026-W48, or 'last'")
        }
        return .week(year: year, week: week)
    }

    /// Reads `--since`: a duration such as `24h`, `7d` or `90m`.
    package static func since(_ text: String) throws(Problem) -> ReportPeriod {
        guard let duration = Duration(text: text), duration > .zero else {
            throw Problem(description: "'\(text)' is not a duration; write it as 90m, 24h, 7d or 2w")
        }
        return .since(duration)
    }

    /// Reads `--from` and `--to`: RFC 3339 times, or days (which start at 00:00 UTC). `names` are how the caller
    /// calls the two, for messages.
    package static func range(
        from: String, to: String?, now: Date, names: (from: String, to: String) = ("--from", "--to")
    ) throws(Problem) -> ReportPeriod {
        let start = try instant(from, option: names.from)
        let end = try to.map { text throws(Problem) in try instant(text, option: names.to) } ?? now
        guard start < end else {
            throw Problem(
                description: "\(names.from) (\(start.rfc3339)) must come before \(names.to) (\(end.rfc3339))")
        }
        return .range(from: start, to: end)
    }

    private static func instant(_ text: String, option: String) throws(Problem) -> Date {
        if text.count == 10, case .day(let year, let month, let day) = try? Self.day(text) {
            return calendar.date(from: DateComponents(year: year, month: month, day: day))!
        }
        guard let date = Report.timestamps.parse(text) else {
            throw Problem(
                description: "\(option) '\(text)' is not a time; write a day (2026-12-01) or an RFC 3339 time "
                    + "(2026-12-01T09:30:00Z)")
        }
        return date
    }

    /// The interval `[from, to)` of the period, relative to `now`.
    package func resolve(now: Date) -> Report.Period {
        let calendar = Self.calendar
        switch self {
        case .since(let duration):
            return Report.Period(from: now.addingTimeInterval(-duration.seconds), to: now)
        case .day(let year, let month, let day):
            let start = calendar.date(from: DateComponents(year: year, month: month, day: day))!
            return Report.Period(from: start, to: calendar.date(byAdding: .day, value: 1, to: start)!)
        case .week(let year, let week):
            let start = Self.startOf(week: week, year: year)
            return Report.Period(from: start, to: calendar.date(byAdding: .day, value: 7, to: start)!)
        case .lastWeek:
            let thisWeek = calendar.dateInterval(of: .weekOfYear, for: now)!.start
            return Report.Period(from: calendar.date(byAdding: .day, value: -7, to: thisWeek)!, to: thisWeek)
        case .range(let from, let to):
            return Report.Period(from: from, to: to)
        }
    }

    /// The Monday 00:00 UTC that starts ISO week `week` of `year`.
    private static func startOf(week: Int, year: Int) -> Date {
        calendar.date(from: DateComponents(weekday: 2, weekOfYear: week, yearForWeekOfYear: year))!
    }

    /// 52 or 53.
    private static func weeksIn(year: Int) -> Int {
        // December 28 is always in the last ISO week of its year.
        let lastWeekDay = calendar.date(from: DateComponents(year: year, month: 12, day: 28))!
        return calendar.component(.weekOfYear, from: lastWeekDay)
    }
}
