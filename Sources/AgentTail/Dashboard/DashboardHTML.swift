import Foundation

/// The dashboard's page frame and the small parts its pages share. Every text from the store goes through
/// `escape`; pages carry no inline script or style (the Content-Security-Policy allows the dashboard's own files only).
enum DashboardHTML {
    /// The sections of the navigation bar.
    enum Section: String, CaseIterable {
        case overview = "Overview"
        case sessions = "Sessions"
        case tools = "Tools"
        case errors = "Errors"

        var path: String {
            switch self {
            case .overview: "/"
            case .sessions: "/sessions"
            case .tools: "/tools"
            case .errors: "/errors"
            }
        }
    }

    static func escape(_ text: String) -> String { ReportHTML.escape(text) }

    /// A whole page: `main` inside the frame. `live` is the address of the events that tell the page to refresh
    /// its main part.
    static func page(title: String, section: Section?, main: String, live: String? = nil, origin: String? = nil) -> String {
        let nav = Section.allCases.map { item in
            "<a href=\"\(item.path)\"\(item == section ? " aria-current=\"page\"" : "")>\(item.rawValue)</a>"
        }.joined()
        let liveAttribute = live.map { " data-live=\"\(escape($0))\"" } ?? ""
        return """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title)) · agenttail</title>
            <link rel="stylesheet" href="/assets/dashboard.css">
            <script src="/assets/dashboard.js" defer></script>
            </head>
            <body>
            <a class="skip" href="#main">Skip to content</a>
            <nav aria-label="Sections"><span class="brand">agenttail</span>\(nav)\(origin.map { "<span class=\"origin\">\(escape($0))</span>" } ?? "")<span class="live-state" role="status" aria-live="polite"></span></nav>
            <main id="main" tabindex="-1"\(liveAttribute)>
            \(main)</main>
            </body>
            </html>

            """
    }

    static func section(_ title: String, _ content: String, id: String? = nil) -> String {
        "<section\(id.map { " id=\"\(escape($0))\"" } ?? "")><h2>\(escape(title))</h2>\n\(content)</section>\n"
    }

    /// A link whose text is escaped.
    static func link(_ href: String, _ text: String, extra: String = "") -> String {
        "<a href=\"\(escape(href))\"\(extra)>\(escape(text))</a>"
    }

    /// A long text folded behind its first line, whole when short.
    static func text(_ text: String?, label: String) -> String {
        guard let text, !text.isEmpty else { return "" }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if text.count <= 300, lines.count <= 4 {
            return "<div class=\"field\"><h4>\(escape(label))</h4><pre>\(escape(text))</pre></div>"
        }
        return "<details class=\"field\"><summary><h4>\(escape(label))</h4> <span class=\"muted\">\(text.count) characters, "
            + "\(lines.count) lines</span></summary><pre>\(escape(text))</pre></details>"
    }

    /// `✓ ok` / `✗ failed`: the outcome in a symbol and a word, never in colour alone.
    static func outcome(_ success: Bool?) -> String {
        switch success {
        case true?: "<span class=\"ok\">✓ ok</span>"
        case false?: "<span class=\"bad\">✗ failed</span>"
        case nil: "<span class=\"muted\">… running</span>"
        }
    }

    static func status(_ status: String) -> String {
        let mark =
            switch status {
            case "completed": "✓"
            case "failed": "✗"
            case "running": "…"
            default: "–"
            }
        return "<span class=\"status status-\(escape(status))\">\(mark) \(escape(status))</span>"
    }

    /// The period picker of a page: the last day, week, month, or the period given.
    static func periodPicker(_ path: String, current: String?, keep: [(String, String?)]) -> String {
        let choices = [("24h", "last 24 hours"), ("7d", "last 7 days"), ("30d", "last 30 days"), ("90d", "last 90 days")]
        return "<p class=\"periods\">Period: "
            + choices.map { value, label in
                value == current
                    ? "<strong aria-current=\"true\">\(label)</strong>"
                    : link(DashboardRequest.link(path, [("since", value)] + keep), label)
            }.joined(separator: " · ") + "</p>\n"
    }

    /// A table. `headers` are HTML (pages that sort on the server put links there); `labels`, when given, name each
    /// column in plain words, and on a narrow screen the rows become cards that label their cells with them.
    static func table(
        _ headers: [String], labels: [String]? = nil, numeric: Set<Int> = [], _ rows: [[String]], caption: String
    ) -> String {
        guard !rows.isEmpty else { return "<p>None.</p>\n" }
        var html = "<div class=\"scroll\"><table\(labels == nil ? "" : " class=\"cards-narrow\"")><caption>\(escape(caption))</caption><thead><tr>"
        for (index, header) in headers.enumerated() {
            html += "<th scope=\"col\"\(numeric.contains(index) ? " class=\"num\"" : "")>\(header)</th>"
        }
        html += "</tr></thead><tbody>"
        for row in rows {
            html += "<tr>" + row.enumerated().map { index, cell in
                let label = labels.map { " data-label=\"\(escape($0[index]))\"" } ?? ""
                return "<td\(numeric.contains(index) ? " class=\"num\"" : "")\(label)>\(cell)</td>"
            }.joined() + "</tr>"
        }
        return html + "</tbody></table></div>\n"
    }

    /// Where a session's page is, at a row's anchor when given.
    static func sessionLink(_ id: String, anchor: String? = nil) -> String {
        "/sessions/\(DashboardRequest.encode(id))" + (anchor.map { "#row-\($0)" } ?? "")
    }

    static func toolLink(_ name: String) -> String { "/tools/\(DashboardRequest.encode(name))" }

    static func errorLink(source: String, fingerprint: String) -> String {
        DashboardRequest.link("/errors", [("source", source.isEmpty ? nil : source), ("fingerprint", fingerprint)])
    }

    /// The links the report's sections use inside the dashboard.
    static let reportLinks = ReportHTML.Links(
        session: { id, anchor in sessionLink(id, anchor: anchor) }, tool: { toolLink($0) },
        errorPattern: { errorLink(source: $0, fingerprint: $1) })
}
