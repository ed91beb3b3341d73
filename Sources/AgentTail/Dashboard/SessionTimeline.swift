import Foundation

/// A session's LLM calls and tool runs as a waterfall on one time axis: a row each, a bar from its start to its end,
/// each a link to its step below. Failed runs are drawn dashed and marked ✗, rows a problem points at are marked ⚠:
/// neither is told by colour alone.
struct SessionTimeline {
    private struct Row {
        var id: String
        var label: String
        var start: Date?
        var end: Date?
        var kind: Kind
        var detail: String
        var indent: Bool
    }

    private enum Kind {
        case call, tool, failedTool
    }

    private let rows: [Row]
    private let flagged: Set<String>
    private let origin: Date?
    private let span: TimeInterval

    init(_ answer: Records.Session) {
        var rows: [Row] = []
        for step in answer.steps {
            if let call = step.call {
                var detail = "LLM call \(call.seq.map(String.init) ?? "?"), \(call.status ?? "ok"), "
                    + ReportText.duration(call.latencyMs.map(Double.init))
                if let prompt = call.promptTokens { detail += ", \(prompt) in / \(call.completionTokens ?? 0) out tokens" }
                if let cost = call.costUsd { detail += ", \(ReportText.dollars(cost))" }
                rows.append(Row(
                    id: call.id, label: "LLM call \(call.seq.map(String.init) ?? "?")", start: call.startedAt,
                    end: call.endedAt, kind: .call, detail: detail, indent: false))
            }
            for run in step.tools {
                var detail = "\(run.name ?? "tool") \(run.success == false ? "failed" : "ok"), "
                    + ReportText.duration(run.durationMs.map(Double.init))
                if let rss = run.peakRssBytes { detail += ", peak \(ReportText.bytes(Double(rss)))" }
                rows.append(Row(
                    id: run.id, label: (run.success == false ? "✗ " : "") + (run.name ?? "tool"), start: run.startedAt,
                    end: run.endedAt, kind: run.success == false ? .failedTool : .tool, detail: detail,
                    indent: step.call != nil))
            }
        }
        self.rows = rows
        flagged = Set(answer.problems.flatMap(\.evidence))
        let starts = rows.compactMap(\.start) + [answer.session.startedAt].compactMap { $0 }
        let ends = rows.compactMap { $0.end ?? $0.start } + [answer.session.endedAt].compactMap { $0 }
        origin = starts.min()
        span = max(((ends.max() ?? origin ?? Date()).timeIntervalSince(origin ?? Date())), 0.001)
    }

    private static let rowHeight = 22.0
    private static let left = 190.0
    private static let width = 1000.0
    private static let colours: [Kind: String] = [.call: "#0072B2", .tool: "#009E73", .failedTool: "#D55E00"]

    var svg: String {
        guard !rows.isEmpty, let origin else { return "<p>No LLM call or tool run yet.</p>\n" }
        let escape = DashboardHTML.escape
        let track = Self.width - Self.left - 12
        let height = Double(rows.count) * Self.rowHeight + 30
        var svg = "<div class=\"scroll\"><svg class=\"timeline\" viewBox=\"0 0 \(Int(Self.width)) \(Int(height))\" "
            + "role=\"img\" aria-label=\"Timeline of the session's \(rows.count) LLM calls and tool runs\">"
        for tick in 0...4 {
            let x = Self.left + track * Double(tick) / 4
            svg += "<line class=\"grid\" x1=\"\(format(x))\" x2=\"\(format(x))\" y1=\"0\" y2=\"\(Int(height - 18))\"/>"
            svg += "<text class=\"axis\" x=\"\(format(x))\" y=\"\(Int(height - 4))\" text-anchor=\"\(tick == 0 ? "start" : tick == 4 ? "end" : "middle")\">"
                + "\(escape(ReportText.duration(span * 1000 * Double(tick) / 4)))</text>"
        }
        for (index, row) in rows.enumerated() {
            let y = Double(index) * Self.rowHeight
            let start = (row.start ?? origin).timeIntervalSince(origin)
            let end = (row.end ?? row.start ?? origin).timeIntervalSince(origin)
            let x = Self.left + track * start / span
            let barWidth = max(2, track * max(0, end - start) / span)
            let mark = flagged.contains(row.id)
            let classes = ["row", mark ? "flagged" : nil, row.kind == .failedTool ? "failed" : nil, row.end == nil ? "open" : nil]
                .compactMap { $0 }.joined(separator: " ")
            svg += "<a href=\"#row-\(escape(row.id))\" class=\"\(classes)\" aria-label=\"\(escape((mark ? "problem: " : "") + row.detail))\">"
                + "<title>\(escape(row.detail))</title>"
                + "<rect class=\"hit\" x=\"0\" y=\"\(format(y))\" width=\"\(Int(Self.width))\" height=\"\(Int(Self.rowHeight))\"/>"
                + "<text x=\"\(row.indent ? 22 : 8)\" y=\"\(format(y + 15))\">\(mark ? "⚠ " : "")\(escape(ReportText.cut(row.label, to: 24)))</text>"
                + "<rect class=\"bar\" x=\"\(format(x))\" y=\"\(format(y + 4))\" width=\"\(format(barWidth))\" height=\"14\" "
                + "fill=\"\(Self.colours[row.kind]!)\"/></a>"
        }
        svg += "</svg></div>\n"
        return svg + "<ul class=\"legend\">"
            + [("LLM call", Self.colours[.call]!), ("tool run", Self.colours[.tool]!), ("✗ failed tool run (dashed)", Self.colours[.failedTool]!)]
                .map { "<li><svg width=\"12\" height=\"12\" aria-hidden=\"true\"><rect width=\"12\" height=\"12\" fill=\"\($0.1)\"/></svg> \(escape($0.0))</li>" }
                .joined()
            + "<li>⚠ a row a problem points at</li></ul>\n"
    }

    private func format(_ value: Double) -> String { String(format: "%.1f", value) }
}
