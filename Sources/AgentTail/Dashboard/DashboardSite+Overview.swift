import Foundation

extension DashboardSite {
    /// The report of a period (the last 7 days unless asked), with its charts, anomalies and problems, each linking
    /// to its evidence.
    func overview(_ request: DashboardRequest) async throws -> DashboardResponse {
        let report = try await report(request)
        let period = "\(ReportText.minute(report.period.from)) to \(ReportText.minute(report.period.to)) UTC"
        let main = "<header><h1>Overview</h1><p class=\"muted\">\(DashboardHTML.escape(period)); the charts show the "
            + "days before the period in a lighter shade.</p>"
            + DashboardHTML.periodPicker("/", current: request.query["since"] ?? (request.query.isEmpty ? "7d" : nil), keep: [])
            + "</header>\n" + ReportHTML.sections(report, links: DashboardHTML.reportLinks)
        return page("Overview", .overview, main, request)
    }

    /// The report of the request's period, the last 7 days unless asked.
    func report(_ request: DashboardRequest) async throws -> Report {
        var query = ReportQuery(period: try period(request, otherwise: .since(.seconds(7 * 86_400))))
        query.baselineSeconds = baselineSeconds
        return try await LocalReportReader(path: reader.path).report(query)
    }
}
