import Foundation
import TextTable

/// Writes a report as aligned text for a terminal (at most 100 columns) or as Markdown for a chat or a pull request.
package struct ReportRenderer: Sendable {
    package enum Flavor: Sendable {
        case text, markdown
    }

    package let flavor: Flavor
    /// How many problems are listed (JSON has them all).
    package static let problemLimit = 20

    package init(_ flavor: Flavor) {
        self.flavor = flavor
    }

    package func render(_ report: Report) -> String {
        var out: [String] = []
        let source = report.source == "local" ? "local store" : report.source
        out.append(heading(1, "agenttail report: \(ReportText.minute(report.period.from)) to "
            + "\(ReportText.minute(report.period.to)) UTC (\(source))"))
        out.append(overview(report))
        out.append(heading(2, "Cost by model"))
        out.append(table(
            ["model", "calls", "prompt", "cache read", "cache write", "output", "cost"],
            align: [.left, .right, .right, .right, .right, .right, .right],
            report.models.map { model in
                [model.model, ReportText.count(model.calls), ReportText.count(model.promptTokens),
                 ReportText.count(model.cacheReadTokens), ReportText.count(model.cacheCreationTokens),
                 ReportText.count(model.completionTokens), ReportText.cost(of: model)]
            }, widths: [24]))
        if let groups = report.groups {
            out.append(heading(2, "By \(groups.by)"))
            out.append(table(
                [groups.by, "sessions", "done", "failed", "LLM calls", "tokens", "cost", "tools", "failed"],
                align: [.left, .right, .right, .right, .right, .right, .right, .right, .right],
                groups.rows.map { group in
                    [group.key ?? "(none)", ReportText.count(group.sessions), ReportText.count(group.completed),
                     ReportText.count(group.failed), ReportText.count(group.llmCalls),
                     ReportText.count(group.promptTokens + group.completionTokens), ReportText.dollars(group.costUsd),
                     ReportText.count(group.toolCalls), ReportText.count(group.toolFailures)]
                }, widths: [24]))
        }
        out.append(heading(2, "Tools"))
        out.append(table(
            ["tool", "category", "calls", "failed", "rate", "p50", "p95", "memory p95", "CPU p50"],
            align: [.left, .left, .right, .right, .right, .right, .right, .right, .right],
            report.tools.map { tool in
                [tool.name, tool.category ?? "-", ReportText.count(tool.calls), ReportText.count(tool.failures),
                 ReportText.percent(tool.failureRate), ReportText.duration(tool.p50Ms), ReportText.duration(tool.p95Ms),
                 ReportText.bytes(tool.p95PeakRssBytes), ReportText.duration(tool.p50CpuMs)]
            }, widths: [24, 12]))
        out.append(heading(2, "Top errors"))
        out.append(table(
            ["count", "sessions", "source", "latest message"],
            align: [.right, .right, .left, .left],
            report.errors.map { error in
                [ReportText.count(error.count), ReportText.count(error.sessions), error.source, error.example]
            }, widths: [nil, nil, 10, 68]))
        out.append(heading(2, "Slowest sessions"))
        out.append(sessionTable(report.slowestSessions))
        out.append(heading(2, "Costliest sessions"))
        out.append(sessionTable(report.costliestSessions))
        out.append(heading(2, "Anomalies"))
        out.append(list(report.anomalies.map(\.explanation), none: "None found."))
        out.append(heading(2, "Problems"))
        out.append(list(
            report.problems.prefix(ReportRenderer.problemLimit).map {
                "\($0.kind) in session \($0.sessionId.prefix(8)): \($0.explanation)"
            },
            none: "None found in the period's sessions."))
        if !report.notes.isEmpty {
            out.append(heading(2, "Notes"))
            out.append(list(report.notes, none: ""))
        }
        // Tables pad their last column; nothing is gained by trailing spaces.
        var lines = out.joined(separator: "\n").split(separator: "\n", omittingEmptySubsequences: false).map { line in
            var line = line
            while line.last == " " { line.removeLast() }
            return line
        }
        while lines.last?.isEmpty == true { lines.removeLast() }
        return lines.joined(separator: "\n") + "\n"
    }

    private func overview(_ report: Report) -> String {
        let s = report.sessions
        let c = report.llmCalls
        var lines = [
            "Sessions: \(ReportText.count(s.total)) (\(ReportText.count(s.completed)) completed, "
                + "\(ReportText.count(s.failed)) failed, \(ReportText.count(s.abandoned)) abandoned, "
                + "\(ReportText.count(s.interrupted)) interrupted, \(ReportText.count(s.running)) running); "
                + "success \(ReportText.percent(s.successRate))",
            "Session duration: p50 \(ReportText.duration(s.p50DurationMs)), p95 \(ReportText.duration(s.p95DurationMs)); "
                + "cost \(ReportText.dollars(s.costUsd))",
            "LLM calls: \(ReportText.count(c.total)) (\(ReportText.count(c.failed)) failed); latency p50 "
                + "\(ReportText.duration(c.p50Ms)), p95 \(ReportText.duration(c.p95Ms)); cost \(ReportText.dollars(c.costUsd))",
            c.promptTokens + c.completionTokens == 0
                ? "Tokens: none counted in the logs"
                : "Tokens: \(ReportText.count(c.promptTokens)) prompt (\(ReportText.count(c.cacheReadTokens)) cache read, "
                    + "\(ReportText.count(c.cacheCreationTokens)) cache write), \(ReportText.count(c.completionTokens)) output",
        ]
        switch flavor {
        case .markdown: lines = lines.map { "- " + $0 }
        case .text: lines = lines.map { ReportText.wrap($0, width: 100, indent: "  ") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func sessionTable(_ sessions: [Report.SessionSummary]) -> String {
        table(
            ["started", "status", "duration", "cost", "LLM/tools", "task"],
            align: [.left, .left, .right, .right, .right, .left],
            sessions.map { session in
                [ReportText.minute(session.startedAt), session.status,
                 ReportText.duration(session.durationMs.map(Double.init)), ReportText.dollars(session.costUsd),
                 "\(session.llmCalls)/\(session.toolCalls)", session.task ?? ""]
            }, widths: [nil, 11, nil, nil, nil, 34])
    }

    private func heading(_ level: Int, _ text: String) -> String {
        switch flavor {
        case .markdown: return String(repeating: "#", count: level) + " " + ReportText.markdown(text) + "\n"
        case .text: return level == 1 ? text + "\n" : text + "\n" + String(repeating: "-", count: text.count)
        }
    }

    private func list(_ items: [String], none: String) -> String {
        guard !items.isEmpty else { return none + "\n" }
        let lines = items.map { item in
            flavor == .markdown ? "- " + safe(item) : ReportText.wrap("- " + safe(item), width: 100, indent: "  ")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func safe(_ text: String) -> String {
        flavor == .markdown ? ReportText.markdown(text) : ReportText.terminal(text)
    }

    /// An aligned table; `widths` caps the first columns (nil: as wide as their content), cutting with `…`.
    private func table(_ titles: [String], align: [Alignment], _ rows: [[String]], widths: [Int?] = []) -> String {
        guard !rows.isEmpty else { return "None.\n" }
        // Caps apply to the text, so that escaping cannot push a cell past them.
        let cells = rows.map { row in
            row.enumerated().map { index, cell in
                let capped = index < widths.count ? widths[index].map { ReportText.cut(cell, to: $0) } ?? cell : cell
                return safe(capped)
            }
        }
        let table = TextTable<[String]> { row in
            zip(titles, row).enumerated().map { index, pair in
                Column(title: pair.0, value: pair.1, align: align[index])
            }
        }
        return table.string(for: cells, style: flavor == .markdown ? Style.pipe : Style.simple) ?? "None.\n"
    }
}
