/// What a report is asked for: its period, how to split it, and how long the lists are.
package struct ReportQuery: Sendable {
    /// A dimension a report can be split by (`--by`).
    package enum Dimension: String, Sendable, CaseIterable {
        case day, agent, model, workspace, branch, host

        /// The session column that holds the dimension, for those that are a session's.
        var sessionColumn: String? {
            switch self {
            case .agent: "agent"
            case .workspace: "workspace"
            case .branch: "git_branch"
            case .host: "host"
            case .day, .model: nil
            }
        }
    }

    package var period: Report.Period
    package var by: Dimension?
    /// How many error patterns the report lists.
    package var errorLimit = 10
    /// How many of the slowest and the costliest sessions it lists.
    package var sessionLimit = 5
    /// How much of a session's task and of an error message it keeps.
    package var textLimit = 200
    /// How far back before the period the baseline of the anomalies reaches.
    package var baselineSeconds: Double = 7 * 86_400

    package init(period: Report.Period, by: Dimension? = nil) {
        self.period = period
        self.by = by
    }
}
