import Foundation
import Testing

@testable import AgentTail
import AgentTailTestSupport

/// Every case of the Mini-Agent format notes, on logs written by `MiniAgentLog`.
struct MiniAgentFormatTests {
    static var system: [String: Any] { ["role": "system", "content": "You are careful."] }

    static func user(_ text: String) -> [String: Any] { ["role": "user", "content": text] }

    @Test func failedToolBecomesToolErrorRow() throws {
        var log = MiniAgentLog()
        log.request(messages: [Self.system, Self.user("read it")])
        log.response(content: "", toolCalls: [("call_1", "read_file", ["path": "missing.txt"])])
        log.toolResult(name: "read_file", arguments: ["path": "missing.txt"], success: false, output: "File not found: missing.txt")
        log.request(messages: [Self.system, Self.user("read it")])
        log.response(content: "It does not exist.")
        let rows = try parseMiniAgent(log.text)
        let tool = try #require(rows.rows(.toolExecutions).first)
        #expect(tool.text("success") == "false")
        #expect(tool.text("error") == "File not found: missing.txt")
        #expect(tool.text("result") == nil)
        let error = try #require(rows.rows(.agentErrors).first)
        #expect(error.text("source") == "tool")
        #expect(error.text("tool_name") == "read_file")
        #expect(error.text("related_id") == tool.text("id"))
        #expect(error.text("fingerprint") == "File not found: <path>")
        #expect(rows.rows(.agentSessions).first?.text("tool_errors") == "1")
    }

    @Test func unknownToolGetsCategoryOther() throws {
        var log = MiniAgentLog()
        log.request(messages: [Self.system, Self.user("go")])
        log.response(content: "", toolCalls: [("call_1", "frobnicate", ["x": 1])])
        log.toolResult(name: "frobnicate", arguments: ["x": 1], success: false, output: "Unknown tool: frobnicate")
        log.request(messages: [Self.system, Self.user("go")])
        log.response(content: "That tool does not exist.")
        let rows = try parseMiniAgent(log.text)
        let tool = try #require(rows.rows(.toolExecutions).first)
        #expect(tool.text("tool_name") == "frobnicate")
        #expect(tool.text("category") == "other")
        #expect(tool.text("tool_call_id") == "call_1")
        #expect(rows.rows(.agentSessions).first?.text("status") == "completed")
    }

    @Test func severalToolCallsPairByOrderWithNameCheck() throws {
        var log = MiniAgentLog()
        log.request(messages: [Self.system, Self.user("three things")])
        log.response(
            content: "",
            toolCalls: [
                ("a", "write_file", ["path": "x"]), ("b", "bash", ["command": "ls"]), ("c", "read_file", ["path": "x"]),
            ])
        log.toolResult(name: "write_file", arguments: ["path": "x"], success: true, output: "ok")
        // The bash result is missing: the read_file result must still pair with call "c".
        log.toolResult(name: "read_file", arguments: ["path": "x"], success: true, output: "data", advance: 7)
        log.request(messages: [Self.system, Self.user("three things")])
        log.response(content: "Done.")
        let rows = try parseMiniAgent(log.text)
        let tools = rows.rows(.toolExecutions)
        #expect(tools.map { $0.text("tool_call_id") } == ["a", "c"])
        #expect(tools.map { $0.text("llm_call_id") } == Array(repeating: rows.rows(.llmCalls).first?.text("id"), count: 2))
        #expect(tools[1].text("duration_ms") == "7")
        #expect(rows.rows(.llmCalls).first?.text("tool_call_count") == "3")
    }

    @Test func requestWithoutResponseFailsTheSession() throws {
        var log = MiniAgentLog()
        log.request(messages: [Self.system, Self.user("go")])
        let rows = try parseMiniAgent(log.text)
        #expect(rows.rows(.agentSessions).first?.text("status") == "failed")
        #expect(rows.rows(.llmCalls).first?.text("status") == "no_response")
        #expect(rows.rows(.agentErrors).first?.text("source") == "llm")
    }

