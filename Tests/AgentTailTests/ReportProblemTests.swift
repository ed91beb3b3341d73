import AgentTail
import AgentTailCore
import AgentTailTestSupport
import Foundation
import GRDB
import Testing

/// Logs of both agents, each written to show one problem, read by the real rules into a real local store.
private struct Runs {
    let folder: TemporaryFolder
    let store: LocalStore

    init() throws {
        folder = try TemporaryFolder()
        store = try LocalStore(path: folder.file("events.sqlite"))
    }

    /// Reads `text` as a finished log file and stores its rows; returns them.
    @discardableResult
    func add(_ name: String, _ text: String, rules: RulePack) throws -> [NormalizedRow] {
        let path = try folder.write(name, text)
        let rows = try FileParser.rows(path: path, rules: rules, host: "test-host")
        try store.writeBlocking(rows)
        return rows
    }

    /// The ended sessions whose problems the store kept, and how many problems it kept.
    func kept() throws -> (checked: Int, problems: Int) {
        try DatabaseQueue(path: store.path).read { db in
            (
                try Int.fetchOne(db, sql: "SELECT count(*) FROM session_problem_checks") ?? 0,
                try Int.fetchOne(db, sql: "SELECT count(*) FROM session_problems") ?? 0
            )
        }
    }

    /// Forgets what the store kept, as in a store written before problems were kept.
    func forgetKept() throws {
        try DatabaseQueue(path: store.path).write { db in
            try db.execute(sql: "DELETE FROM session_problem_checks; DELETE FROM session_problems")
        }
    }

    func problems() async throws -> [Report.Problem] {
        let period = try ReportPeriod.range(from: "2000-01-01", to: nil, now: Date()).resolve(now: Date())
        return try await LocalReportReader(path: store.path).report(ReportQuery(period: period)).problems
    }
}

extension MiniAgentLog {
    private static var system: [String: Any] { ["role": "system", "content": "You are a careful coding assistant."] }

    /// A request, a response asking for one tool, and the tool's result `wait` milliseconds later.
    mutating func step(_ name: String, _ arguments: [String: Any], success: Bool = true, output: String = "ok",
                       task: String = "Fix the build.", wait: Int = 5)
    {
        request(messages: [Self.system, ["role": "user", "content": task]])
        response(content: "", toolCalls: [("call_\(entries.count)", name, arguments)])
        toolResult(name: name, arguments: arguments, success: success, output: output, advance: wait)
    }

    /// The last request and the final answer.
    mutating func finish(_ answer: String = "Done.", task: String = "Fix the build.") {
        request(messages: [Self.system, ["role": "user", "content": task]])
        response(content: answer)
    }
}

private func ids(_ rows: [NormalizedRow], _ table: NormalizedTable) -> [String] {
    rows.rows(table).compactMap { $0.text("id") }
}

@Suite("Report problems")
struct ReportProblemTests {
    @Test func loopInBothAgents() async throws {
        let runs = try Runs()
        var mini = MiniAgentLog()
        for _ in 0..<4 { mini.step("bash", ["command": "npm test"], success: false, output: "1 failing") }
        mini.finish()
        let miniRows = try runs.add("agent_run_loop.log", mini.text, rules: try Fixtures.miniAgentRules)
        var claude = ClaudeCodeLog()
        claude.user("Make the tests pass.")
        for _ in 0..<3 {
            let id = claude.toolUse("Bash", ["command": "swift test"])
            claude.toolResult(id, "1 test failed")
        }
        claude.answer("The tests still fail.")
        let claudeRows = try runs.add("loop.jsonl", claude.text, rules: try Fixtures.claudeCodeRules)

        let loops = try await runs.problems().filter { $0.kind == "loop" }
        #expect(loops.count == 2)
        let miniLoop = try #require(loops.first { $0.sessionId == ids(miniRows, .agentSessions).first })
        #expect(miniLoop.evidence == ids(miniRows, .toolExecutions))
        #expect(miniLoop.explanation.hasPrefix("bash ran 4 times in a row with the same arguments: "))
        let claudeLoop = try #require(loops.first { $0.sessionId == ids(claudeRows, .agentSessions).first })
        #expect(claudeLoop.evidence == ids(claudeRows, .toolExecutions))
        #expect(claudeLoop.explanation.hasPrefix("Bash ran 3 times in a row"))
    }

