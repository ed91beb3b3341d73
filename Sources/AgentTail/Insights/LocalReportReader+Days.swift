import Foundation
import GRDB

extension LocalReportReader {
    /// Every UTC day from the baseline's start to the period's end, with its sessions; the cost by model and the
    /// errors by pattern come from the passes over the calls and the errors.
    static func days(_ query: ReportQuery, _ plan: ReportPlan, _ db: Database) throws -> [Report.Day] {
        let window = Window(Report.Period(from: plan.firstDay, to: query.period.to))
        let firstPeriodDay = String(query.period.from.rfc3339.prefix(10))
        var days: [String: Report.Day] = [:]
        var day = plan.firstDay
        while day < query.period.to {
            let key = String(day.rfc3339.prefix(10))
            days[key] = Report.Day(day: key, inPeriod: key >= firstPeriodDay)
            day = ReportPeriod.calendar.date(byAdding: .day, value: 1, to: day)!
        }
        for row in try Row.fetchAll(
            db,
            sql: """
                SELECT substr(started_at, 1, 10) AS day, count(*) AS sessions,
                       count(*) FILTER (WHERE status = 'completed') AS completed,
                       count(*) FILTER (WHERE status = 'failed') AS failed
                FROM agent_sessions WHERE started_at >= ? AND started_at < ? GROUP BY 1
                """,
            arguments: window.arguments)
        {
            let key: String = row["day"]
            days[key]?.sessions = row["sessions"]
            days[key]?.completed = row["completed"]
            days[key]?.failed = row["failed"]
        }
        return days.values.sorted { $0.day < $1.day }
    }
}
