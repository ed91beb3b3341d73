import AgentTail
import AgentTailCore
import AgentTailTestSupport
import Foundation
import Testing

/// A store with five sessions on 2026-12-01 (and one row of each kind the day before, which the day's report must
/// leave out), seeded so that every figure of the report can be worked out by hand.
private func seededDay() throws -> (TemporaryFolder, SeededStore) {
    let folder = try TemporaryFolder()
    let store = try SeededStore(path: folder.file("events.sqlite"))
    func at(_ time: String) -> String { "2026-12-01T\(time).000Z" }
    let sessions: [(String, String, String, Int?, Double?, String?, String?, String, String)] = [
        ("s1", "mini-agent", "completed", 1000, 0.10, "/w/a", "main", "h1", "fix the bug"),
        ("s2", "mini-agent", "failed", 3000, 0.30, "/w/a", "dev", "h1", "add a test"),
        ("s3", "claude-code", "completed", 2000, 0.05, "/w/b", nil, "h2", "write docs"),
        ("s4", "claude-code", "running", nil, nil, "/w/b", nil, "h2", "refactor"),
        ("s5", "claude-code", "interrupted", 500, nil, nil, nil, "h2", "look around"),
    ]
    for (index, s) in sessions.enumerated() {
        try store.insert(.agentSessions, [
            "id": s.0, "agent": s.1, "status": s.2, "duration_ms": s.3, "cost_usd": s.4, "workspace": s.5,
            "git_branch": s.6, "host": s.7, "task": s.8, "started_at": at("0\(index + 1):00:00"),
            "llm_calls": 2, "tool_calls": 1,
        ])
    }
    try store.insert(.agentSessions, [
        "id": "s0", "agent": "mini-agent", "status": "completed", "duration_ms": 99_000, "cost_usd": 9.0,
        "started_at": "2026-11-30T23:59:59.999Z",
    ])
    let calls: [(String, String, String?, Int?, String, Int?, Int?, Int?, Int?, Double?)] = [
        ("c1", "s1", "m-a", 100, "ok", 1000, 100, 500, 0, 0.04),
        ("c2", "s1", "m-a", 200, "ok", 2000, 200, 0, 100, 0.06),
        ("c3", "s2", "m-b", 300, "error", 3000, 0, nil, nil, 0.25),
        ("c4", "s3", "m-c", 400, "ok", 500, 50, nil, nil, nil),
        ("c5", "s3", "m-a", nil, "no_response", nil, nil, nil, nil, nil),
    ]
    for (index, c) in calls.enumerated() {
        try store.insert(.llmCalls, [
            "id": c.0, "session_id": c.1, "model": c.2, "latency_ms": c.3, "status": c.4, "prompt_tokens": c.5,
            "completion_tokens": c.6, "cache_read_tokens": c.7, "cache_creation_tokens": c.8, "cost_usd": c.9,
            "started_at": at("1\(index):00:00"), "seq": index,
        ])
    }
    try store.insert(.llmCalls, [
        "id": "c0", "session_id": "s0", "model": "m-a", "latency_ms": 9999, "status": "ok", "prompt_tokens": 1,
        "cost_usd": 5.0, "started_at": "2026-11-30T12:00:00.000Z",
    ])
    // The last two: peak RSS and CPU, where the run was measured live.
    let tools: [(String, String, String, String, Bool, Int?, Int?, Int?)] = [
        ("t1", "s1", "bash", "shell", true, 10, 100_000_000, 40),
        ("t2", "s1", "bash", "shell", false, 30, 300_000_000, 10),
        ("t3", "s2", "bash", "shell", true, 20, nil, nil),
        ("t4", "s2", "read_file", "file", false, 5, 50_000_000, 0),
        ("t5", "s3", "bash", "shell", true, nil, nil, nil),
    ]
    for (index, t) in tools.enumerated() {
        try store.insert(.toolExecutions, [
            "id": t.0, "session_id": t.1, "tool_name": t.2, "category": t.3, "success": t.4, "duration_ms": t.5,
            "started_at": at("1\(index):30:00"), "peak_rss_bytes": t.6, "cpu_ms": t.7,
        ])
    }
    try store.insert(.toolExecutions, [
        "id": "t0", "session_id": "s0", "tool_name": "bash", "category": "shell", "success": false,
        "duration_ms": 1, "started_at": "2026-11-30T12:00:00.000Z",
    ])
    let errors: [(String, String, String, String, String, String)] = [
        ("e1", "s1", "tool", "F1", "File not found: a", at("10:00:00")),
        ("e2", "s2", "tool", "F1", "File not found: b", at("11:00:00")),
        ("e3", "s2", "llm", "F2", "HTTP 500", at("12:00:00")),
        ("e0", "s0", "llm", "F2", "HTTP 500 the day before", "2026-11-30T12:00:00.000Z"),
    ]
    for e in errors {
        try store.insert(.agentErrors, [
            "id": e.0, "session_id": e.1, "source": e.2, "fingerprint": e.3, "message": e.4, "occurred_at": e.5,
        ])
    }
    return (folder, store)
}

