import Foundation

extension DashboardSite {
    /// Sessions per page of the list.
    static let sessionsPerPage = 50
    /// The longest a text of a session's page is kept.
    static let pageTextCut = TextCut(limit: 20_000)

    /// The list of sessions: filters, an order, pages; it refreshes while sessions are written.
    func sessions(_ request: DashboardRequest) async throws -> DashboardResponse {
        var filter = RecordReader.SessionFilter()
        let query = request.query
        if let status = query["status"] {
            guard RecordReader.SessionFilter.statuses.contains(status) else {
                throw BadRequest(message: "there is no status '\(status)'; the statuses are "
                    + RecordReader.SessionFilter.statuses.joined(separator: ", "))
            }
            filter.status = status
        }
        filter.agent = query["agent"]
        filter.workspace = query["workspace"]
        filter.branch = query["branch"]
        filter.host = query["host"]
        filter.text = query["text"]
        if query["since"] != nil || query["day"] != nil || query["week"] != nil || query["from"] != nil {
            filter.period = try period(request, otherwise: .since(.seconds(86_400)))
        }
        let order = try query["order"].map { text in
            guard let order = RecordReader.SessionOrder(rawValue: text) else {
                throw BadRequest(message: "there is no order '\(text)'; the orders are "
                    + RecordReader.SessionOrder.allCases.map(\.rawValue).joined(separator: ", "))
            }
            return order
        } ?? .newest
        let cursor = try query["cursor"].map { token in
            guard let cursor = PageCursor(token: token) else {
                throw BadRequest(message: "that page is not one this list gave; start again from the first page")
            }
            return cursor
        }
        let live = await liveAddress()  // before the list: a change made while it is read is told at once
        let list = try await reader.sessions(
            filter, order: order, limit: Self.sessionsPerPage, cursor: cursor, textCut: TextCut(limit: 160))
        let kept = ["status", "agent", "workspace", "branch", "host", "text"].map { ($0, query[$0]) }
            + Self.periodItems(request)
        var main = "<header><h1>Sessions</h1><p class=\"muted\">\(ReportText.count(list.total)) "
            + "session\(list.total == 1 ? "" : "s") match\(cursor == nil ? "" : "; a later page")"
            + ". The list follows the store as the agent runs.</p></header>\n"
        main += filterForm(query, order: order)
        let headers: [(String, RecordReader.SessionOrder?)] = [
            ("started", order == .newest ? .oldest : .newest), ("status", nil), ("task", nil), ("duration", .longest),
            ("LLM calls", nil), ("tool runs", nil), ("errors", .errors), ("cost", .costliest), ("problems", nil),
        ]
        let headerCells = headers.map { name, sort -> String in
            guard let sort else { return DashboardHTML.escape(name) }
            let current = order == sort || (name == "started" && (order == .newest || order == .oldest))
            let arrow = current ? (order == .oldest ? " ▲" : " ▼") : ""
            return DashboardHTML.link(
                DashboardRequest.link("/sessions", kept + [("order", sort == .newest ? nil : sort.rawValue)]),
                name + arrow, extra: current ? " aria-current=\"true\"" : "")
        }
        let rows = list.sessions.map { session -> [String] in
            let link = DashboardHTML.sessionLink(session.id)
            let place = [session.agent, session.workspace, session.gitBranch, session.host].compactMap { $0 }
            return [
                "<span class=\"when\">" + DashboardHTML.link(link, ReportText.minute(session.startedAt)) + "</span>",
                DashboardHTML.status(session.status),
                DashboardHTML.link(link, session.task ?? "(no task)", extra: " class=\"task\"")
                    + "<div class=\"place\">\(DashboardHTML.escape(place.joined(separator: " · ")))</div>",
                DashboardHTML.escape(ReportText.duration(session.durationMs.map(Double.init))),
                ReportText.count(session.llmCalls),
                "\(ReportText.count(session.toolCalls))"
                    + (session.toolErrors > 0 ? " <span class=\"bad\">(✗ \(session.toolErrors))</span>" : ""),
                ReportText.count(session.errors), DashboardHTML.escape(ReportText.dollars(session.costUsd)),
                DashboardHTML.escape(session.problems.joined(separator: ", ")),
            ]
        }
        main += "<section class=\"flush\">" + DashboardHTML.table(
            headerCells, labels: headers.map(\.0), numeric: [3, 4, 5, 6, 7], rows,
            caption: "Sessions, \(order == .newest ? "newest first" : "by \(order.rawValue)")") + "</section>\n"
        var pager: [String] = []
        if cursor != nil { pager.append(DashboardHTML.link(DashboardRequest.link("/sessions", kept + [("order", order == .newest ? nil : order.rawValue)]), "First page")) }
        if let next = list.nextCursor {
            pager.append(DashboardHTML.link(
                DashboardRequest.link("/sessions", kept + [("order", order == .newest ? nil : order.rawValue), ("cursor", next)]),
                "Next page →", extra: " rel=\"next\""))
        }
        if !pager.isEmpty { main += "<nav class=\"pager\" aria-label=\"Pages\">" + pager.joined(separator: " ") + "</nav>\n" }
        return page("Sessions", .sessions, main, request, live: live)
    }

