import Foundation

/// One column value of a normalized row, typed so that every sink can store it natively.
package enum ColumnValue: Sendable, Equatable {
    case null
    case text(String)
    case int(Int)
    case bool(Bool)
    case timestamp(Date)
    case uuid(UUID)
    /// JSON text, stored as JSON (jsonb in PostgreSQL), never re-encoded as a string.
    case json(String)
    /// An amount of money, written as an exact decimal (numeric in PostgreSQL).
    case usd(USDAmount)

    package init(_ value: String?) { self = value.map(ColumnValue.text) ?? .null }
    package init(_ value: Int?) { self = value.map(ColumnValue.int) ?? .null }
    package init(_ value: Bool?) { self = value.map(ColumnValue.bool) ?? .null }
    package init(_ value: Date?) { self = value.map(ColumnValue.timestamp) ?? .null }
    package init(_ value: UUID?) { self = value.map(ColumnValue.uuid) ?? .null }
    package init(json value: String?) { self = value.map(ColumnValue.json) ?? .null }
    package init(_ value: USDAmount?) { self = value.map(ColumnValue.usd) ?? .null }
}

extension Date {
    /// RFC 3339 text in UTC with milliseconds, such as `2026-11-26T19:25:57.573Z`.
    package var rfc3339: String {
        let totalMillis = Int64((timeIntervalSince1970 * 1000).rounded(.down))
        var days = totalMillis / 86_400_000
        var millisOfDay = totalMillis % 86_400_000
        if millisOfDay < 0 {
            millisOfDay += 86_400_000
            days -= 1
        }
        // Civil date from days since the epoch (Howard Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        let hour = millisOfDay / 3_600_000
        let minute = millisOfDay / 60_000 % 60
        let second = millisOfDay / 1000 % 60
        let millis = millisOfDay % 1000
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2)).\(pad(millis, 3))Z"
    }
}
