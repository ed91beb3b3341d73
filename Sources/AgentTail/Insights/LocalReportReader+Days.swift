import Foundation
import GRDB

extension LocalReportReader {
    /// Every UTC day from the baseline's start to the period's end, with its sessions, cost by model, and the
    /// occurrences of each error pattern (the report keeps those of its top patterns).
    static func days(_ query: ReportQuery, _ db: Database) throws -> [Report.Day] {
        let start = query.period.from.addingTimeInterval(-query.baselineSeconds)
        let window = Window(Report.Period(from: start, to: query.period.to))
        let firstPeriodDay = String(query.period.from.rfc3339.prefix(10))
        var days: [String: Report.Day] = [:]
        var day = ReportPeriod.calendar.startOfDay(for: start)
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
        // Cost by day and model in one pass over the calls, in the covering index's order (by time).
        var dayNumbers = TextNumbers()
        var models = TextNumbers()
        var costs: [[Double?]] = []
        let rows = try ColumnScan(
            db,
            sql: """
                SELECT started_at, model, cost_usd FROM llm_calls
                WHERE started_at >= ? AND started_at < ? AND cost_usd IS NOT NULL
                """,
            arguments: window.arguments)
        while try rows.next() {
            guard let day = rows.text(0, in: &dayNumbers, prefix: 10), let cost = rows.double(2) else { continue }
            let model = rows.text(1, in: &models) ?? models.number(of: "(no model)")
            if day == costs.count { costs.append([]) }
            while costs[day].count <= model { costs[day].append(nil) }
            costs[day][model] = (costs[day][model] ?? 0) + cost
        }
        for (day, byModel) in costs.enumerated() {
            for (model, cost) in byModel.enumerated() {
                if let cost { days[dayNumbers[day]]?.costByModel[models[model]] = ReportRounding.dollars(cost) }
            }
        }
        for row in try Row.fetchAll(
            db,
            sql: """
                SELECT substr(occurred_at, 1, 10) AS day, source || ' ' || coalesce(fingerprint, '') AS pattern,
                       count(*) AS n
                FROM agent_errors WHERE occurred_at >= ? AND occurred_at < ? GROUP BY 1, 2
                """,
            arguments: window.arguments)
        {
            days[row["day"] as String]?.errorsByPattern[row["pattern"]] = row["n"]
        }
        return days.values.sorted { $0.day < $1.day }
    }
}