private func dayReport(by dimension: ReportQuery.Dimension? = nil) async throws -> Report {
    let (folder, store) = try seededDay()
    let period = try ReportPeriod.day("2026-12-01").resolve(now: Date())
    let report = try await LocalReportReader(path: store.path).report(ReportQuery(period: period, by: dimension))
    withExtendedLifetime(folder) {}
    return report
}

private func text(_ value: (some CustomStringConvertible)?) -> String { value.map { "\($0)" } ?? "nil" }

private func describe(_ m: Report.ModelUsage) -> String {
    "\(m.model): \(m.calls), \(m.promptTokens)/\(m.completionTokens), \(m.cacheReadTokens)/\(m.cacheCreationTokens), "
        + text(m.costUsd)
}

private func describe(_ t: Report.ToolUsage) -> String {
    "\(t.name)/\(text(t.category)): \(t.calls), \(t.failures), \(t.failureRate), \(text(t.p50Ms)), \(text(t.p95Ms)), "
        + "\(text(t.p95PeakRssBytes)), \(text(t.p50CpuMs))"
}

private func describe(_ g: Report.Group) -> String {
    "\(text(g.key)): \(g.sessions), \(g.completed), \(g.failed), \(g.llmCalls), \(g.promptTokens)/\(g.completionTokens), "
        + "\(text(g.costUsd)), \(text(g.toolCalls)), \(text(g.toolFailures))"
}

@Suite("Report from the local store")
struct ReportTests {
    @Test func headlineFigures() async throws {
        let report = try await dayReport()
        #expect(report.period.from.rfc3339 == "2026-12-01T00:00:00.000Z")
        #expect(report.period.to.rfc3339 == "2026-12-02T00:00:00.000Z")

        let s = report.sessions
        #expect([s.total, s.completed, s.failed, s.abandoned, s.interrupted, s.running] == [5, 2, 1, 0, 1, 1] as [Int])
        // Completed among completed, failed and abandoned: 2 of 3.
        #expect(s.successRate == 0.6667)
        // Ended sessions' durations 500, 1000, 2000, 3000: interpolated as percentile_cont does.
        #expect(s.p50DurationMs == 1500)
        #expect(s.p95DurationMs == 2850)
        #expect(s.costUsd == 0.45)

        let c = report.llmCalls
        #expect([c.total, c.failed, c.promptTokens, c.completionTokens] == [5, 2, 6500, 350] as [Int])
        #expect([c.cacheReadTokens, c.cacheCreationTokens, c.unpricedCalls] == [500, 100, 1] as [Int])
        #expect(c.p50Ms == 250)
        #expect(c.p95Ms == 385)
        #expect(c.costUsd == 0.35)
        #expect(report.notes.count == 2)
        #expect(report.notes.contains { $0.hasPrefix("No price is known for m-c: 1 LLM call is left out") })
        // Five sessions and no days before them: nothing can be judged, and the report says so.
        #expect(report.notes.contains { $0.hasPrefix("Too little data to judge anything for anomalies") })
        #expect(report.anomalies.isEmpty)
    }