    @Test func repeatedReadInBothAgents() async throws {
        let runs = try Runs()
        var mini = MiniAgentLog()
        for index in 0..<4 {
            mini.step("read_file", ["path": "src/main.py"])
            mini.step("bash", ["command": "python -m pytest -k case\(index)"])
        }
        mini.finish()
        let miniRows = try runs.add("agent_run_reads.log", mini.text, rules: try Fixtures.miniAgentRules)
        var claude = ClaudeCodeLog()
        claude.user("Why is the ETA wrong?")
        for pattern in ["round", "floor", "ceil", "eta"] {
            claude.toolResult(claude.toolUse("Read", ["file_path": "/home/dev/project/src/eta.ts"]), "code")
            claude.toolResult(claude.toolUse("Grep", ["pattern": pattern]), "matches")
        }
        claude.answer("It rounds down.")
        let claudeRows = try runs.add("reads.jsonl", claude.text, rules: try Fixtures.claudeCodeRules)

        let problems = try await runs.problems()
        #expect(!problems.contains { $0.kind == "loop" })
        let reads = problems.filter { $0.kind == "repeated_read" }
        #expect(reads.map(\.explanation).sorted() == [
            "/home/dev/project/src/eta.ts was read 4 times", "src/main.py was read 4 times",
        ])
        let miniReads = miniRows.rows(.toolExecutions).filter { $0.text("tool_name") == "read_file" }.compactMap { $0.text("id") }
        #expect(reads.first { $0.sessionId == ids(miniRows, .agentSessions).first }?.evidence == miniReads)
        #expect(reads.contains { $0.sessionId == ids(claudeRows, .agentSessions).first && $0.evidence.count == 4 })
    }

    @Test func failingStreakInBothAgents() async throws {
        let runs = try Runs()
        var mini = MiniAgentLog()
        mini.step("bash", ["command": "make"], success: true)
        mini.step("read_file", ["path": "missing.txt"], success: false, output: "File not found")
        mini.step("bash", ["command": "cat missing.txt"], success: false, output: "No such file")
        mini.step("write_file", ["path": "/root/x", "content": "x"], success: false, output: "Permission denied")
        mini.finish("I could not do it.")
        let miniRows = try runs.add("agent_run_streak.log", mini.text, rules: try Fixtures.miniAgentRules)
        var claude = ClaudeCodeLog()
        claude.user("Deploy it.")
        for command in ["kubectl apply -f a.yaml", "kubectl apply -f b.yaml", "helm install x"] {
            claude.toolResult(claude.toolUse("Bash", ["command": command]), "Error: forbidden", isError: true)
        }
        claude.answer("I lack the rights.")
        let claudeRows = try runs.add("streak.jsonl", claude.text, rules: try Fixtures.claudeCodeRules)

        let streaks = try await runs.problems().filter { $0.kind == "failing_streak" }
        #expect(streaks.count == 2)
        let miniStreak = try #require(streaks.first { $0.sessionId == ids(miniRows, .agentSessions).first })
        #expect(miniStreak.evidence == Array(ids(miniRows, .toolExecutions).dropFirst()))
        #expect(miniStreak.explanation == "3 tool runs failed one after another (read_file, bash, write_file)")
        let claudeStreak = try #require(streaks.first { $0.sessionId == ids(claudeRows, .agentSessions).first })
        #expect(claudeStreak.explanation == "3 tool runs failed one after another (Bash)")
    }

    @Test func noFinalAnswerInBothAgents() async throws {
        let runs = try Runs()
        var mini = MiniAgentLog()
        mini.step("bash", ["command": "ls"])
        let miniRows = try runs.add("agent_run_silent.log", mini.text, rules: try Fixtures.miniAgentRules)
        var claude = ClaudeCodeLog()
        claude.user("Look around.")
        claude.toolResult(claude.toolUse("Bash", ["command": "ls"]), "a b c")
        let claudeRows = try runs.add("silent.jsonl", claude.text, rules: try Fixtures.claudeCodeRules)

        let problems = try await runs.problems()
        #expect(problems.map(\.kind) == ["no_final_answer", "no_final_answer"])
        for rows in [miniRows, claudeRows] {
            let problem = try #require(problems.first { $0.sessionId == ids(rows, .agentSessions).first })
            #expect(problem.explanation.hasPrefix("the session ended abandoned without a final answer after 1 LLM call and 1 tool run"))
            #expect(problem.evidence == ids(rows, .llmCalls).suffix(1))
        }
    }

    @Test func llmRetriesExhaustedInBothAgents() async throws {
        let runs = try Runs()
        // The real log of a run whose last request got no answer through the retries.
        let miniRows = try runs.add(
            "agent_run_http_500.log",
            try String(contentsOfFile: Fixtures.path("mini-agent/10_llm_http_500_exhausted.log"), encoding: .utf8),
            rules: try Fixtures.miniAgentRules)
        var claude = ClaudeCodeLog()
        claude.user("Refactor the parser.")
        claude.toolResult(claude.toolUse("Read", ["file_path": "/home/dev/project/parser.py"]), "code")
        for _ in 0..<3 { claude.apiError(#"API Error: 529 {"type":"error","error":{"type":"overloaded_error"}}"#) }
        let claudeRows = try runs.add("overloaded.jsonl", claude.text, rules: try Fixtures.claudeCodeRules)

        let problems = try await runs.problems()
        #expect(problems.map(\.kind) == ["llm_retries_exhausted", "llm_retries_exhausted"])
        let mini = try #require(problems.first { $0.sessionId == ids(miniRows, .agentSessions).first })
        #expect(mini.evidence == ids(miniRows, .llmCalls).suffix(1))
        #expect(mini.explanation.hasPrefix("LLM call 2 ended without a response after 1 error"))
        let claudeProblem = try #require(problems.first { $0.sessionId == ids(claudeRows, .agentSessions).first })
        #expect(claudeProblem.explanation.hasPrefix("the LLM request after call 1 failed 3 times: API Error: 529"))
        #expect(claudeProblem.evidence == ids(claudeRows, .llmCalls).suffix(1))
    }

    @Test func outlierSessionInBothAgents() async throws {
        let runs = try Runs()
        for index in 0..<21 {
            var mini = MiniAgentLog(start: "2026-11-26 1\(index % 10):0\(index / 10):00")
            // One run waits an hour for its tool; the others a few seconds.
            mini.step("bash", ["command": "make \(index)"], wait: index == 20 ? 3_600_000 : 5000 + index % 4 * 1000)
            mini.finish()
            try runs.add("agent_run_\(index).log", mini.text, rules: try Fixtures.miniAgentRules)
            var claude = ClaudeCodeLog(start: Date(timeIntervalSince1970: 1_795_000_000 + Double(index) * 7200))
            claude.user("Build target \(index).")
            claude.toolResult(claude.toolUse("Bash", ["command": "make \(index)"]), "ok", advance: index == 20 ? 5400 : 2)
            claude.answer("Built.")
            try runs.add("\(index).jsonl", claude.text, rules: try Fixtures.claudeCodeRules)
        }
        let outliers = try await runs.problems().filter { $0.kind == "outlier_session" }
        #expect(outliers.count == 2, "\(outliers.map(\.explanation))")
        #expect(outliers.contains { $0.explanation.hasPrefix("lasted 1h 00m") && $0.explanation.contains("mini-agent") })
        #expect(outliers.contains { $0.explanation.hasPrefix("lasted 1h 30m") && $0.explanation.contains("claude-code") })
        #expect(outliers.allSatisfy { !$0.evidence.isEmpty })
    }

    @Test func keptProblemsAreWhatTheReportFindsItself() async throws {
        let runs = try Runs()
        var loop = MiniAgentLog()
        for _ in 0..<3 { loop.step("bash", ["command": "npm test"], success: false, output: "1 failing") }
        loop.finish()
        try runs.add("agent_run_loop.log", loop.text, rules: try Fixtures.miniAgentRules)
        var reads = MiniAgentLog(start: "2026-11-26 11:00:00")
        for _ in 0..<4 { reads.step("read_file", ["path": "a.py"]) }
        try runs.add("agent_run_reads.log", reads.text, rules: try Fixtures.miniAgentRules)  // no final answer
        var claude = ClaudeCodeLog()
        claude.user("Deploy it.")
        for command in ["kubectl apply -f a.yaml", "kubectl apply -f b.yaml", "helm install x"] {
            claude.toolResult(claude.toolUse("Bash", ["command": command]), "Error: forbidden", isError: true)
        }
        claude.answer("I lack the rights.")
        try runs.add("streak.jsonl", claude.text, rules: try Fixtures.claudeCodeRules)

        let kept = try runs.kept()
        let fromKept = try await runs.problems()
        #expect(Set(fromKept.map(\.kind)).isSuperset(of: ["loop", "repeated_read", "failing_streak"]))
        #expect(kept.problems == fromKept.count, "every problem came from what the store kept")
        try runs.forgetKept()
        #expect(try await runs.problems() == fromKept)
        // Opening the store again checks the sessions it has not checked.
        #expect(try LocalStore(path: runs.store.path).backfilled == kept.checked)
        #expect(try runs.kept() == kept)
    }

    @Test func rowsWrittenAfterASessionEndedAreLookedAtAgain() async throws {
        let runs = try Runs()
        var mini = MiniAgentLog()
        mini.step("bash", ["command": "make"], success: true)
        for path in ["a.txt", "b.txt", "c.txt"] {
            mini.step("read_file", ["path": path], success: false, output: "File not found")
        }
        mini.finish("I could not do it.")
        let path = try runs.folder.write("agent_run_late.log", mini.text)
        let rows = try FileParser.rows(path: path, rules: try Fixtures.miniAgentRules, host: "test-host")
        let late = try #require(rows.last { $0.table == .toolExecutions })
        try runs.store.writeBlocking(rows.filter { $0 != late })
        #expect(try await runs.problems().filter { $0.kind == "failing_streak" }.isEmpty)
        try runs.store.writeBlocking([late])
        let streak = try #require(try await runs.problems().first { $0.kind == "failing_streak" })
        #expect(streak.evidence.count == 3)
        #expect(streak.evidence.last == late.id.lowercased)
    }
}
