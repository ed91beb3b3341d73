import Foundation
import NIOHTTP1

/// The dashboard's pages, read from the embedded store at each request: the overview of a period, the sessions, one
/// session's timeline, the tools and the error patterns, and the events that keep a page live.
package struct DashboardSite: Sendable {
    let reader: RecordReader
    let baselineSeconds: Double
    let changes: StoreChanges
    let style: [UInt8]
    let script: [UInt8]
    var now: @Sendable () -> Date = { Date() }
    /// Where the rows come from, when not from the embedded store (shown in every page's bar).
    package var origin: String?

    package init(storePath: String, baselineSeconds: Double) {
        reader = RecordReader(path: storePath)
        self.baselineSeconds = baselineSeconds
        changes = StoreChanges(path: storePath)
        style = Array((ReportHTML.style + "\n" + Self.asset("dashboard.css")).utf8)
        script = Array((ReportHTML.script + "\n" + Self.asset("dashboard.js")).utf8)
    }

    private static func asset(_ name: String) -> String {
        BundledResource.load("dashboard/\(name)") { String(decoding: $0, as: UTF8.self) }
    }

    /// A request the page cannot be made for, with what to do.
    struct BadRequest: Error {
        var message: String
    }

    package func answer(_ request: DashboardRequest) async -> DashboardResponse {
        guard request.method == "GET" || request.method == "HEAD" else {
            var response = DashboardResponse.text("agenttail ui only shows: GET and HEAD", status: .methodNotAllowed)
            response.headers = [("Allow", "GET, HEAD")]
            return response
        }
        do {
            let path = request.path
            switch (path.first ?? "", path.count) {
            case ("", 0): return try await overview(request)
            case ("sessions", 1): return try await sessions(request)
            case ("sessions", 2): return try await session(path[1], request)
            case ("tools", 1): return try await tools(request)
            case ("tools", 2): return try await tool(path[1], request)
            case ("errors", 1): return try await errors(request)
            case ("events", 1): return await events(request)
            case ("assets", 2) where path[1] == "dashboard.css":
                return DashboardResponse(status: .ok, contentType: "text/css; charset=utf-8", body: style)
            case ("assets", 2) where path[1] == "dashboard.js":
                return DashboardResponse(status: .ok, contentType: "text/javascript; charset=utf-8", body: script)
            default:
                return page(
                    "Not found", nil, "<h1>Not found</h1><p>There is no page here. "
                        + DashboardHTML.link("/", "Go to the overview") + ".</p>", request, status: .notFound)
            }
        } catch let problem as BadRequest {
            return page("Bad request", nil, "<h1>That cannot be shown</h1><p>\(DashboardHTML.escape(problem.message))</p>",
                request, status: .badRequest)
        } catch let problem as RecordReader.Problem {
            if case .noSession = problem {
                return page("No such session", .sessions, "<h1>No such session</h1><p>\(DashboardHTML.escape("\(problem)"))</p>",
                    request, status: .notFound)
            }
            return page("No store", nil, "<h1>Nothing to show yet</h1><p>\(DashboardHTML.escape("\(problem)"))</p>", request,
                status: .ok, live: "/events")
        } catch let problem as LocalReportProblem {
            return page("No store", nil, "<h1>Nothing to show yet</h1><p>\(DashboardHTML.escape("\(problem)"))</p>", request,
                status: .ok, live: "/events")
        } catch {
            return page("Error", nil, "<h1>Something went wrong</h1><p>\(DashboardHTML.escape("\(error)"))</p>", request,
                status: .internalServerError)
        }
    }

    /// `main` as a whole page, or only the main part when the page asked for a live update.
    func page(
        _ title: String, _ section: DashboardHTML.Section?, _ main: String, _ request: DashboardRequest,
        status: HTTPResponseStatus = .ok, live: String? = nil
    ) -> DashboardResponse {
        if request.partial { return .html(main, status: status) }
        return .html(
            DashboardHTML.page(title: title, section: section, main: main, live: live, origin: origin), status: status)
    }

    /// The period the query gives (`since`, `day`, `week`, `from` and `to`), or `otherwise`.
    func period(_ request: DashboardRequest, otherwise: ReportPeriod) throws -> Report.Period {
        let query = request.query
        let chosen = ["since", "day", "week", "from"].filter { query[$0] != nil }
        guard chosen.count <= 1 else { throw BadRequest(message: "give one of since, day, week and from, not several") }
        do {
            if let since = query["since"] { return try ReportPeriod.since(since).resolve(now: now()) }
            if let day = query["day"] { return try ReportPeriod.day(day).resolve(now: now()) }
            if let week = query["week"] { return try ReportPeriod.week(week).resolve(now: now()) }
            if let from = query["from"] {
                return try ReportPeriod.range(from: from, to: query["to"], now: now(), names: ("from", "to"))
                    .resolve(now: now())
            }
        } catch {
            throw BadRequest(message: error.description)
        }
        return otherwise.resolve(now: now())
    }

    /// The query's own period items, to keep them in the page's other links.
    static func periodItems(_ request: DashboardRequest) -> [(String, String?)] {
        ["since", "day", "week", "from", "to"].map { ($0, request.query[$0]) }
    }
}
