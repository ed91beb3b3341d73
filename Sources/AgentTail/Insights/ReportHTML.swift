import AgentTailCore
import Foundation

/// Writes a report as one self-contained HTML file: inline SVG charts, tables that sort, nothing from the network.
///
/// Every text from the logs goes through `escape`, and a Content-Security-Policy allows only this file's own style
/// and script (by their SHA-256): were markup to slip through, no script of its own could run.
package enum ReportHTML {
    /// Colours told apart by people with any common colour-vision deficiency (Okabe and Ito).
    static let palette = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
    static let completedColour = "#0072B2"
    static let failedColour = "#D55E00"
    static let otherColour = "#8C8C8C"

    /// Where the page's names lead, when it is part of a site (`agenttail ui`); a report file links nowhere.
    package struct Links: Sendable {
        /// A session's page, at the row `anchor` (an LLM call's or a tool run's id) when given.
        package var session: @Sendable (_ id: String, _ anchor: String?) -> String
        package var tool: @Sendable (_ name: String) -> String
        package var errorPattern: @Sendable (_ source: String, _ fingerprint: String) -> String

        package init(
            session: @escaping @Sendable (String, String?) -> String, tool: @escaping @Sendable (String) -> String,
            errorPattern: @escaping @Sendable (String, String) -> String
        ) {
            self.session = session
            self.tool = tool
            self.errorPattern = errorPattern
        }
    }

    package static func render(_ report: Report) -> String {
        let title = "agenttail report: \(ReportText.minute(report.period.from)) to \(ReportText.minute(report.period.to)) UTC"
        let body = "<header><h1>\(escape(title))</h1><p>From the \(report.source == "local" ? "local store" : escape(report.source))"
            + "; the charts show the \(Int(report.days.filter { !$0.inPeriod }.count)) days before the period in a "
            + "lighter shade.</p></header>\n" + sections(report, links: nil)
        let policy =
            "default-src 'none'; style-src '\(hash(style))'; script-src '\(hash(script))'; img-src data:; "
            + "base-uri 'none'; form-action 'none'"
        return """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="\(policy)">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title))</title>
            <style>\(style)</style>
            </head>
            <body>
            <main>
            \(body)</main>
            <script>\(script)</script>
            </body>
            </html>

            """
    }

    /// The report's parts: figures, charts and tables, each name linked through `links` when given.
    package static func sections(_ report: Report, links: Links?) -> String {
        var body = cards(report)
        // Over more than two months, a bar a day is a hairline: the charts count by week instead.
        let (buckets, unit) = report.days.count > 62 ? (weeks(report.days), "week") : (report.days, "day")
        body += section("Sessions and failures per \(unit)", sessionsChart(buckets, unit: unit))
        body += section("Cost per \(unit) by model", costChart(buckets, unit: unit))
        body += section("Anomalies", anomalyList(report.anomalies, links))
        body += section("Problems", problemsTable(report.problems, links))
        body += section("Tools", tools(report.tools, links: links))
        body += section("Error patterns", errors(report, links: links))
        body += section("Cost by model", modelTable(report.models))
        if let groups = report.groups { body += section("By \(groups.by)", groupTable(groups)) }
        body += section("Slowest sessions", sessionTable(report.slowestSessions, links))
        body += section("Costliest sessions", sessionTable(report.costliestSessions, links))
        if !report.notes.isEmpty { body += section("Notes", list(report.notes, none: "")) }
        return body
    }

    /// The tools' chart and table, each tool linked through `links`.
    package static func tools(_ tools: [Report.ToolUsage], links: Links?) -> String {
        toolChart(tools) + toolTable(tools, links)
    }

    /// The error patterns' chart and table, each pattern linked through `links`.
    package static func errors(_ report: Report, links: Links?) -> String {
        let (buckets, unit) = report.days.count > 62 ? (weeks(report.days), "week") : (report.days, "day")
        return errorChart(report.errors, buckets, unit: unit) + errorTable(report.errors, links)
    }

    /// Text as HTML text or attribute value: markup characters escaped, control characters shown as symbols.
    package static func escape(_ text: String) -> String {
        var result = ""
        for character in ReportText.terminal(text) {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }

    private static func hash(_ text: String) -> String {
        "sha256-" + Data(SHA256Digest.digest(Array(text.utf8))).base64EncodedString()
    }

    // MARK: Page parts

    private static func section(_ title: String, _ content: String) -> String {
        "<section><h2>\(escape(title))</h2>\n\(content)</section>\n"
    }

    private static func cards(_ report: Report) -> String {
        let s = report.sessions
        let c = report.llmCalls
        let items: [(String, String, String)] = [
            ("Sessions", ReportText.count(s.total),
             "\(s.completed) completed, \(s.failed) failed, \(s.abandoned) abandoned, \(s.interrupted) interrupted, \(s.running) running"),
            ("Success", ReportText.percent(s.successRate), "completed among the sessions that ended"),
            ("Session duration", ReportText.duration(s.p50DurationMs), "p50; p95 \(ReportText.duration(s.p95DurationMs))"),
            ("LLM calls", ReportText.count(c.total),
             "\(c.failed) failed; latency p50 \(ReportText.duration(c.p50Ms)), p95 \(ReportText.duration(c.p95Ms))"),
            ("Cost", ReportText.dollars(c.costUsd), c.unpricedCalls > 0 ? "\(c.unpricedCalls) calls without a price" : "LLM calls"),
            c.promptTokens + c.completionTokens == 0
                ? ("Tokens", "-", "none counted in the logs")
                : ("Tokens", ReportText.count(c.promptTokens + c.completionTokens),
                   "\(ReportText.count(c.promptTokens)) prompt (\(ReportText.count(c.cacheReadTokens)) cache read), \(ReportText.count(c.completionTokens)) output"),
        ]
        return "<section class=\"cards\">"
            + items.map { "<div class=\"card\"><h3>\(escape($0.0))</h3><p class=\"figure\">\(escape($0.1))</p><p>\(escape($0.2))</p></div>" }
                .joined()
            + "</section>\n"
    }

    private static func list(_ items: [String], none: String) -> String {
        guard !items.isEmpty else { return "<p>\(escape(none))</p>\n" }
        return "<ul>" + items.map { "<li>\(escape($0))</li>" }.joined() + "</ul>\n"
    }

    // MARK: Tables

    /// A cell: its text, and the value it sorts by when that is not the text.
    private struct Cell {
        var text: String
        var sort: Double?
        /// Where the cell's text leads.
        var href: String?
        var numeric: Bool { sort != nil }

        init(_ text: String, sort: Double? = nil, href: String? = nil) {
            self.text = text
            self.sort = sort
            self.href = href
        }

        /// The text, as a link when it leads somewhere.
        var content: String {
            guard let href else { return escape(text) }
            return "<a href=\"\(escape(href))\">\(escape(text))</a>"
        }
    }

    private static func table(_ headers: [String], _ rows: [[Cell]], caption: String) -> String {
        guard !rows.isEmpty else { return "<p>None.</p>\n" }
        var html = "<div class=\"scroll\"><table class=\"sortable\"><caption>\(escape(caption))</caption><thead><tr>"
        for (index, header) in headers.enumerated() {
            let numeric = rows.first.map { $0[index].numeric } ?? false
            html += "<th scope=\"col\"\(numeric ? " class=\"num\"" : "")><button type=\"button\">\(escape(header))</button></th>"
        }
        html += "</tr></thead><tbody>"
        for row in rows {
            html += "<tr>"
            for cell in row {
                if let sort = cell.sort {
                    html += "<td class=\"num\" data-sort=\"\(sort)\">\(cell.content)</td>"
                } else if cell.text.count > 24 {
                    html += "<td class=\"text\">\(cell.content)</td>"
                } else {
                    html += "<td>\(cell.content)</td>"
                }
            }
            html += "</tr>"
        }
        return html + "</tbody></table></div>\n"
    }

    private static func number(_ value: Int?) -> Cell { Cell(ReportText.count(value), sort: Double(value ?? -1)) }
    private static func dollars(_ value: Double?) -> Cell { Cell(ReportText.dollars(value), sort: value ?? -1) }
    private static func duration(_ value: Double?) -> Cell { Cell(ReportText.duration(value), sort: value ?? -1) }

    private static func problemsTable(_ problems: [Report.Problem], _ links: Links?) -> String {
        table(
            ["kind", "session", "what the log shows", "evidence"],
            problems.map { problem in
                [Cell(problem.kind), Cell(problem.sessionId, href: links?.session(problem.sessionId, nil)),
                 Cell(problem.explanation, href: links?.session(problem.sessionId, problem.evidence.first)),
                 Cell(problem.evidence.map { String($0.prefix(8)) }.joined(separator: " "))]
            }, caption: "Problems found inside single sessions, with the rows that show them")
    }

    private static func anomalyList(_ anomalies: [Report.Anomaly], _ links: Links?) -> String {
        guard !anomalies.isEmpty else { return "<p>None found.</p>\n" }
        return "<ul>"
            + anomalies.map { anomaly in
                if let links, anomaly.subject.hasPrefix("tool:") {
                    "<li><a href=\"\(escape(links.tool(String(anomaly.subject.dropFirst(5)))))\">"
                        + "\(escape(anomaly.explanation))</a></li>"
                } else {
                    "<li>\(escape(anomaly.explanation))</li>"
                }
            }.joined() + "</ul>\n"
    }

    private static func toolTable(_ tools: [Report.ToolUsage], _ links: Links?) -> String {
        table(
            ["tool", "category", "calls", "failed", "failure rate", "p50", "p95", "memory p95", "CPU p50"],
            tools.map { tool in
                [Cell(tool.name, href: links?.tool(tool.name)), Cell(tool.category ?? "-"), number(tool.calls),
                 number(tool.failures),
                 Cell(ReportText.percent(tool.failureRate), sort: tool.failureRate), duration(tool.p50Ms),
                 duration(tool.p95Ms), Cell(ReportText.bytes(tool.p95PeakRssBytes), sort: tool.p95PeakRssBytes ?? -1),
                 duration(tool.p50CpuMs)]
            }, caption: "Tool runs of the period; memory (of the agent's process tree) and CPU of the runs measured live")
    }

    private static func errorTable(_ errors: [Report.ErrorPattern], _ links: Links?) -> String {
        table(
            ["count", "sessions", "source", "latest message"],
            errors.map { error in
                [number(error.count), number(error.sessions), Cell(error.source),
                 Cell(error.example, href: links?.errorPattern(error.source, error.fingerprint))]
            }, caption: "The most frequent error patterns")
    }

    private static func modelTable(_ models: [Report.ModelUsage]) -> String {
        table(
            ["model", "calls", "prompt", "cache read", "cache write", "output", "cost"],
            models.map { model in
                [Cell(model.model), number(model.calls), number(model.promptTokens), number(model.cacheReadTokens),
                 number(model.cacheCreationTokens), number(model.completionTokens),
                 Cell(ReportText.cost(of: model), sort: model.costUsd ?? -1)]
            }, caption: "Tokens and cost per model")
    }

    private static func groupTable(_ groups: Report.Groups) -> String {
        table(
            [groups.by, "sessions", "completed", "failed", "LLM calls", "tokens", "cost", "tool runs", "tool failures"],
            groups.rows.map { group in
                [Cell(group.key ?? "(none)"), number(group.sessions), number(group.completed), number(group.failed),
                 number(group.llmCalls), number(group.promptTokens + group.completionTokens), dollars(group.costUsd),
                 number(group.toolCalls), number(group.toolFailures)]
            }, caption: "The period by \(groups.by)")
    }

    private static func sessionTable(_ sessions: [Report.SessionSummary], _ links: Links?) -> String {
        table(
            ["started", "agent", "status", "duration", "cost", "LLM calls", "tool runs", "task"],
            sessions.map { session in
                [Cell(ReportText.minute(session.startedAt), href: links?.session(session.id, nil)),
                 Cell(session.agent ?? "-"), Cell(session.status),
                 duration(session.durationMs.map(Double.init)), dollars(session.costUsd), number(session.llmCalls),
                 number(session.toolCalls), Cell(session.task ?? "")]
            }, caption: "Sessions that started in the period")
    }

    // MARK: Charts

    /// The days summed seven by seven, each week under its first day.
    static func weeks(_ days: [Report.Day]) -> [Report.Day] {
        stride(from: 0, to: days.count, by: 7).map { start in
            let chunk = days[start..<min(start + 7, days.count)]
            var week = Report.Day(day: chunk.first!.day, inPeriod: chunk.contains { $0.inPeriod })
            for day in chunk {
                week.sessions += day.sessions
                week.completed += day.completed
                week.failed += day.failed
                week.costByModel.merge(day.costByModel, uniquingKeysWith: +)
                week.errorsByPattern.merge(day.errorsByPattern, uniquingKeysWith: +)
            }
            return week
        }
    }

    private static func sessionsChart(_ days: [Report.Day], unit: String) -> String {
        let bars = days.map { day in
            Bar(
                label: day.day, dim: !day.inPeriod,
                parts: [
                    (Double(day.completed), completedColour), (Double(day.failed), failedColour),
                    (Double(day.sessions - day.completed - day.failed), otherColour),
                ],
                title: "\(day.day): \(day.sessions) sessions, \(day.completed) completed, \(day.failed) failed")
        }
        return columnChart(bars, label: "Sessions per \(unit): completed, failed and other", format: { ReportText.count(Int($0)) })
            + legend([("completed", completedColour), ("failed", failedColour), ("abandoned, interrupted or running", otherColour)])
    }

    private static func costChart(_ days: [Report.Day], unit: String) -> String {
        var totals: [String: Double] = [:]
        for day in days { for (model, cost) in day.costByModel { totals[model, default: 0] += cost } }
        guard !totals.isEmpty else { return "<p>No LLM call of these days has a price.</p>\n" }
        let ranked = totals.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map(\.key)
        let shown = Array(ranked.prefix(palette.count - 1))
        let colours = Dictionary(uniqueKeysWithValues: shown.enumerated().map { ($1, palette[$0]) })
        let bars = days.map { day in
            var parts = shown.map { (day.costByModel[$0] ?? 0, colours[$0]!) }
            let rest = day.costByModel.filter { colours[$0.key] == nil }.values.reduce(0, +)
            if rest > 0 { parts.append((rest, palette.last!)) }
            let total = day.costByModel.values.reduce(0, +)
            return Bar(label: day.day, dim: !day.inPeriod, parts: parts, title: "\(day.day): \(ReportText.dollars(total))")
        }
        var keys = shown.map { ($0, colours[$0]!) }
        if ranked.count > shown.count { keys.append(("other models", palette.last!)) }
        return columnChart(bars, label: "LLM cost per \(unit) by model", format: { ReportText.dollars($0) }) + legend(keys)
    }

    private static func toolChart(_ tools: [Report.ToolUsage]) -> String {
        let shown = tools.filter { $0.p50Ms != nil }.prefix(12)
        guard !shown.isEmpty else { return "" }
        let maximum = max(shown.compactMap { $0.p95Ms ?? $0.p50Ms }.max() ?? 1, 1)
        let rowHeight = 26.0
        let left = 150.0
        let width = 720.0
        let height = Double(shown.count) * rowHeight + 24
        var svg = "<div class=\"scroll\"><svg class=\"chart\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"Duration per tool: median bar, 95th percentile line\">"
        for (index, tool) in shown.enumerated() {
            let y = Double(index) * rowHeight + 4
            let p50 = tool.p50Ms ?? 0
            let barWidth = max(1, (width - left - 80) * p50 / maximum)
            svg += "<text x=\"\(Int(left - 8))\" y=\"\(y + 15)\" text-anchor=\"end\">\(escape(ReportText.cut(tool.name, to: 20)))</text>"
            svg += "<rect x=\"\(left)\" y=\"\(y + 3)\" width=\"\(format(barWidth))\" height=\"16\" fill=\"\(palette[0])\">"
                + "<title>\(escape("\(tool.name): p50 \(ReportText.duration(tool.p50Ms)), p95 \(ReportText.duration(tool.p95Ms))"))</title></rect>"
            if let p95 = tool.p95Ms {
                let x = left + (width - left - 80) * p95 / maximum
                svg += "<line x1=\"\(format(left + barWidth))\" x2=\"\(format(x))\" y1=\"\(y + 11)\" y2=\"\(y + 11)\" stroke=\"\(palette[1])\" stroke-width=\"2\"/>"
                svg += "<line x1=\"\(format(x))\" x2=\"\(format(x))\" y1=\"\(y + 5)\" y2=\"\(y + 17)\" stroke=\"\(palette[1])\" stroke-width=\"2\"/>"
                svg += "<text x=\"\(format(x + 6))\" y=\"\(y + 15)\">\(escape(ReportText.duration(p95)))</text>"
            }
        }
        svg += "</svg></div>\n"
        return svg + legend([("median (p50)", palette[0]), ("95th percentile", palette[1])])
    }

    private static func errorChart(_ errors: [Report.ErrorPattern], _ days: [Report.Day], unit: String) -> String {
        let patterns = errors.prefix(5)
        guard !patterns.isEmpty, !days.isEmpty else { return "" }
        let rowHeight = 34.0
        let left = 260.0
        let width = 720.0
        let slot = (width - left - 10) / Double(days.count)
        let height = Double(patterns.count) * rowHeight + 20
        var svg = "<div class=\"scroll\"><svg class=\"chart\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"Occurrences of the top error patterns per \(unit)\">"
        for (row, pattern) in patterns.enumerated() {
            let key = "\(pattern.source) \(pattern.fingerprint)"
            let counts = days.map { $0.errorsByPattern[key] ?? 0 }
            let most = Double(max(counts.max() ?? 1, 1))
            let y = Double(row) * rowHeight + 4
            svg += "<text x=\"\(Int(left - 8))\" y=\"\(y + 20)\" text-anchor=\"end\">\(escape(ReportText.cut("\(pattern.source): \(pattern.example)", to: 36)))</text>"
            for (index, day) in days.enumerated() where counts[index] > 0 {
                let barHeight = max(2, 26 * Double(counts[index]) / most)
                svg += "<rect x=\"\(format(left + Double(index) * slot + 1))\" y=\"\(format(y + 28 - barHeight))\" width=\"\(format(max(1, slot - 2)))\" height=\"\(format(barHeight))\" fill=\"\(palette[5])\"\(day.inPeriod ? "" : " fill-opacity=\"0.45\"")>"
                    + "<title>\(escape("\(day.day): \(counts[index]) × \(pattern.example)"))</title></rect>"
            }
            svg += "<line x1=\"\(Int(left))\" x2=\"\(Int(width - 10))\" y1=\"\(y + 28)\" y2=\"\(y + 28)\" stroke=\"#bbb\"/>"
        }
        let first = days.first!.day
        let last = days.last!.day
        svg += "<text x=\"\(Int(left))\" y=\"\(Int(height - 2))\">\(escape(first))</text>"
        svg += "<text x=\"\(Int(width - 10))\" y=\"\(Int(height - 2))\" text-anchor=\"end\">\(escape(last))</text>"
        return svg + "</svg></div>\n"
    }

    /// One column of a stacked column chart.
    private struct Bar {
        var label: String
        var dim: Bool
        var parts: [(Double, String)]
        var title: String
    }

    private static func columnChart(_ bars: [Bar], label: String, format value: (Double) -> String) -> String {
        guard !bars.isEmpty else { return "" }
        let width = 720.0
        let height = 220.0
        let left = 56.0
        let bottom = 24.0
        let top = 10.0
        let maximum = max(bars.map { $0.parts.map(\.0).reduce(0, +) }.max() ?? 0, 1e-9)
        let slot = (width - left - 8) / Double(bars.count)
        var svg = "<div class=\"scroll\"><svg class=\"chart\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(escape(label))\">"
        svg += "<line x1=\"\(Int(left))\" x2=\"\(Int(width - 8))\" y1=\"\(Int(height - bottom))\" y2=\"\(Int(height - bottom))\" stroke=\"#888\"/>"
        svg += "<text x=\"\(Int(left - 6))\" y=\"\(Int(top + 8))\" text-anchor=\"end\">\(escape(value(maximum)))</text>"
        svg += "<text x=\"\(Int(left - 6))\" y=\"\(Int(height - bottom))\" text-anchor=\"end\">0</text>"
        let labelEvery = max(1, Int((Double(bars.count) / 8).rounded(.up)))
        for (index, bar) in bars.enumerated() {
            var y = height - bottom
            let x = left + Double(index) * slot + slot * 0.15
            svg += "<g\(bar.dim ? " fill-opacity=\"0.45\"" : "")><title>\(escape(bar.title))</title>"
            for (amount, colour) in bar.parts where amount > 0 {
                let h = (height - bottom - top) * amount / maximum
                y -= h
                svg += "<rect x=\"\(format(x))\" y=\"\(format(y))\" width=\"\(format(slot * 0.7))\" height=\"\(format(h))\" fill=\"\(colour)\"/>"
            }
            svg += "</g>"
            if index % labelEvery == 0 || index == bars.count - 1 {
                svg += "<text x=\"\(format(x + slot * 0.35))\" y=\"\(Int(height - 6))\" text-anchor=\"middle\">\(escape(String(bar.label.dropFirst(5))))</text>"
            }
        }
        return svg + "</svg></div>\n"
    }

    private static func legend(_ keys: [(String, String)]) -> String {
        "<ul class=\"legend\">"
            + keys.map { "<li><svg width=\"12\" height=\"12\" aria-hidden=\"true\"><rect width=\"12\" height=\"12\" fill=\"\($0.1)\"/></svg> \(escape($0.0))</li>" }.joined()
            + "</ul>\n"
    }

    private static func format(_ value: Double) -> String { String(format: "%.1f", value) }

    // MARK: Style and script

    static let style = """
        :root { color-scheme: light; --ink: #1a1a1a; --muted: #555; --line: #d9d9d9; --accent: #0072B2; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #fafafa; }
        main { max-width: 1100px; margin: 0 auto; padding: 16px; }
        h1 { font-size: 1.4rem; margin: 0.2rem 0; } h2 { font-size: 1.15rem; margin: 0 0 0.6rem; } h3 { font-size: 0.85rem; margin: 0; color: var(--muted); font-weight: 600; }
        header p { color: var(--muted); margin: 0 0 1rem; }
        section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; margin: 0 0 14px; }
        section.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(160px, 1fr)); gap: 10px; background: none; border: 0; padding: 0; }
        .card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
        .card p { margin: 0; color: var(--muted); font-size: 0.85rem; } .card p.figure { font-size: 1.5rem; color: var(--ink); font-weight: 600; }
        svg.chart { width: 100%; min-width: 540px; height: auto; font-size: 12px; } svg.chart text { fill: #333; }
        ul.legend { list-style: none; padding: 0; margin: 6px 0 0; display: flex; flex-wrap: wrap; gap: 14px; font-size: 0.85rem; }
        .scroll { overflow-x: auto; }
        table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
        caption { text-align: left; color: var(--muted); font-size: 0.8rem; padding-bottom: 4px; }
        th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; min-width: 4.5em; overflow-wrap: break-word; }
        td.text { min-width: 14em; max-width: 42em; overflow-wrap: anywhere; }
        th.num, td.num { text-align: right; white-space: nowrap; }
        th button { font: inherit; font-weight: 600; background: none; border: 0; padding: 0; cursor: pointer; color: inherit; }
        th button:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
        th[aria-sort="ascending"] button::after { content: " ▲"; } th[aria-sort="descending"] button::after { content: " ▼"; }
        tbody tr:nth-child(even) { background: #f6f8fa; }
        @media (max-width: 600px) { main { padding: 8px; } th, td { padding: 4px 5px; } }
        """

    static let script = """
        document.querySelectorAll("table.sortable th button").forEach(function (button) {
          button.addEventListener("click", function () {
            var header = button.parentElement;
            var table = header.closest("table");
            var column = Array.prototype.indexOf.call(header.parentElement.children, header);
            var ascending = header.getAttribute("aria-sort") !== "ascending";
            table.querySelectorAll("th").forEach(function (other) { other.removeAttribute("aria-sort"); });
            header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
            var body = table.tBodies[0];
            var rows = Array.prototype.slice.call(body.rows);
            rows.sort(function (a, b) {
              var x = a.cells[column], y = b.cells[column];
              var order = x.dataset.sort !== undefined
                ? parseFloat(x.dataset.sort) - parseFloat(y.dataset.sort)
                : x.textContent.localeCompare(y.textContent);
              return ascending ? order : -order;
            });
            rows.forEach(function (row) { body.appendChild(row); });
          });
        });
        document.documentElement.setAttribute("data-tables", "sortable");
        """
}