    @Test func modelsToolsAndErrors() async throws {
        let report = try await dayReport()
        // model: calls, prompt / output, cache read / write, cost
        #expect(report.models.map(describe) == [
            "m-b: 1, 3000/0, 0/0, 0.25",
            "m-a: 3, 3000/300, 500/100, 0.1",
            "m-c: 1, 500/50, 0/0, nil",
        ])
        // tool/category: calls, failures, rate, p50, p95, peak RSS p95 and CPU p50 of the measured runs
        // (bash: 100 + 0.95 × (300 - 100) MB; (40 + 10) / 2 ms)
        #expect(report.tools.map(describe) == [
            "bash/shell: 4, 1, 0.25, 20.0, 29.0, 290000000.0, 25.0",
            "read_file/file: 1, 1, 1.0, 5.0, 5.0, 50000000.0, 0.0",
        ])
        #expect(report.errors.map { [$0.source, $0.fingerprint, "\($0.count)", "\($0.sessions)", $0.example] } == [
            ["tool", "F1", "2", "2", "File not found: b"],
            ["llm", "F2", "1", "1", "HTTP 500"],
        ])
        #expect(report.errors.first?.firstSeen?.rfc3339 == "2026-12-01T10:00:00.000Z")
        #expect(report.errors.first?.lastSeen?.rfc3339 == "2026-12-01T11:00:00.000Z")
        #expect(report.slowestSessions.map(\.id) == ["s2", "s3", "s1", "s5"])
        #expect(report.costliestSessions.map(\.id) == ["s2", "s1", "s3"])
        #expect(report.costliestSessions.first?.task == "add a test")
        #expect(report.groups == nil)
        // The timeline: the seven days before, then the day; the day before holds the rows left out above.
        #expect(report.days.map(\.day).first == "2026-11-24")
        #expect(report.days.count == 8)
        let before = try #require(report.days.first { $0.day == "2026-11-30" })
        #expect(!before.inPeriod && before.sessions == 1 && before.completed == 1)
        #expect(before.costByModel == ["m-a": 5] && before.errorsByPattern == ["llm F2": 1])
        let day = try #require(report.days.last)
        #expect(day.inPeriod && [day.sessions, day.completed, day.failed] == [5, 2, 1] as [Int])
        #expect(day.costByModel == ["m-a": 0.1, "m-b": 0.25])
        #expect(day.errorsByPattern == ["tool F1": 2, "llm F2": 1])
    }

    @Test func groupsBySessionDimension() async throws {
        let report = try await dayReport(by: .agent)
        #expect(report.groups?.by == "agent")
        // key: sessions, completed, failed, LLM calls, prompt / output, cost, tools, tool failures
        #expect(report.groups?.rows.map(describe) == [
            "mini-agent: 2, 1, 1, 3, 6000/300, 0.35, 4, 2",
            "claude-code: 3, 1, 0, 2, 500/50, nil, 1, 0",
        ])
        let byWorkspace = try await dayReport(by: .workspace)
        #expect(byWorkspace.groups?.rows.map(\.key) == ["/w/a", "/w/b", nil])
        #expect(byWorkspace.groups?.rows.map(\.sessions) == [2, 2, 1])
    }

    @Test func groupsCallsOfSessionsThatStartedLongBefore() async throws {
        let (folder, store) = try seededDay()
        try store.insert(.agentSessions, [
            "id": "s-old", "agent": "mini-agent", "status": "running", "host": "h9",
            "started_at": "2026-11-20T08:00:00.000Z",
        ])
        try store.insert(.llmCalls, [
            "id": "c-old", "session_id": "s-old", "model": "m-a", "status": "ok", "prompt_tokens": 7,
            "started_at": "2026-12-01T20:00:00.000Z",
        ])
        try store.insert(.toolExecutions, [
            "id": "t-old", "session_id": "s-old", "tool_name": "bash", "success": false,
            "started_at": "2026-12-01T20:00:01.000Z",
        ])
        try store.insert(.llmCalls, [
            "id": "c-lost", "session_id": "s-unknown", "model": "m-a", "status": "ok", "prompt_tokens": 11,
            "started_at": "2026-12-01T21:00:00.000Z",
        ])
        let period = try ReportPeriod.day("2026-12-01").resolve(now: Date())
        let report = try await LocalReportReader(path: store.path).report(ReportQuery(period: period, by: .host))
        withExtendedLifetime(folder) {}
        let rows = try #require(report.groups?.rows)
        let old = try #require(rows.first { $0.key == "h9" })
        #expect([old.sessions, old.llmCalls, old.promptTokens, old.toolCalls, old.toolFailures] == [0, 1, 7, 1, 1])
        let none = try #require(rows.first { $0.key == nil })
        #expect(none.llmCalls == 1 && none.promptTokens == 11)
    }

    @Test func groupsByModelAndDay() async throws {
        let byModel = try await dayReport(by: .model)
        #expect(byModel.groups?.rows.map(describe) == [
            "m-b: 1, 0, 1, 1, 3000/0, 0.25, nil, nil",
            "m-a: 2, 2, 0, 3, 3000/300, 0.1, nil, nil",
            "m-c: 1, 1, 0, 1, 500/50, nil, nil, nil",
        ])
        let byDay = try await dayReport(by: .day)
        #expect(byDay.groups?.rows.map(describe) == ["2026-12-01: 5, 2, 1, 5, 6500/350, 0.35, 5, 2"])
    }

    @Test func outputsMatchExpectedFiles() async throws {
        let report = try await dayReport(by: .agent)
        let outputs: [(String, String)] = [
            ("seeded-day.json", String(decoding: try Report.jsonEncoder.encode(report), as: UTF8.self) + "\n"),
            ("seeded-day.txt", ReportRenderer(.text).render(report)),
            ("seeded-day.md", ReportRenderer(.markdown).render(report)),
        ]
        for (name, output) in outputs {
            let path = Fixtures.path("reports/\(name)")
            if ProcessInfo.processInfo.environment["AGENTTAIL_UPDATE_EXPECTED"] == "1" {
                try Data(output.utf8).write(to: URL(fileURLWithPath: path))
            }
            let expected = try String(contentsOfFile: path, encoding: .utf8)
            #expect(output == expected, "\(name) differs from the expected file")
        }
        // The JSON reads back to the same report.
        let decoded = try Report.jsonDecoder.decode(Report.self, from: Data(outputs[0].1.utf8))
        #expect(decoded == report)
    }

    @Test func textStaysWithinOneHundredColumns() async throws {
        let report = try await dayReport(by: .workspace)
        for line in ReportRenderer(.text).render(report).split(separator: "\n") {
            #expect(line.count <= 100, "too wide: \(line)")
        }
    }
}

