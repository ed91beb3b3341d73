import AgentTail
import Foundation

/// The text beside each tool's structured result: what a model or a person reads first, one line per item, with
/// the ids to ask further and how to get the next page.
enum RecordText {
    static func sessions(_ page: Records.SessionPage) -> String {
        guard !page.sessions.isEmpty else {
            return page.total == 0 ? "No session matches." : "No more sessions: all \(page.total) were listed."
        }
        var lines = ["\(page.total) session\(page.total == 1 ? "" : "s") match; newest first:"]
        for session in page.sessions {
            var line = "- \(session.id) \(session.status) \(ReportText.minute(session.startedAt)) UTC"
            line += ", \(ReportText.duration(session.durationMs.map(Double.init)))"
            line += ", \(count(session.llmCalls, "LLM call")), \(count(session.toolCalls, "tool run")) (\(session.toolErrors) failed)"
            if session.errors > 0 { line += ", \(count(session.errors, "error"))" }
            if let cost = session.costUsd { line += ", \(ReportText.dollars(cost))" }
            if !session.problems.isEmpty { line += ", problems: \(session.problems.joined(separator: ", "))" }
            if let agent = session.agent { line += " [\(agent)]" }
            if let task = session.task { line += ": " + ReportText.terminal(task) }
            lines.append(line)
        }
        lines.append(more(page.nextCursor))
        return lines.joined(separator: "\n")
    }

    static func session(_ answer: Records.Session, from offset: Int) -> String {
        let facts = answer.session
        var lines = [
            "Session \(facts.id) [\(facts.agent ?? "agent")]: \(facts.status), started \(ReportText.minute(facts.startedAt)) "
                + "UTC, lasted \(ReportText.duration(facts.durationMs.map(Double.init))), \(count(facts.llmCalls, "LLM call")), "
                + "\(count(facts.toolCalls, "tool run")) (\(facts.toolErrors) failed)"
                + (facts.costUsd.map { ", cost \(ReportText.dollars($0))" } ?? "") + "."
        ]
        if let workspace = facts.workspace { lines.append("Workspace: \(workspace)" + (facts.gitBranch.map { " (\($0))" } ?? "")) }
        if let task = facts.task { lines.append("Task: " + ReportText.terminal(task)) }
        if let output = facts.finalOutput { lines.append("Final answer: " + ReportText.terminal(output)) }
        for problem in answer.problems { lines.append("Problem (\(problem.kind)): \(problem.explanation)") }
        if answer.stepsTotal > 0 {
            let last = offset + answer.steps.count
            lines.append("Steps \(min(offset + 1, last))–\(last) of \(answer.stepsTotal):")
        }
        for step in answer.steps {
            if let call = step.call {
                var line = "- LLM call \(call.seq.map(String.init) ?? "?"): \(call.status ?? "ok")"
                if let latency = call.latencyMs { line += ", \(ReportText.duration(Double(latency)))" }
                if let model = call.model { line += ", \(model)" }
                if let prompt = call.promptTokens { line += ", \(prompt) in / \(call.completionTokens ?? 0) out tokens" }
                if let cost = call.costUsd { line += ", \(ReportText.dollars(cost))" }
                if let output = call.output, !output.isEmpty { line += ": " + ReportText.terminal(output) }
                lines.append(line)
            }
            for run in step.tools {
                var line = (step.call == nil ? "- " : "    - ") + "\(run.name ?? "tool") "
                line += run.success == false ? "FAILED" : "ok"
                line += ", \(ReportText.duration(run.durationMs.map(Double.init)))"
                if let rss = run.peakRssBytes { line += ", peak \(ReportText.bytes(Double(rss)))" }
                if let arguments = run.arguments { line += ", arguments " + ReportText.terminal(arguments) }
                if let error = run.error { line += ", error: " + ReportText.terminal(error) }
                lines.append(line)
            }
        }
        if answer.errorsTotal > 0 {
            lines.append("Errors (\(answer.errorsTotal)):")
            for error in answer.errors {
                lines.append("- \(error.source ?? "?")\(error.toolName.map { " \($0)" } ?? ""): "
                    + ReportText.terminal(error.message ?? ""))
            }
        }
        lines.append(more(answer.nextCursor))
        return lines.joined(separator: "\n")
    }

    static func errors(_ search: Records.ErrorSearch, from offset: Int) -> String {
        guard !search.groups.isEmpty else {
            return search.total == 0 ? "No error matches." : "No more patterns: all \(search.total) were listed."
        }
        var lines = ["\(search.total) error pattern\(search.total == 1 ? "" : "s") match; most frequent first:"]
        for group in search.groups {
            var line = "- \(group.source) \(group.fingerprint): \(count(group.count, "time")) in \(count(group.sessions, "session"))"
            if !group.tools.isEmpty { line += " (\(group.tools.joined(separator: ", ")))" }
            line += ", last \(ReportText.minute(group.lastSeen)) UTC"
            lines.append(line)
            for example in group.examples {
                lines.append("    - session \(example.sessionId ?? "?") at \(ReportText.minute(example.occurredAt)): "
                    + ReportText.terminal(example.message ?? ""))
            }
        }
        lines.append(more(search.nextCursor))
        return lines.joined(separator: "\n")
    }

    static func tool(_ stats: Records.ToolStats) -> String {
        let period = "\(ReportText.minute(stats.period.from)) to \(ReportText.minute(stats.period.to)) UTC"
        guard stats.calls > 0 else {
            let others = stats.otherTools ?? []
            return "\(stats.tool) did not run from \(period)."
                + (others.isEmpty ? " No tool ran then." : " Tools that ran: \(others.joined(separator: ", ")).")
        }
        var lines = [
            "\(stats.tool) from \(period): \(count(stats.calls, "run")) in \(count(stats.sessions, "session")), \(stats.failures) failed "
                + "(\(ReportText.percent(stats.failureRate))); p50 \(ReportText.duration(stats.p50Ms)), p95 "
                + "\(ReportText.duration(stats.p95Ms)), longest \(ReportText.duration(stats.maxMs.map(Double.init)))."
        ]
        if stats.measuredRuns > 0 {
            lines.append(
                "Measured runs: \(stats.measuredRuns); memory p95 \(ReportText.bytes(stats.p95PeakRssBytes)), CPU p50 "
                    + "\(ReportText.duration(stats.p50CpuMs)).")
        } else {
            lines.append("No run was measured for memory and CPU.")
        }
        if !stats.recentFailures.isEmpty { lines.append("Latest failures:") }
        for failure in stats.recentFailures {
            lines.append("- session \(failure.sessionId ?? "?") at \(ReportText.minute(failure.run.startedAt)): "
                + ReportText.terminal(failure.run.error ?? failure.run.result ?? "(no error text)")
                + (failure.run.arguments.map { "; arguments " + ReportText.terminal($0) } ?? ""))
        }
        return lines.joined(separator: "\n")
    }

    /// `1 tool run`, `3 tool runs`.
    private static func count(_ number: Int, _ noun: String) -> String {
        "\(number) \(noun)\(number == 1 ? "" : "s")"
    }

    private static func more(_ cursor: String?) -> String {
        cursor.map { "More: call again with cursor \"\($0)\"." } ?? "That is all."
    }
}
