import Foundation
import GRDB

extension LocalReportReader {
    /// The anomalies of the period against the baseline before it, and of the last seven days against the seven
    /// before; with a note when there was too little data to judge.
    static func anomalies(_ query: ReportQuery, _ db: Database) throws -> (anomalies: [Report.Anomaly], notes: [String]) {
        let detector = AnomalyDetector()
        let period = query.period
        let baselinePeriod = Report.Period(from: period.from.addingTimeInterval(-query.baselineSeconds), to: period.from)
        let week = 7 * 86_400.0
        let lastWeek = Report.Period(from: period.to.addingTimeInterval(-week), to: period.to)
        let weekBefore = Report.Period(from: lastWeek.from.addingTimeInterval(-week), to: lastWeek.from)

        var found: [Report.Anomaly] = []
        var undecided: [String] = []
        let current = try observations(Window(period), db)
        let baseline = try observations(Window(baselinePeriod), db)
        for subject in current.keys.sorted(by: { $0.id < $1.id }) {
            let result = detector.compare(
                subject, period: current[subject]!, baseline: baseline[subject] ?? .init())
            found += result.anomalies
            if result.tooLittleData { undecided.append(subject.id) }
        }
        let recent = try observations(Window(lastWeek), db)
        let before = try observations(Window(weekBefore), db)
        for subject in recent.keys.sorted(by: { $0.id < $1.id }) {
            for drift in detector.compare(
                subject, period: recent[subject]!, baseline: before[subject] ?? .init(), comparison: .weekOverWeek
            ).anomalies where !found.contains(where: { $0.subject == drift.subject && $0.metric == drift.metric }) {
                found.append(drift)
            }
        }
        var notes: [String] = []
        if !undecided.isEmpty {
            let shown = undecided.prefix(6).joined(separator: ", ") + (undecided.count > 6 ? ", ..." : "")
            let what = undecided.count == current.count ? "anything" : "\(undecided.count) of \(current.count) subjects"
            notes.append(
                "Too little data to judge \(what) for anomalies (\(shown)): at least "
                    + "\(detector.minimumPeriodCount) cases in the period and \(detector.minimumBaselineCount) in the "
                    + "\(Int(query.baselineSeconds / 86_400)) days before are needed.")
        }
        return (found, notes)
    }

    /// What each agent, tool and model did in `window`.
    static func observations(_ window: Window, _ db: Database)
        throws -> [AnomalyDetector.Subject: AnomalyDetector.Observations]
    {
        var result: [AnomalyDetector.Subject: AnomalyDetector.Observations] = [:]
        let sessions = try Row.fetchCursor(
            db,
            sql: """
                SELECT agent, status, duration_ms, cost_usd FROM agent_sessions
                WHERE started_at >= ? AND started_at < ? AND status IN ('completed', 'failed', 'abandoned')
                """,
            arguments: window.arguments)
        while let row = try sessions.next() {
            let subject = AnomalyDetector.Subject(.agent, row["agent"] ?? "(no agent)")
            result[subject, default: .init()].trials += 1
            if (row["status"] as String) != "completed" { result[subject, default: .init()].failures += 1 }
            if let duration = row["duration_ms"] as Double? { result[subject, default: .init()].durations.append(duration) }
            if let cost = row["cost_usd"] as Double? { result[subject, default: .init()].costs.append(cost) }
        }
        let tools = try Row.fetchCursor(
            db,
            sql: """
                SELECT tool_name, success, duration_ms FROM tool_executions WHERE started_at >= ? AND started_at < ?
                """,
            arguments: window.arguments)
        while let row = try tools.next() {
            let subject = AnomalyDetector.Subject(.tool, row["tool_name"])
            result[subject, default: .init()].trials += 1
            if (row["success"] as Bool?) == false { result[subject, default: .init()].failures += 1 }
            if let duration = row["duration_ms"] as Double? { result[subject, default: .init()].durations.append(duration) }
        }
        let calls = try Row.fetchCursor(
            db,
            sql: """
                SELECT model, status, latency_ms FROM llm_calls
                WHERE started_at >= ? AND started_at < ? AND model IS NOT NULL
                  AND status IN ('ok', 'error', 'no_response')
                """,
            arguments: window.arguments)
        while let row = try calls.next() {
            let subject = AnomalyDetector.Subject(.model, row["model"])
            result[subject, default: .init()].trials += 1
            if (row["status"] as String) != "ok" { result[subject, default: .init()].failures += 1 }
            if let latency = row["latency_ms"] as Double? { result[subject, default: .init()].durations.append(latency) }
        }
        return result
    }
}
