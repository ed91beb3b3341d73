import Foundation

extension DashboardSite {
    /// Error patterns, most frequent first, each with its latest cases linking to where they happened; searchable.
    func errors(_ request: DashboardRequest) async throws -> DashboardResponse {
        let query = request.query
        var filter = RecordReader.ErrorFilter()
        filter.period = try period(request, otherwise: .since(.seconds(7 * 86_400)))
        filter.text = query["text"]
        filter.fingerprint = query["fingerprint"]
        filter.source = query["source"]
        filter.tool = query["tool"]
        let cursor = try query["cursor"].map { token in
            guard let cursor = PageCursor(token: token), cursor.offset != nil else {
                throw BadRequest(message: "that page is not one this list gave; start again from the first page")
            }
            return cursor
        }
        let search = try await reader.errorGroups(filter, limit: 20, examples: 5, cursor: cursor, textCut: TextCut(limit: 600))
        let escape = DashboardHTML.escape
        let kept: [(String, String?)] = ["text", "fingerprint", "source", "tool"].map { ($0, query[$0]) }
        var main = "<header><h1>Errors</h1><p class=\"muted\">\(ReportText.count(search.total)) pattern"
            + "\(search.total == 1 ? "" : "s") from \(escape(ReportText.minute(filter.period?.from))) to "
            + "\(escape(ReportText.minute(filter.period?.to))) UTC, most frequent first.</p>"
            + DashboardHTML.periodPicker("/errors", current: query["since"] ?? (query["day"] == nil && query["week"] == nil && query["from"] == nil ? "7d" : nil), keep: kept)
            + "</header>\n"
        func field(_ name: String, _ label: String, _ hint: String) -> String {
            "<label>\(label) <input name=\"\(name)\" value=\"\(escape(query[name] ?? ""))\" placeholder=\"\(hint)\"></label>"
        }
        main += "<form class=\"filters\" method=\"get\" action=\"/errors\" role=\"search\">"
            + field("text", "message", "text in the message") + field("source", "source", "llm, tool, agent, parser")
            + field("tool", "tool", "bash") + field("fingerprint", "pattern", "fingerprint")
            + (query["since"].map { "<input type=\"hidden\" name=\"since\" value=\"\(escape($0))\">" } ?? "")
            + "<button type=\"submit\">Search</button> " + DashboardHTML.link("/errors", "Clear") + "</form>\n"
        if search.groups.isEmpty { main += "<p>No error matches.</p>" }
        for group in search.groups {
            let heading = "\(group.source): \(group.fingerprint)"
            let facts = "\(group.count) time\(group.count == 1 ? "" : "s") in \(group.sessions) session\(group.sessions == 1 ? "" : "s")"
                + (group.tools.isEmpty ? "" : " (\(group.tools.joined(separator: ", ")))")
                + ", first \(ReportText.minute(group.firstSeen)), last \(ReportText.minute(group.lastSeen)) UTC"
            let examples = DashboardHTML.table(
                ["when", "session", "message"], group.examples.map { example in
                    let session = example.sessionId ?? ""
                    return [
                        escape(ReportText.minute(example.occurredAt)),
                        DashboardHTML.link(DashboardHTML.sessionLink(session, anchor: example.relatedId), String(session.prefix(8))),
                        escape(example.message ?? ""),
                    ]
                }, caption: "The latest cases")
            main += "<section class=\"pattern\"><h2>\(DashboardHTML.link(DashboardHTML.errorLink(source: group.source, fingerprint: group.fingerprint), heading))</h2>"
                + "<p class=\"muted\">\(escape(facts))</p>\(examples)</section>\n"
        }
        if let next = search.nextCursor {
            main += "<nav class=\"pager\" aria-label=\"Pages\">" + DashboardHTML.link(
                DashboardRequest.link("/errors", kept + Self.periodItems(request) + [("cursor", next)]), "Next page →",
                extra: " rel=\"next\"") + "</nav>\n"
        }
        return page("Errors", .errors, main, request)
    }
}