    private func filterForm(_ query: [String: String], order: RecordReader.SessionOrder) -> String {
        func field(_ name: String, _ label: String, _ hint: String) -> String {
            "<label>\(label) <input name=\"\(name)\" value=\"\(DashboardHTML.escape(query[name] ?? ""))\" placeholder=\"\(hint)\"></label>"
        }
        let statuses = [""] + RecordReader.SessionFilter.statuses
        let status = "<label>status <select name=\"status\">" + statuses.map { value in
            "<option value=\"\(value)\"\(query["status"] == value || (value.isEmpty && query["status"] == nil) ? " selected" : "")>"
                + (value.isEmpty ? "any" : value) + "</option>"
        }.joined() + "</select></label>"
        let periods = [("", "any time"), ("24h", "last 24 hours"), ("7d", "last 7 days"), ("30d", "last 30 days")]
        let since = "<label>started <select name=\"since\">" + periods.map { value, label in
            "<option value=\"\(value)\"\((query["since"] ?? "") == value ? " selected" : "")>\(label)</option>"
        }.joined() + "</select></label>"
        let keepOrder = order == .newest ? "" : "<input type=\"hidden\" name=\"order\" value=\"\(order.rawValue)\">"
        return "<form class=\"filters\" method=\"get\" action=\"/sessions\" role=\"search\">" + status + since
            + field("agent", "agent", "mini-agent") + field("workspace", "workspace", "part of the path")
            + field("branch", "branch", "main") + field("host", "host", "") + field("text", "task", "text in the task")
            + keepOrder + "<button type=\"submit\">Filter</button> "
            + DashboardHTML.link("/sessions", "Clear") + "</form>\n"
    }