    @Test func runStoppedAfterToolResultIsAbandoned() throws {
        var log = MiniAgentLog()
        log.request(messages: [Self.system, Self.user("loop")])
        log.response(content: "", toolCalls: [("a", "bash", ["command": "true"])])
        log.toolResult(name: "bash", arguments: ["command": "true"], success: true, output: "")
        let rows = try parseMiniAgent(log.text)
        let session = try #require(rows.rows(.agentSessions).first)
        #expect(session.text("status") == "abandoned")
        #expect(session.text("ended_at") != nil)
        #expect(rows.rows(.agentErrors).isEmpty)
    }

    @Test func unicodeLineSeparatorsStayInsideStrings() throws {
        let tricky = "line\u{2028}sep \u{0085}next \u{FFFD} emoji 🧪 \"quoted\" back\\slash"
        var log = MiniAgentLog()
        log.request(messages: [Self.system, Self.user(tricky)])
        log.response(content: "Answer: \(tricky)")
        let rows = try parseMiniAgent(log.text)
        let session = try #require(rows.rows(.agentSessions).first)
        #expect(session.text("task") == tricky)
        #expect(session.text("final_output") == "Answer: \(tricky)")
        #expect(rows.rows(.agentErrors).isEmpty)
    }

    @Test func fiveMegabyteEntryParses() throws {
        let big = String(repeating: "0123456789abcdef\n", count: 5 * 1024 * 1024 / 17)
        var log = MiniAgentLog()
        log.request(messages: [Self.system, Self.user("dump")])
        log.response(content: "", toolCalls: [("a", "bash", ["command": "cat big"])])
        log.toolResult(name: "bash", arguments: ["command": "cat big"], success: true, output: big)
        log.request(messages: [Self.system, Self.user("dump"), ["role": "tool", "content": big, "tool_call_id": "a"]])
        log.response(content: "Printed.")
        #expect(log.text.utf8.count > 10_000_000)
        let rows = try parseMiniAgent(log.text)
        #expect(rows.rows(.toolExecutions).first?.text("result") == big)
        #expect(rows.rows(.llmCalls).count == 2)
        #expect(rows.rows(.agentErrors).isEmpty)
        #expect(rows.rows(.agentSessions).first?.text("status") == "completed")
    }

    @Test func longTaskIsCutVisiblyWhileTheInputKeepsItWhole() throws {
        let task = String(repeating: "é", count: 5000)
        var log = MiniAgentLog()
        log.request(messages: [Self.system, Self.user(task)])
        log.response(content: "ok")
        let rows = try parseMiniAgent(log.text)
        let shown = try #require(rows.rows(.agentSessions).first?.text("task"))
        #expect(shown.hasPrefix(String(repeating: "é", count: 2000) + " […truncated, 10000 bytes in all]"))
        #expect(rows.rows(.llmCalls).first?.text("input")?.contains(task) == true)
    }

    @Test func rewrittenShorterHistoryIsFine() throws {
        var log = MiniAgentLog()
        let long = (0..<20).map { ["role": "user", "content": "message \($0)"] as [String: Any] }
        log.request(messages: [Self.system, Self.user("first task")] + long)
        log.response(content: "", toolCalls: [("a", "bash", ["command": "ls"])])
        log.toolResult(name: "bash", arguments: ["command": "ls"], success: true, output: "")
        log.request(messages: [Self.system, ["role": "user", "content": "[summary] earlier work"]])
        log.response(content: "Finished.")
        let rows = try parseMiniAgent(log.text)
        #expect(rows.rows(.agentSessions).first?.text("task") == "first task")
        #expect(rows.rows(.llmCalls).count == 2)
    }

