import Foundation
import Testing

@testable import AgentTail
import AgentTailTestSupport

/// `start_in_body`: records of pretty-printed JSON, each opened by a line that is its own `{`.
struct PrettyJSONFramingTests {
    static let pack = """
        name: pretty
        framing: { mode: multiline, start: '^\\{$', start_in_body: true, body: json }
        timestamp: { json: '$.at', format: iso8601, timezone: UTC }
        records:
          - { name: ask, when: { '$.kind': ask }, emit: llm_request, fields: { task: '$.body.text' } }
          - { name: say, when: { '$.kind': say }, emit: llm_response, fields: { output: '$.body.text' } }
        """

    static let log = """
        {
          "at": "2026-01-01T00:00:00Z",
          "kind": "ask",
          "body": {
            "text": "Hello"
          }
        }
        {
          "at": "2026-01-01T00:00:02Z",
          "kind": "say",
          "body": {"text": "Hi"}
        }

        """

    @Test func eachObjectIsOneRecordWithItsOpeningBrace() throws {
        let rules = try RulePackLoader.compile(text: Self.pack, file: "rules.yaml")
        let rows = FileParser.rows(bytes: Array(Self.log.utf8), path: "/logs/p.log", rules: rules, host: "test-host")
        #expect(rows.rows(.agentErrors).isEmpty, "\(rows.rows(.agentErrors).map { $0.text("message") ?? "" })")
        let calls = rows.rows(.llmCalls)
        #expect(calls.map { $0.text("output") } == ["Hi"])
        #expect(calls.first?.text("latency_ms") == "2000")
        #expect(rows.rows(.agentSessions).first?.text("task") == "Hello")
    }

    @Test func aRecordIsHandedOutWhenItsObjectCloses() throws {
        // Written up to the first object's last line: the record is complete without waiting for the next one.
        let rules = try RulePackLoader.compile(text: Self.pack, file: "rules.yaml")
        let firstObject = Self.log.components(separatedBy: "}\n{")[0] + "}\n"
        var framer = Framer(framing: rules.framing, offset: 0)
        var offsets: [Int64] = []
        Array(firstObject.utf8).withUnsafeBytes { raw in
            framer.append(raw) { event in
                if case .record(let record) = event { offsets.append(record.offset) }
            }
        }
        #expect(offsets == [0])
        #expect(framer.checkpoint == Int64(firstObject.utf8.count))
    }

    @Test func startInBodyTakesNoHead() throws {
        let text = Self.pack.replacingOccurrences(of: "start_in_body: true,", with: "start_in_body: true, head_end: '^---$',")
        do {
            _ = try RulePackLoader.compile(text: text, file: "rules.yaml")
            Issue.record("the pack loaded")
        } catch {
            #expect(error.description.contains("a record then has no head"), "\(error.description)")
        }
    }
}
