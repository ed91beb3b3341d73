import Foundation

extension DashboardSite {
    /// Every tool of a period: calls, failures, durations, memory, each linking to its own page.
    func tools(_ request: DashboardRequest) async throws -> DashboardResponse {
        let report = try await report(request)
        let main = "<header><h1>Tools</h1>"
            + DashboardHTML.periodPicker("/tools", current: request.query["since"] ?? (request.query.isEmpty ? "7d" : nil), keep: [])
            + "</header>\n" + DashboardHTML.section("Tools", ReportHTML.tools(report.tools, links: DashboardHTML.reportLinks))
        return page("Tools", .tools, main, request)
    }

    /// One tool over a period: its figures and its latest failures, each linking to the run in its session.
    func tool(_ name: String, _ request: DashboardRequest) async throws -> DashboardResponse {
        let period = try period(request, otherwise: .since(.seconds(7 * 86_400)))
        let stats = try await reader.toolStats(name, period: period, failures: 20, textCut: TextCut(limit: 400))
        let escape = DashboardHTML.escape
        var main = "<header><h1>Tool \(escape(name))</h1><p class=\"muted\">\(escape(ReportText.minute(period.from))) to "
            + "\(escape(ReportText.minute(period.to))) UTC</p>"
            + DashboardHTML.periodPicker(DashboardHTML.toolLink(name), current: request.query["since"] ?? (request.query.isEmpty ? "7d" : nil), keep: [])
            + "</header>\n"
        guard stats.calls > 0 else {
            let others = (stats.otherTools ?? []).map { DashboardHTML.link(DashboardHTML.toolLink($0), $0) }
            main += "<p>\(escape(name)) did not run in this period."
                + (others.isEmpty ? "" : " Tools that ran: " + others.joined(separator: ", ") + ".") + "</p>"
            return page("Tool \(name)", .tools, main, request)
        }
        let figures: [(String, String, String)] = [
            ("Runs", ReportText.count(stats.calls), "in \(stats.sessions) sessions"),
            ("Failures", ReportText.count(stats.failures), ReportText.percent(stats.failureRate)),
            ("Duration", ReportText.duration(stats.p50Ms), "p50; p95 \(ReportText.duration(stats.p95Ms)), longest \(ReportText.duration(stats.maxMs.map(Double.init)))"),
            ("Memory", ReportText.bytes(stats.p95PeakRssBytes), stats.measuredRuns > 0 ? "p95 of \(stats.measuredRuns) measured runs" : "no run measured"),
            ("CPU", ReportText.duration(stats.p50CpuMs), "p50 of the measured runs"),
        ]
        main += "<section class=\"cards\">" + figures.map { label, value, note in
            "<div class=\"card\"><h3>\(escape(label))</h3><p class=\"figure\">\(escape(value))</p><p>\(escape(note))</p></div>"
        }.joined() + "</section>\n"
        main += DashboardHTML.section("Latest failures", DashboardHTML.table(
            ["when", "session", "duration", "arguments", "error"], numeric: [2],
            stats.recentFailures.map { failure in
                let session = failure.sessionId ?? ""
                return [
                    DashboardHTML.link(DashboardHTML.sessionLink(session, anchor: failure.run.id), ReportText.minute(failure.run.startedAt)),
                    DashboardHTML.link(DashboardHTML.sessionLink(session), String(session.prefix(8))),
                    escape(ReportText.duration(failure.run.durationMs.map(Double.init))),
                    "<code>\(escape(failure.run.arguments ?? ""))</code>", escape(failure.run.error ?? failure.run.result ?? ""),
                ]
            }, caption: "The latest failed runs of \(name), newest first"))
        return page("Tool \(name)", .tools, main, request)
    }
}
