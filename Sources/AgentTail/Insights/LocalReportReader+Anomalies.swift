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
        // One pass over each table gathers all windows; a week's report with a week's baseline is its own drift.
        let drift = lastWeek != period || weekBefore != baselinePeriod
        let windows = try observations(drift ? [period, baselinePeriod, lastWeek, weekBefore] : [period, baselinePeriod], db)
        let (current, baseline) = (windows[0], windows[1])
        let (recent, before) = drift ? (windows[2], windows[3]) : ([:], [:])
        for subject in current.keys.sorted(by: { $0.id < $1.id }) {
            let result = detector.compare(
                subject, period: current[subject]!, baseline: baseline[subject] ?? .init())
            found += result.anomalies
            if result.tooLittleData { undecided.append(subject.id) }
        }
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

    /// What each agent, tool and model did in each of `periods`, read in one pass over each table: SQL tells in
    /// which periods a row falls (a bit each), and columns are read by position.
    static func observations(_ periods: [Report.Period], _ db: Database)
        throws -> [[AnomalyDetector.Subject: AnomalyDetector.Observations]]
    {
        var result = Array(repeating: [AnomalyDetector.Subject: AnomalyDetector.Observations](), count: periods.count)
        // The periods' bounds cut time into segments; SQL tells a row's segment with a few comparisons, and each
        // segment stands for the periods that hold it.
        let cuts = Set(periods.flatMap { [$0.from, $0.to] }).sorted()
        let masks: [Int] = cuts.indices.dropLast().map { segment in
            periods.indices.reduce(0) { mask, index in
                periods[index].from <= cuts[segment] && cuts[segment + 1] <= periods[index].to ? mask | 1 << index : mask
            }
        }
        let bounds = cuts.map(\.rfc3339)
        func membership(_ column: String) -> String {
            "CASE " + bounds.dropFirst().indices.map { "WHEN \(column) < ? THEN \($0 - 1) " }.joined() + "END"
        }
        let arguments = StatementArguments(Array(bounds.dropFirst()) + [bounds.first!, bounds.last!])
        /// Adds one row to every period its segment belongs to.
        func add(
            _ segment: Int, _ subject: AnomalyDetector.Subject, failed: Bool, duration: Double?, cost: Double? = nil
        ) {
            let mask = masks[segment]
            for index in periods.indices where mask & (1 << index) != 0 {
                result[index][subject, default: .init()].add(failed: failed, duration: duration, cost: cost)
            }
        }
        let sessions = try Row.fetchCursor(
            db,
            sql: """
                SELECT \(membership("started_at")), coalesce(agent, '(no agent)'), status <> 'completed', duration_ms,
                       cost_usd
                FROM agent_sessions
                WHERE started_at >= ? AND started_at < ? AND status IN ('completed', 'failed', 'abandoned')
                """,
            arguments: arguments)
        while let row = try sessions.next() {
            add(row[0], .init(.agent, row[1]), failed: row[2], duration: row[3], cost: row[4])
        }
        let tools = try Row.fetchCursor(
            db,
            sql: """
                SELECT \(membership("started_at")), tool_name, success = 0, duration_ms FROM tool_executions
                WHERE started_at >= ? AND started_at < ?
                """,
            arguments: arguments)
        while let row = try tools.next() {
            add(row[0], .init(.tool, row[1]), failed: row[2] ?? false, duration: row[3])
        }
        let calls = try Row.fetchCursor(
            db,
            sql: """
                SELECT \(membership("started_at")), model, status <> 'ok', latency_ms FROM llm_calls
                WHERE started_at >= ? AND started_at < ? AND model IS NOT NULL
                  AND status IN ('ok', 'error', 'no_response')
                """,
            arguments: arguments)
        while let row = try calls.next() {
            add(row[0], .init(.model, row[1]), failed: row[2], duration: row[3])
        }
        return result
    }
}

extension AnomalyDetector.Observations {
    /// Counts one case.
    mutating func add(failed: Bool, duration: Double?, cost: Double?) {
        trials += 1
        if failed { failures += 1 }
        if let duration { durations.append(duration) }
        if let cost { costs.append(cost) }
    }
}
