import Foundation

/// Finds what went wrong inside one session from what its log shows, each problem with the rows that show it.
///
/// - `loop`: the same tool with the same arguments `minimumLoop` times or more in a row.
/// - `repeated_read`: one file read `minimumRereads` times or more.
/// - `failing_streak`: `minimumFailingStreak` tool runs or more failing one after another.
/// - `llm_retries_exhausted`: the last LLM call failed, or the request after it failed, and the session ended there.
/// - `no_final_answer`: the session failed or was abandoned without a final answer (when no failed call explains it).
/// - `outlier_session`: far longer or costlier than the agent's usual (see `SessionNorm`).
package struct ProblemFinder: Sendable {
    /// One session as the finder sees it.
    package struct Session: Sendable {
        package var id: String
        package var agent: String?
        package var status: String
        package var hasFinalAnswer: Bool
        package var durationMs: Double?
        package var costUsd: Double?
        /// Its LLM calls in order.
        package var calls: [Call] = []
        /// Its tool runs in order.
        package var tools: [Tool] = []

        package init(id: String, agent: String?, status: String, hasFinalAnswer: Bool, durationMs: Double?,
                     costUsd: Double?)
        {
            self.id = id
            self.agent = agent
            self.status = status
            self.hasFinalAnswer = hasFinalAnswer
            self.durationMs = durationMs
            self.costUsd = costUsd
        }
    }

    package struct Call: Sendable {
        package var id: String
        package var seq: Int
        package var status: String
        package var latencyMs: Double?
        package var costUsd: Double?
        /// LLM errors logged against the call (API errors, retries).
        package var errors: [String] = []

        package init(id: String, seq: Int, status: String, latencyMs: Double?, costUsd: Double?, errors: [String] = []) {
            self.id = id
            self.seq = seq
            self.status = status
            self.latencyMs = latencyMs
            self.costUsd = costUsd
            self.errors = errors
        }
    }

    package struct Tool: Sendable {
        package var id: String
        package var name: String
        /// The arguments as stored (JSON text), compared as they are.
        package var arguments: String?
        /// The file a read tool read, when its arguments name one.
        package var readPath: String?
        package var success: Bool
        package var durationMs: Double?

        package init(id: String, name: String, arguments: String?, readPath: String?, success: Bool,
                     durationMs: Double?)
        {
            self.id = id
            self.name = name
            self.arguments = arguments
            self.readPath = readPath
            self.success = success
            self.durationMs = durationMs
        }
    }

    /// What is usual for an agent: the median and spread of the logarithms of its sessions' durations and costs.
    package struct SessionNorm: Sendable {
        package var sessions: Int
        package var medianDurationMs: Double?
        package var durationSpread: Double
        package var medianCostUsd: Double?
        package var costSpread: Double

        /// The norm of `durations` and `costs` (one per ended session), spreads floored so that identical
        /// sessions do not make any difference an outlier.
        package init(durations: [Double], costs: [Double]) {
            sessions = max(durations.count, costs.count)
            medianDurationMs = RobustStatistics.median(durations)
            durationSpread = max(RobustStatistics.mad(durations.map { log1p($0) }) ?? 0, 0.1) * 1.4826
            medianCostUsd = RobustStatistics.median(costs)
            costSpread = max(RobustStatistics.mad(costs.map { log1p($0 * 1000) }) ?? 0, 0.1) * 1.4826
        }
    }

    package var minimumLoop = 3
    package var minimumRereads = 4
    package var minimumFailingStreak = 3
    /// Sessions of an agent needed before one of them can be called an outlier.
    package var minimumNormSessions = 20
    /// How far above the usual, in robust standard deviations of the logarithm, and how many times the median.
    package var outlierDeviations = 6.0
    package var outlierRatio = 5.0

    /// The version of what `sessionProblems(in:)` finds: findings stored by another version are found again.
    package static let version = 1

    package init() {}

    /// Every problem of `session`.
    package func problems(in session: Session, norm: SessionNorm?) -> [Report.Problem] {
        sessionProblems(in: session) + [outlierProblem(in: session, norm: norm)].compactMap { $0 }
    }

    /// What the session shows by itself (every kind but `outlier_session`): the same whenever it is looked at, so
    /// the embedded store keeps it from when the session ends.
    package func sessionProblems(in session: Session) -> [Report.Problem] {
        var found: [Report.Problem] = []
        func add(_ kind: String, _ explanation: String, _ evidence: [String]) {
            found.append(Report.Problem(kind: kind, sessionId: session.id, explanation: explanation, evidence: evidence))
        }
        if let loop = longestRun(session.tools, where: { $0.name == $1.name && $0.arguments == $1.arguments }),
            loop.count >= minimumLoop
        {
            let arguments = ReportText.cut(loop[0].arguments ?? "no arguments", to: 80)
            add("loop", "\(loop[0].name) ran \(loop.count) times in a row with the same arguments: \(arguments)",
                loop.map(\.id))
        }
        let reads = Dictionary(grouping: session.tools.filter { $0.readPath != nil }, by: { $0.readPath! })
        if let (path, runs) = reads.max(by: { ($0.value.count, $1.key) < ($1.value.count, $0.key) }),
            runs.count >= minimumRereads
        {
            add("repeated_read", "\(path) was read \(runs.count) times", runs.map(\.id))
        }
        if let streak = longestRun(session.tools, where: { !$0.success && !$1.success }), !streak[0].success,
            streak.count >= minimumFailingStreak
        {
            let names = streak.map(\.name).uniqued().joined(separator: ", ")
            add("failing_streak", "\(streak.count) tool runs failed one after another (\(names))", streak.map(\.id))
        }
        let ended = session.status != "running" && session.status != "interrupted"
        var explained = false
        if ended, session.status != "completed", let last = session.calls.last,
            last.status == "error" || last.status == "no_response" || !last.errors.isEmpty
        {
            let errors = last.errors.count
            let example = last.errors.first.map { ": " + ReportText.cut($0, to: 80) } ?? ""
            let what =
                last.status == "error" || last.status == "no_response"
                ? "LLM call \(last.seq) ended \(last.status == "error" ? "in an error" : "without a response")"
                    + (errors > 0 ? " after \(errors) error\(errors == 1 ? "" : "s")\(example)" : "")
                : "the LLM request after call \(last.seq) failed \(errors == 1 ? "once" : "\(errors) times")\(example)"
            add("llm_retries_exhausted", what + ", and the session ended \(session.status) with it", [last.id])
            explained = true
        }
        if ended, session.status != "completed", !session.hasFinalAnswer, !explained {
            add("no_final_answer",
                "the session ended \(session.status) without a final answer after "
                    + "\(Self.count(session.calls.count, "LLM call")) and \(Self.count(session.tools.count, "tool run"))",
                session.calls.suffix(1).map(\.id))
        }
        return found
    }

    /// Whether `session` is far longer or costlier than its agent's usual session (`norm`), with the steps that
    /// made it so.
    package func outlierProblem(in session: Session, norm: SessionNorm?) -> Report.Problem? {
        func problem(_ explanation: String, _ evidence: [String]) -> Report.Problem {
            Report.Problem(kind: "outlier_session", sessionId: session.id, explanation: explanation, evidence: evidence)
        }
        switch outlier(session, norm: norm) {
        case .longer(let usual, let sessions):
            return problem(
                "lasted \(ReportText.duration(session.durationMs)), \(Self.times(session.durationMs! / usual)) the "
                    + "\(session.agent ?? "agent")'s usual \(ReportText.duration(usual)) (median of \(sessions) sessions)",
                slowestSteps(session))
        case .costlier(let usual, let sessions):
            return problem(
                "cost \(ReportText.dollars(session.costUsd)), \(Self.times(session.costUsd! / usual)) the "
                    + "\(session.agent ?? "agent")'s usual \(ReportText.dollars(usual)) (median of \(sessions) sessions)",
                session.calls.sorted { ($0.costUsd ?? 0) > ($1.costUsd ?? 0) }.prefix(3).map(\.id))
        case nil:
            return nil
        }
    }

    /// How a session stands out from its agent's usual ones.
    package enum Outlier: Sendable {
        /// Far longer than the usual duration (the median, in milliseconds), among `sessions` sessions.
        case longer(usual: Double, sessions: Int)
        /// Far costlier than the usual cost (the median, in dollars), among `sessions` sessions.
        case costlier(usual: Double, sessions: Int)
    }

    /// Whether `session` is far longer or costlier than its agent's usual session: decided by the session alone.
    package func outlier(_ session: Session, norm: SessionNorm?) -> Outlier? {
        guard let norm, norm.sessions >= minimumNormSessions, session.status != "running" else { return nil }
        if let duration = session.durationMs, let usual = norm.medianDurationMs, usual > 0,
            duration >= outlierRatio * usual,
            log1p(duration) - log1p(usual) >= outlierDeviations * norm.durationSpread
        {
            return .longer(usual: usual, sessions: norm.sessions)
        }
        if let cost = session.costUsd, let usual = norm.medianCostUsd, usual > 0, cost >= outlierRatio * usual,
            log1p(cost * 1000) - log1p(usual * 1000) >= outlierDeviations * norm.costSpread
        {
            return .costlier(usual: usual, sessions: norm.sessions)
        }
        return nil
    }

    /// Whether `sessionProblems(in:)` needs the session's LLM calls: those of a session that ended otherwise than
    /// completed. Loops, rereads and failing streaks need only its tool runs.
    package func needsCalls(_ session: Session) -> Bool {
        session.status != "completed" && session.status != "running"
    }

    /// The longest run of neighbours that `same` joins (the first one found among equally long runs).
    private func longestRun(_ tools: [Tool], where same: (Tool, Tool) -> Bool) -> [Tool]? {
        guard !tools.isEmpty else { return nil }
        var best = 0..<1
        var start = 0
        for index in 1..<max(1, tools.count) {
            if !same(tools[index - 1], tools[index]) { start = index }
            if index + 1 - start > best.count { best = start..<(index + 1) }
        }
        return Array(tools[best])
    }

    /// The three longest steps of a session, LLM calls and tool runs alike.
    private func slowestSteps(_ session: Session) -> [String] {
        let steps = session.calls.map { ($0.id, $0.latencyMs ?? 0) } + session.tools.map { ($0.id, $0.durationMs ?? 0) }
        return steps.sorted { $0.1 > $1.1 }.prefix(3).map(\.0)
    }

    private static func count(_ number: Int, _ noun: String) -> String {
        "\(number) \(noun)\(number == 1 ? "" : "s")"
    }

    private static func times(_ ratio: Double) -> String {
        ratio >= 10 ? "\(Int(ratio.rounded())) times" : String(format: "%.1f times", ratio)
    }
}

extension Array where Element: Hashable {
    /// The elements in order, each once.
    fileprivate func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
