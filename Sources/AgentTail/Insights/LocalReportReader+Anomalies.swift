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
    /// which periods a row falls (a bit each), and columns are read in place.
    static func observations(_ periods: [Report.Period], _ db: Database)
        throws -> [[AnomalyDetector.Subject: AnomalyDetector.Observations]]
    {
        // The periods' bounds cut time into segments; SQL tells a row's segment with a few comparisons, and each
        // segment stands for the periods that hold it.
        let cuts = Set(periods.flatMap { [$0.from, $0.to] }).sorted()
        let segments: [[Int]] = cuts.indices.dropLast().map { segment in
            periods.indices.filter { periods[$0].from <= cuts[segment] && cuts[segment + 1] <= periods[$0].to }
        }
        let bounds = cuts.map(\.rfc3339)
        func membership(_ column: String) -> String {
            "CASE " + bounds.dropFirst().indices.map { "WHEN \(column) < ? THEN \($0 - 1) " }.joined() + "END"
        }
        let arguments = StatementArguments(Array(bounds.dropFirst()) + [bounds.first!, bounds.last!])
        var result = Array(repeating: [AnomalyDetector.Subject: AnomalyDetector.Observations](), count: periods.count)
        /// One table's rows: (segment, subject, failed, duration, cost) by position.
        func read(_ kind: AnomalyDetector.Subject.Kind, _ sql: String, noName: String) throws {
            var names = TextNumbers()
            // Period by period, subject by subject (numbered as first seen).
            var observed = Array(repeating: [AnomalyDetector.Observations](), count: periods.count)
            let rows = try ColumnScan(db, sql: sql, arguments: arguments)
            var noNameNumber: Int?
            while try rows.next() {
                guard let segment = rows.int(0) else { continue }
                let subject: Int
                if let number = rows.text(1, in: &names) {
                    subject = number
                } else {
                    subject = noNameNumber ?? names.number(of: noName)
                    noNameNumber = subject
                }
                let failed = rows.bool(2) ?? false
                let duration = rows.double(3)
                let cost = rows.double(4)
                for index in segments[segment] {
                    while observed[index].count <= subject { observed[index].append(.init()) }
                    observed[index][subject].add(failed: failed, duration: duration, cost: cost)
                }
            }
            for index in periods.indices {
                for (subject, observations) in observed[index].enumerated() where observations.trials > 0 {
                    result[index][.init(kind, names[subject])] = observations
                }
            }
        }
        try read(
            .agent,
            """
            SELECT \(membership("started_at")), agent, status <> 'completed', duration_ms, cost_usd
            FROM agent_sessions
            WHERE started_at >= ? AND started_at < ? AND status IN ('completed', 'failed', 'abandoned')
            """,
            noName: "(no agent)")
        try read(
            .tool,
            """
            SELECT \(membership("started_at")), tool_name, success = 0, duration_ms, NULL FROM tool_executions
            WHERE started_at >= ? AND started_at < ?
            """,
            noName: "")
        try read(
            .model,
            """
            SELECT \(membership("started_at")), model, status <> 'ok', latency_ms, NULL FROM llm_calls
            WHERE started_at >= ? AND started_at < ? AND model IS NOT NULL
              AND status IN ('ok', 'error', 'no_response')
            """,
            noName: "")
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