    /// One session: its facts, problems, the timeline of its calls and tool runs, each step's texts.
    func session(_ id: String, _ request: DashboardRequest) async throws -> DashboardResponse {
        // The signature first: a change made while the page is read is then told to it at once.
        let live = await liveAddress(session: id)
        let answer = try await reader.session(id, limit: 2_000, cursor: nil, textCut: Self.pageTextCut)
        let facts = answer.session
        let escape = DashboardHTML.escape
        var main = "<header><h1>Session \(escape(String(facts.id.prefix(8))))</h1>"
            + "<p>\(DashboardHTML.status(facts.status)) · \(escape(facts.agent ?? "agent")) · started "
            + "\(escape(ReportText.minute(facts.startedAt))) UTC</p>"
            + (facts.task.map { "<p class=\"task\">\(escape($0))</p>" } ?? "") + "</header>\n"
        let tokens = (facts.promptTokens ?? 0) + (facts.completionTokens ?? 0)
        let figures: [(String, String)] = [
            ("Duration", ReportText.duration(facts.durationMs.map(Double.init))),
            ("LLM calls", ReportText.count(facts.llmCalls)),
            ("Tool runs", "\(ReportText.count(facts.toolCalls)) (\(facts.toolErrors) failed)"),
            ("Tokens", tokens > 0 ? ReportText.count(tokens) : "-"),
            ("Cost", ReportText.dollars(facts.costUsd)),
            ("Peak memory", ReportText.bytes(facts.peakRssBytes.map(Double.init))),
        ]
        main += "<section class=\"cards\">" + figures.map { label, value in
            "<div class=\"card\"><h3>\(escape(label))</h3><p class=\"figure\">\(escape(value))</p></div>"
        }.joined() + "</section>\n"
        let where_ = [
            ("workspace", facts.workspace), ("branch", facts.gitBranch), ("host", facts.host),
            ("agent version", facts.agentVersion), ("log", facts.sourcePath), ("id", facts.id),
        ].compactMap { label, value in value.map { "<dt>\(label)</dt><dd>\(escape($0))</dd>" } }.joined()
        main += "<section><h2>Where</h2><dl class=\"facts\">\(where_)</dl></section>\n"
        if !answer.problems.isEmpty {
            main += DashboardHTML.section("Problems", "<ul class=\"problems\">" + answer.problems.map { problem in
                "<li><strong>\(escape(problem.kind))</strong>: \(escape(problem.explanation)) — "
                    + problem.evidence.map { DashboardHTML.link("#row-\($0)", String($0.prefix(8))) }.joined(separator: " ")
                    + "</li>"
            }.joined() + "</ul>", id: "problems")
        }
        main += DashboardHTML.section("Timeline", SessionTimeline(answer).svg, id: "timeline")
        main += DashboardHTML.section("Steps", steps(answer), id: "steps")
        if let output = facts.finalOutput { main += DashboardHTML.section("Final answer", "<pre>\(escape(output))</pre>") }
        if !answer.errors.isEmpty {
            main += DashboardHTML.section("Errors", DashboardHTML.table(
                ["when", "source", "tool", "message"], answer.errors.map { error in
                    [escape(ReportText.minute(error.occurredAt)), escape(error.source ?? "-"), escape(error.toolName ?? "-"),
                     error.relatedId.map { DashboardHTML.link("#row-\($0)", error.message ?? "") } ?? escape(error.message ?? "")]
                }, caption: "\(answer.errorsTotal) error\(answer.errorsTotal == 1 ? "" : "s")"))
        }
        if answer.nextCursor != nil {
            main += "<p class=\"muted\">The first \(answer.steps.count) of \(answer.stepsTotal) steps are shown.</p>"
        }
        return page("Session \(facts.id.prefix(8))", .sessions, main, request, live: live)
    }

    /// Each step folded: its summary line, then its texts and tool runs.
    private func steps(_ answer: Records.Session) -> String {
        let escape = DashboardHTML.escape
        let flagged = Set(answer.problems.flatMap(\.evidence))
        var html = "<ol class=\"steps\">"
        for step in answer.steps {
            html += "<li>"
            if let call = step.call {
                var summary = "LLM call \(call.seq.map(String.init) ?? "?") · \(call.status ?? "ok")"
                if let latency = call.latencyMs { summary += " · \(ReportText.duration(Double(latency)))" }
                if let model = call.model { summary += " · \(model)" }
                if let prompt = call.promptTokens {
                    summary += " · \(ReportText.count(prompt)) in / \(ReportText.count(call.completionTokens)) out tokens"
                }
                if let cost = call.costUsd { summary += " · \(ReportText.dollars(cost))" }
                html += "<details id=\"row-\(escape(call.id))\" class=\"call\(flagged.contains(call.id) ? " flagged" : "")\">"
                    + "<summary>\(flagged.contains(call.id) ? "⚠ " : "")\(escape(summary))</summary>"
                    + DashboardHTML.text(call.output, label: "output") + DashboardHTML.text(call.thinking, label: "thinking")
                    + DashboardHTML.text(call.input, label: "input (the newest part)") + "</details>"
            }
            if !step.tools.isEmpty {
                html += "<ul class=\"runs\">" + step.tools.map { run in
                    var summary = "\(run.name ?? "tool") · \(ReportText.duration(run.durationMs.map(Double.init)))"
                    if let rss = run.peakRssBytes { summary += " · peak \(ReportText.bytes(Double(rss)))" }
                    if let cpu = run.cpuMs { summary += " · CPU \(ReportText.duration(Double(cpu)))" }
                    return "<li><details id=\"row-\(escape(run.id))\" class=\"run\(flagged.contains(run.id) ? " flagged" : "")\">"
                        + "<summary>\(flagged.contains(run.id) ? "⚠ " : "")\(DashboardHTML.outcome(run.success)) \(escape(summary))</summary>"
                        + DashboardHTML.text(run.arguments, label: "arguments") + DashboardHTML.text(run.result, label: "result")
                        + DashboardHTML.text(run.error, label: "error") + "</details></li>"
                }.joined() + "</ul>"
            }
            html += "</li>"
        }
        return html + "</ol>\n"
    }
}