@Suite("Report periods")
struct ReportPeriodTests {
    @Test func daysWeeksAndRanges() throws {
        let now = Report.timestamps.parse("2026-12-03T08:30:00Z")!
        func bounds(_ period: ReportPeriod) -> [String] {
            let resolved = period.resolve(now: now)
            return [resolved.from.rfc3339, resolved.to.rfc3339]
        }
        #expect(bounds(try .day("2026-02-28")) == ["2026-02-28T00:00:00.000Z", "2026-03-01T00:00:00.000Z"])
        // ISO week 1 of 2026 starts on Monday 2025-12-29.
        #expect(bounds(try .week("2026-W01")) == ["2025-12-29T00:00:00.000Z", "2026-01-05T00:00:00.000Z"])
        // 2026-12-03 is a Thursday: the last week that ended is November 23 to 30.
        #expect(bounds(try .week("last")) == ["2026-11-23T00:00:00.000Z", "2026-11-30T00:00:00.000Z"])
        #expect(bounds(try .since("24h")) == ["2026-12-02T08:30:00.000Z", "2026-12-03T08:30:00.000Z"])
        #expect(bounds(try .since("7d")) == ["2026-11-26T08:30:00.000Z", "2026-12-03T08:30:00.000Z"])
        #expect(
            bounds(try .range(from: "2026-12-01", to: "2026-12-02T12:00:00Z", now: now))
                == ["2026-12-01T00:00:00.000Z", "2026-12-02T12:00:00.000Z"])
    }

    @Test func badPeriodsSayWhatToWrite() {
        #expect(throws: ReportPeriod.Problem.self) { try ReportPeriod.day("2026-02-30") }
        #expect(throws: ReportPeriod.Problem.self) { try ReportPeriod.day("2026-2-3") }
        #expect(throws: ReportPeriod.Problem.self) { try ReportPeriod.week("2026-W54") }
        #expect(throws: ReportPeriod.Problem.self) { try ReportPeriod.week("2027-W53") }
        #expect(throws: ReportPeriod.Problem.self) { try ReportPeriod.since("yesterday") }
        #expect(throws: ReportPeriod.Problem.self) {
            try ReportPeriod.range(from: "2026-12-02", to: "2026-12-01", now: Date())
        }
        do {
            _ = try ReportPeriod.day("12/01/2026")
        } catch {
            #expect(error.description.contains("YYYY-MM-DD"))
        }
    }

    @Test func percentilesInterpolateAsPostgreSQLDoes() {
        #expect(Percentile.continuous([], 0.5) == nil)
        #expect(Percentile.continuous([7], 0.95) == 7)
        #expect(Percentile.continuous([1, 2, 3, 4], 0.5) == 2.5)
        #expect(Percentile.continuous([10, 20, 30], 0.95) == 29)
        #expect(Percentile.continuous(Array(1...100), 0.95) == 95.1)
        // Selection finds the ranks sorting would, in any order and with repeated values.
        var generator = SystemRandomNumberGenerator()
        for count in [2, 3, 10, 101, 5_000] {
            for spread in [3, 1_000_000] {
                let values = (0..<count).map { _ in Int.random(in: 0..<spread, using: &generator) }
                for q in [0.0, 0.5, 0.95, 1.0] {
                    let sorted = values.sorted()
                    let position = q * Double(count - 1)
                    let lower = Int(position.rounded(.down))
                    let upper = min(lower + 1, count - 1)
                    let expected = Double(sorted[lower]) + (position - Double(lower)) * Double(sorted[upper] - sorted[lower])
                    #expect(Percentile.continuous(values, q) == (expected * 10).rounded() / 10, "\(count) values, q \(q)")
                }
            }
        }
    }
}

