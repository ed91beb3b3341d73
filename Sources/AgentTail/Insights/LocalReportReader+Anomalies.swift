import Foundation
import GRDB

extension LocalReportReader {
    /// The anomalies of the period against the baseline before it, and of the last seven days against the seven
    /// before; with a note when there was too little data to judge. `observations` holds what each agent, model
    /// and tool did in each of the plan's windows.
    static func anomalies(
        _ query: ReportQuery, _ plan: ReportPlan,
        _ observations: [[AnomalyDetector.Subject: AnomalyDetector.Observations]]
    ) -> (anomalies: [Report.Anomaly], notes: [String]) {
        let detector = AnomalyDetector()
        let windows = observations
        var found: [Report.Anomaly] = []
        var undecided: [String] = []
        let (current, baseline) = (windows[0], windows[1])
        let (recent, before) = plan.hasDrift ? (windows[2], windows[3]) : ([:], [:])
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

    /// What each agent's ended sessions did in each of the plan's windows.
    static func sessionObservations(_ plan: ReportPlan, _ db: Database) throws
        -> [[AnomalyDetector.Subject: AnomalyDetector.Observations]]
    {
        var result = Array(repeating: [AnomalyDetector.Subject: AnomalyDetector.Observations](), count: plan.windows.count)
        let rows = try ColumnScan(
            db,
            sql: """
                SELECT started_at, coalesce(agent, '(no agent)'), status <> 'completed', duration_ms, cost_usd
                FROM agent_sessions
                WHERE started_at >= ? AND started_at < ? AND status IN ('completed', 'failed', 'abandoned')
                """,
            arguments: plan.span)
        while try rows.next() {
            guard let started = rows.bytes(0), let agent = rows.text(1) else { continue }
            for index in plan.windows(at: started) {
                result[index][.init(.agent, agent), default: .init()].add(
                    failed: rows.bool(2) ?? false, duration: rows.double(3), cost: rows.double(4))
            }
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
