import Foundation
import Testing

import AgentTailTestSupport

@testable import AgentTail

/// `agenttail parse --explain`: each record with its byte range, its rule or why none matched, and its rows.
struct ParseExplainTests {
    @Test func everyRecordIsExplainedWithItsRows() async throws {
        let workspace = try Workspace()
        // The Mini-Agent pack's own test log, then an entry of a type no rule knows.
        var log = try RulePackLoader.load(.builtin("mini-agent")).tests[0].input
        let good = log.count
        log += Array("""
            --------------------------------------------------------------------------------
            [6] HEARTBEAT
            Timestamp: 2026-11-26 19:26:00.000
            --------------------------------------------------------------------------------
            Ping:

            {"alive": true}

            """.utf8)
        let path = "\(workspace.logs)/agent_run_1.log"
        try Data(log).write(to: URL(fileURLWithPath: path))
        let result = try await AgentTailProcess.run(["parse", "--explain", path])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let records = lines.filter { $0.hasPrefix("record at bytes ") }
        #expect(records.count == 6)
        // The first record opens at the first dash line (the run's header before it is no record).
        let text = String(decoding: log, as: UTF8.self)
        let firstDashes = text.utf8.distance(from: text.startIndex, to: try #require(text.range(of: "-----")).lowerBound)
        #expect(records.first?.hasPrefix("record at bytes \(firstDashes)..<") == true, "\(records)")
        #expect(records.first?.contains(": rule 'request' (llm_request), 2026-11-26T") == true)
        #expect(lines.contains("  task: Show notes.txt"))
        #expect(lines.contains("  tool_calls[0]: read_file id=call_1 {\"path\":\"notes.txt\"}"))
        #expect(lines.contains("  error: File not found: notes.txt"))
        #expect(records.last == "record at bytes \(good)..<\(log.count): not understood: no record rule matches this record (type HEARTBEAT)")
        #expect(lines.contains { $0.hasPrefix("    {\"table\":\"agent_errors\"") && $0.contains("HEARTBEAT") })
        #expect(lines.last?.hasPrefix("    {\"table\":\"agent_sessions\"") == true)
        #expect(lines.contains("end of file: the session is concluded"))
    }
}

/// `parse --explain=all` tells why earlier rules passed a record by, and explained rows are the rows `parse` prints.
struct ParseExplainAllTests {
    @Test func passedOverRulesAreToldAndRowsKeepTheirIDs() async throws {
        let path = Fixtures.path("codex/03_turns_model_change_websearch.jsonl")
        let explained = try await AgentTailProcess.run(["parse", "--explain=all", "--rules", "builtin:codex", "--host", "h", path])
        #expect(explained.status == 0, "stderr: \(explained.stderr)")
        let lines = explained.stdout.split(separator: "\n").map(String.init)
        // The web search line: every rule before 'web_search' names the condition that failed there.
        let search = try #require(lines.firstIndex { $0.contains("rule 'web_search' (llm_response, tool_result × 2)") })
        let block = lines[search...].prefix { !$0.hasPrefix("  rows:") }
        #expect(block.contains("  not rule 'function_call': '$.payload.type' is 'web_search_call', not one of 'function_call', 'custom_tool_call', 'local_shell_call'"))
        #expect(block.contains("  not rule 'session_meta': '$.type' is 'response_item', not 'session_meta'"))
        #expect(block.filter { $0.hasPrefix("  not rule ") }.count == 8)
        // Plain --explain does not say it.
        let plain = try await AgentTailProcess.run(["parse", "--explain", "--rules", "builtin:codex", "--host", "h", path])
        #expect(!plain.stdout.contains("not rule"))

        // The ids of the rows explained are those of `parse`.
        let parsed = try await AgentTailProcess.run(["parse", "--rules", "builtin:codex", "--host", "h", path])
        #expect(parsed.status == 0)
        func ids(_ rows: [String]) throws -> Set<String> {
            Set(try rows.map { row in
                let object = try JSONSerialization.jsonObject(with: Data(row.utf8)) as? [String: Any]
                return "\(object?["table"] ?? "")|\(object?["id"] ?? "")"
            })
        }
        let explainedRows = lines.filter { $0.hasPrefix("    {") }.map { $0.trimmingCharacters(in: .whitespaces) }
        let parsedIDs = try ids(parsed.stdout.split(separator: "\n").map(String.init))
        #expect(parsedIDs.count == 9)
        #expect(try ids(explainedRows) == parsedIDs)
    }
}