@Suite("Report of untrusted text")
struct ReportUntrustedTextTests {
    /// What an agent's log may hold: markup, a Markdown table's pipes, terminal escapes, a bidi override.
    static let hostile = "<script>alert(1)</script></svg>| a | b |\u{1B}[31mred\u{1B}[0m\u{1B}]0;title\u{07}\u{202E}gnp.exe\n*bold*"

    func report() async throws -> Report {
        let folder = try TemporaryFolder()
        let store = try SeededStore(path: folder.file("events.sqlite"))
        try store.insert(.agentSessions, [
            "id": "s1", "agent": "mini-agent", "status": "failed", "duration_ms": 10, "cost_usd": 0.5,
            "task": Self.hostile, "started_at": "2026-12-01T10:00:00.000Z", "workspace": Self.hostile,
        ])
        try store.insert(.toolExecutions, [
            "id": "t1", "session_id": "s1", "tool_name": "bash|\u{1B}[2J", "category": Self.hostile, "success": false,
            "duration_ms": 3, "result": Self.hostile, "started_at": "2026-12-01T10:00:01.000Z",
        ])
        try store.insert(.agentErrors, [
            "id": "e1", "session_id": "s1", "source": "tool", "fingerprint": Self.hostile, "message": Self.hostile,
            "occurred_at": "2026-12-01T10:00:01.000Z",
        ])
        let period = try ReportPeriod.day("2026-12-01").resolve(now: Date())
        let report = try await LocalReportReader(path: store.path).report(ReportQuery(period: period, by: .workspace))
        withExtendedLifetime(folder) {}
        return report
    }

    @Test func textKeepsTheTerminalIntact() async throws {
        let text = ReportRenderer(.text).render(try await report())
        #expect(!text.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
        #expect(!text.unicodeScalars.contains { $0.value == 0x202E || (0x80..<0xA0).contains($0.value) })
        #expect(text.contains("␛[31mred"))
        for line in text.split(separator: "\n") { #expect(line.count <= 100, "too wide: \(line)") }
    }

    @Test func markdownKeepsTablesAndMarkupAsText() async throws {
        let markdown = ReportRenderer(.markdown).render(try await report())
        #expect(!markdown.contains("<script>"))
        #expect(!markdown.contains("</svg>"))
        #expect(markdown.contains("&lt;script&gt;"))
        #expect(!markdown.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
        // Every row of a table has as many cell separators (unescaped pipes) as its header.
        var columns: Int?
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            guard line.hasPrefix("|") else {
                columns = nil
                continue
            }
            let separators = line.replacingOccurrences(of: "\\|", with: "").filter { $0 == "|" }.count
            if let columns { #expect(separators == columns, "broken row: \(line)") } else { columns = separators }
        }
    }

    @Test func jsonCarriesTheTextUnchanged() async throws {
        let report = try await report()
        let decoded = try Report.jsonDecoder.decode(Report.self, from: try Report.jsonEncoder.encode(report))
        #expect(decoded.errors.first?.example == Self.hostile)
        #expect(decoded.slowestSessions.first?.task == Self.hostile)
    }
}