    @Test func badRecordsBecomeParserErrorsWithOffsets() throws {
        var log = MiniAgentLog()
        log.request(messages: [Self.system, Self.user("go")])
        let good = log.text
        let dashes = String(repeating: "-", count: 80)
        let unknown = "\n\(dashes)\n[2] TELEMETRY\nTimestamp: 2026-11-26 10:00:01.000\n\(dashes)\nStuff:\n\n{\"a\": 1}\n"
        let truncated = "\n\(dashes)\n[3] RESPONSE\nTimestamp: 2026-11-26 10:00:02.000\n\(dashes)\nLLM Response:\n\n{\"content\": \"cut\n"
        var rest = MiniAgentLog()
        rest.response(content: "recovered")
        let text = good + unknown + truncated + rest.entries.joined()
        let rows = try parseMiniAgent(text)
        let parserErrors = rows.rows(.agentErrors).filter { $0.text("source") == "parser" }
        #expect(parserErrors.count == 2)
        let offsets = parserErrors.compactMap { $0.text("metadata") }
        // A record starts at its first dash line, one byte after the newline that ends the previous entry.
        #expect(offsets[0].contains("\"offset\":\(good.utf8.count + 1)"))
        #expect(offsets[1].contains("\"offset\":\(good.utf8.count + unknown.utf8.count + 1)"))
        #expect(parserErrors[0].text("message")?.contains("TELEMETRY") == true)
        // The record after the bad ones is still read.
        #expect(rows.rows(.agentSessions).first?.text("final_output") == "recovered")
    }

    @Test func chunkedInputGivesTheSameRows() throws {
        let path = Fixtures.path("mini-agent/02_multi_tool_one_response.log")
        let whole = try FileParser.rows(path: path, rules: try Fixtures.miniAgentRules, host: "test-host")
        var generator = SeededGenerator(seed: 42)
        for round in 0..<20 {
            let rows = try rowsFeeding(path: path, chunk: { Int.random(in: 1...700, using: &generator) })
            #expect(rows.count == whole.count, "round \(round)")
            #expect(rows == whole, "round \(round) differs")
        }
        let byteByByte = try rowsFeeding(path: path, chunk: { 1 })
        #expect(byteByByte == whole, "byte-by-byte feeding differs")
    }

    @Test func recordIsNotEmittedBeforeItsBodyCloses() throws {
        let rules = try Fixtures.miniAgentRules
        var log = MiniAgentLog()
        log.request(messages: [Self.system, Self.user("go")])
        let bytes = Array(log.text.utf8)
        var framer = Framer(framing: rules.framing, offset: 0)
        var records = 0
        // Everything but the closing brace: nothing may come out.
        let cut = bytes.count - 2
        bytes[..<cut].withUnsafeBytes { framer.append($0) { _ in records += 1 } }
        #expect(records == 0)
        #expect(framer.checkpoint == Int64(log.header.utf8.count + 1))
        bytes[cut...].withUnsafeBytes { framer.append($0) { _ in records += 1 } }
        #expect(records == 1)
        #expect(framer.checkpoint == Int64(bytes.count))
    }
}

/// Feeds `text` to the framer in pieces sized by `chunk`, as a tailer would see it.
func rowsFeeding(path: String, chunk: () -> Int) throws -> [NormalizedRow] {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    let rules = try Fixtures.miniAgentRules
    let status = try #require(FileStatus.of(path: path))
    let bytes = Array(text.utf8)
    let identity = FileIdentity(status: status, prefix: Array(bytes.prefix(FileIdentity.fingerprintLimit)))
    let parser = LogParser(
        rules: rules, ids: EventIDs(host: "test-host", fileKey: identity.key), state: SessionState(sourcePath: path))
    var rows: [NormalizedRow] = []
    var index = 0
    while index < bytes.count {
        let end = min(bytes.count, index + chunk())
        bytes[index..<end].withUnsafeBytes { parser.consume($0, rows: &rows) }
        index = end
    }
    parser.finishInput(rows: &rows)
    parser.concludeSilent(into: &rows)
    var session: [NormalizedRow] = []
    parser.flushSession(into: &session)
    return session + rows
}

