import AgentTailCore
import Foundation
import Testing

@testable import AgentTail
import AgentTailTestSupport

/// The parts of the rule language for formats that write one model request over several lines without an id:
/// call boundaries, context records, several events from one line, JSON inside strings and the agent's own
/// durations.
struct RuleCallPartTests {
    /// A made-up format shaped like Codex's: a model request is written as reasoning, text and calls, one line each,
    /// and ends with a usage line. Tool outputs are JSON serialized into a string.
    static let pack = """
        name: parts
        framing: { mode: lines, body: json }
        timestamp: { json: '$.at', format: iso8601, timezone: UTC }
        pairing: { tool_results: by_id }
        records:
          - name: meta
            when: { '$.kind': meta }
            emit: context
            fields: { agent_session_id: '$.id', workspace: '$.cwd', agent_version: '$.version', git_branch: '$.git.branch' }
          - name: turn
            when: { '$.kind': turn }
            emit: context
            fields: { model: '$.model' }
          - name: prompt
            when: { '$.kind': prompt }
            emit: llm_request
            fields: { task: '$.text', input: '$.text' }
          - name: reasoning
            when: { '$.kind': reasoning }
            emit: llm_response
            call: continue
            fields: { thinking: '$.text' }
          - name: text
            when: { '$.kind': text }
            emit: llm_response
            call: continue
            fields: { output: '$.text' }
          - name: call
            when: { '$.kind': call }
            emit: llm_response
            call: continue
            fields:
              tool_calls:
                each: '$'
                fields: { id: '$.call_id', name: '$.name', arguments: { json: '$.arguments', decode: '$' } }
          - name: search
            when: { '$.kind': search }
            emit: llm_response
            call: continue
            fields:
              tool_calls:
                each: '$'
                fields: { id: '@.id', name: { value: web_search }, arguments: ['@.action', { value: '{}' }] }
            also:
              - emit: tool_result
                fields:
                  tool_call_id: '$.id'
                  success: { json: '$.status', equals: completed }
          - name: output
            when: { '$.kind': output }
            emit: tool_result
            fields:
              tool_call_id: '$.call_id'
              result: [{ json: '$.output', decode: '$.output' }, '$.output']
              success: { json: '$.output', decode: '$.metadata.exit_code', equals: 0 }
              duration_seconds: { json: '$.output', decode: '$.metadata.duration_seconds' }
          - name: usage
            when: { '$.kind': usage, '$.info': { not: null } }
            emit: llm_response
            call: end
            fields:
              prompt_tokens: '$.info.input'
              cache_read_tokens: '$.info.cached'
              completion_tokens: '$.info.output'
              reasoning_tokens: '$.info.reasoning'
          - name: rest
            emit: ignore
        """

    func rows(_ lines: [String], pack: String = Self.pack) throws -> [NormalizedRow] {
        let rules = try RulePackLoader.compile(text: pack, file: "rules.yaml")
        let text = lines.joined(separator: "\n") + "\n"
        return FileParser.rows(bytes: Array(text.utf8), path: "/logs/p.jsonl", rules: rules, host: "test-host")
    }

    static let run = [
        #"{"at":"2026-01-01T00:00:00.000Z","kind":"meta","id":"0199a1b2-c3d4","cwd":"/w/app","version":"0.46.0","git":{"branch":"main"}}"#,
        #"{"at":"2026-01-01T00:00:00.100Z","kind":"turn","model":"gpt-5"}"#,
        #"{"at":"2026-01-01T00:00:00.200Z","kind":"prompt","text":"Fix the test"}"#,
        #"{"at":"2026-01-01T00:00:00.300Z","kind":"usage","info":null}"#,
        #"{"at":"2026-01-01T00:00:01.000Z","kind":"reasoning","text":"Run it first."}"#,
        #"{"at":"2026-01-01T00:00:01.100Z","kind":"call","call_id":"c1","name":"shell","arguments":"{\"command\":[\"pytest\"]}"}"#,
        #"{"at":"2026-01-01T00:00:01.200Z","kind":"usage","info":{"input":1000,"cached":600,"output":90,"reasoning":64}}"#,
        #"{"at":"2026-01-01T00:00:03.000Z","kind":"output","call_id":"c1","output":"{\"output\":\"1 failed\",\"metadata\":{\"exit_code\":1,\"duration_seconds\":1.25}}"}"#,
        #"{"at":"2026-01-01T00:00:04.000Z","kind":"turn","model":"gpt-5-codex"}"#,
        #"{"at":"2026-01-01T00:00:04.500Z","kind":"reasoning","text":"Look it up."}"#,
        #"{"at":"2026-01-01T00:00:05.000Z","kind":"search","id":"ws_1","status":"completed","action":{"query":"pytest -x"}}"#,
        #"{"at":"2026-01-01T00:00:05.100Z","kind":"call","call_id":"c2","name":"shell","arguments":"{\"command\":[\"pytest\",\"-x\"]}"}"#,
        #"{"at":"2026-01-01T00:00:05.200Z","kind":"usage","info":{"input":1500,"cached":1000,"output":40,"reasoning":0}}"#,
        #"{"at":"2026-01-01T00:00:05.200Z","kind":"output","call_id":"c2","output":"{\"output\":\"ok\",\"metadata\":{\"exit_code\":0,\"duration_seconds\":0.4}}"}"#,
        #"{"at":"2026-01-01T00:00:06.000Z","kind":"text","text":"Fixed."}"#,
        #"{"at":"2026-01-01T00:00:06.100Z","kind":"usage","info":{"input":1700,"cached":1500,"output":12,"reasoning":0}}"#,
    ]

    @Test func aCallEndsAtItsBoundaryAndGathersItsParts() throws {
        let rows = try rows(Self.run)
        let calls = rows.rows(.llmCalls)
        // Three model requests, three calls: the parts before each usage line join one call.
        #expect(calls.map { $0.text("seq") } == ["1", "2", "3"])
        #expect(calls.map { $0.text("thinking") } == ["Run it first.", "Look it up.", nil])
        #expect(calls.map { $0.text("output") } == [nil, nil, "Fixed."])
        #expect(calls.map { $0.text("tool_call_count") } == ["1", "2", "0"])
        #expect(calls.map { $0.text("prompt_tokens") } == ["1000", "1500", "1700"])
        #expect(calls.map { $0.text("cache_read_tokens") } == ["600", "1000", "1500"])
        #expect(calls.map { $0.text("completion_tokens") } == ["90", "40", "12"])
        #expect(calls.map { $0.metadataText("reasoning_tokens") } == ["64", "0", "0"])
        // The first call answers the prompt: it starts there and ends at its last part.
        #expect(calls[0].text("started_at") == "2026-01-01T00:00:00.200Z")
        #expect(calls[0].text("ended_at") == "2026-01-01T00:00:01.200Z")
        #expect(calls[0].text("input") == #""Fix the test""#)
        let session = try #require(rows.rows(.agentSessions).first)
        #expect(session.text("status") == "completed")
        #expect(session.text("final_output") == "Fixed.")
        #expect(session.text("llm_calls") == "3")
    }

    @Test func aContextSetsTheModelOfTheCallsThatFollowAndTheRunsFacts() throws {
        let rows = try rows(Self.run)
        #expect(rows.rows(.llmCalls).map { $0.text("model") } == ["gpt-5", "gpt-5-codex", "gpt-5-codex"])
        let session = try #require(rows.rows(.agentSessions).first)
        #expect(session.text("workspace") == "/w/app")
        #expect(session.text("agent_version") == "0.46.0")
        #expect(session.text("git_branch") == "main")
        #expect(session.metadataText("agent_session_id") == "0199a1b2-c3d4")
        // A context record is no event of its own: the one error is the failed tool's.
        #expect(rows.rows(.agentErrors).map { $0.text("source") } == ["tool"])
    }

    @Test func jsonInsideStringsAndTheAgentsOwnDurations() throws {
        let rows = try rows(Self.run)
        let tools = rows.rows(.toolExecutions)
        #expect(tools.map { $0.text("tool_call_id") } == ["c1", "ws_1", "c2"])
        #expect(tools.map { $0.text("tool_name") } == ["shell", "web_search", "shell"])
        #expect(tools.map { $0.text("success") } == ["false", "true", "true"])
        // The call's arguments were a string of JSON: they are kept as the JSON it holds.
        #expect(tools[0].text("arguments") == #"{"command":["pytest"]}"#)
        #expect(tools[1].text("arguments") == #"{"query":"pytest -x"}"#)
        #expect(tools[0].text("error") == "1 failed")
        #expect(tools[2].text("result") == "ok")
        // Written 1.8 s after its call, measured at 1.25 s: the measure wins, and the run ends at its output.
        #expect(tools[0].text("duration_ms") == "1250")
        #expect(tools[0].text("started_at") == "2026-01-01T00:00:01.750Z")
        #expect(tools[0].text("ended_at") == "2026-01-01T00:00:03.000Z")
        // Written at the instant of its call's usage line, it still ran 0.4 s.
        #expect(tools[2].text("duration_ms") == "400")
        // Without a measure, times come from the records: the search ran from its own line to itself.
        #expect(tools[1].text("duration_ms") == "0")
        let calls = rows.rows(.llmCalls).map(\.id.lowercased)
        #expect(tools.map { $0.text("llm_call_id") } == [calls[0], calls[1], calls[1]])
    }

    @Test func oneLineGivesSeveralEventsWithIdsOfTheirOwn() throws {
        let lines = Array(Self.run[0...10])
        let rows = try rows(lines)
        let search = try #require(rows.rows(.toolExecutions).first { $0.text("tool_call_id") == "ws_1" })
        let offset = Int64(search.metadataInt("offset"))
        let ids = EventIDs(host: "test-host", fileKey: try #require(rows.first?.metadataText("file_key")))
        // The response part keeps the record's first id; the tool result made of the same line is its second event.
        #expect(search.id == ids.event("tool_execution", offset: offset, part: 1))
        #expect(search.metadataInt("part") == 1)
        let call = try #require(rows.rows(.llmCalls).last)
        #expect(call.text("tool_call_count") == "1")
    }

    @Test func aRequestEndsTheCallThatWasOpen() throws {
        // Parts, then a new prompt with no usage line between: the prompt closes the first call.
        let rows = try rows([
            Self.run[2], Self.run[4],
            #"{"at":"2026-01-01T00:00:02.000Z","kind":"prompt","text":"And the docs"}"#,
            #"{"at":"2026-01-01T00:00:03.000Z","kind":"text","text":"Done."}"#,
        ])
        #expect(rows.rows(.llmCalls).map { $0.text("thinking") } == ["Run it first.", nil])
        #expect(rows.rows(.llmCalls).map { $0.text("output") } == [nil, "Done."])
    }

    @Test func withoutABoundaryEveryPartIsACall() throws {
        // The same records read by rules that do not say `call`: each line is its own call.
        let pack = Self.pack.replacingOccurrences(of: "call: continue", with: "call: own")
            .replacingOccurrences(of: "call: end", with: "call: own")
        #expect(try rows(Self.run, pack: pack).rows(.llmCalls).count == 9)
    }

    @Test func messageIDsDoNotJoinAcrossARequest() throws {
        // A constant id, written by every answer: each request still starts a new call.
        let pack = """
            name: ids
            framing: { mode: lines, body: json }
            timestamp: { json: '$.at', format: iso8601, timezone: UTC }
            records:
              - { name: ask, when: { '$.kind': ask }, emit: llm_request, fields: { input: '$.text' } }
              - { name: say, when: { '$.kind': say }, emit: llm_response, fields: { output: '$.text', message_id: '$.id' } }
            """
        let rows = try rows(
            [
                #"{"at":"2026-01-01T00:00:00Z","kind":"ask","text":"one"}"#,
                #"{"at":"2026-01-01T00:00:01Z","kind":"say","id":"m","text":"a"}"#,
                #"{"at":"2026-01-01T00:00:02Z","kind":"say","id":"m","text":"b"}"#,
                #"{"at":"2026-01-01T00:00:03Z","kind":"ask","text":"two"}"#,
                #"{"at":"2026-01-01T00:00:04Z","kind":"say","id":"m","text":"c"}"#,
            ], pack: pack)
        #expect(rows.rows(.llmCalls).map { $0.text("output") } == ["a\nb", "c"])
    }

    @Test(arguments: [
        ("call: end", "call: later", "rules.yaml:60:11: error: records[8].call: expected one of own, continue, end, got 'later'"),
        (
            "      - emit: tool_result", "      - emit: ignore",
            "rules.yaml:45:15: error: records[6].also[0].emit: an event of 'also' cannot be 'ignore'"
        ),
        (
            "decode: '$.metadata.exit_code'", "decode: '@.metadata.exit_code'",
            "rules.yaml:55:44: error: records[7].fields.success.decode: 'decode' reads from the root of the decoded JSON: write '$...'"
        ),
        (
            "emit: context\n    fields: { model: '$.model' }", "emit: context\n    call: continue\n    fields: { model: '$.model' }",
            "rules.yaml:13:11: error: records[1].call: 'call' says how a response joins its LLM call; this event is 'context'"
        ),
    ])
    func newFormsSayWhatIsWrong(replace: String, with: String, expected: String) throws {
        let text = Self.pack.replacingOccurrences(of: replace, with: with)
        #expect(text != Self.pack)
        do {
            _ = try RulePackLoader.compile(text: text, file: "rules.yaml")
            Issue.record("the pack loaded")
        } catch {
            #expect(error.description == expected)
        }
    }
}

/// Values gathered from every element a path selects, and tool calls listed in JSON held in a string.
struct RuleJoinTests {
    static let pack = """
        name: joined
        framing: { mode: lines, body: json }
        timestamp: { json: '$.at', format: iso8601, timezone: UTC }
        records:
          - name: answer
            emit: llm_response
            fields:
              output: { json: '$.response', decode: "$[*].parts[?(@.kind=='text')].text", join: '' }
              thinking: { json: '$.notes[*]', join: "\\n" }
              tool_calls:
                each: { json: '$.response', decode: "$[*].parts[?(@.kind=='call')]" }
                fields: { name: '@.name', arguments: '@.args' }
        """

    @Test func joinGathersEveryValueAndCallsComeFromDecodedJSON() throws {
        let rules = try RulePackLoader.compile(text: Self.pack, file: "rules.yaml")
        // Two streamed chunks, each with text; the second also asks for two tools.
        let response = #"[{"parts":[{"kind":"text","text":"Let me "}]},{"parts":[{"kind":"text","text":"look."},{"kind":"call","name":"ls","args":{"path":"."}},{"kind":"call","name":"cat","args":{"path":"a"}}]}]"#
        let escaped = response.replacingOccurrences(of: "\"", with: "\\\"")
        let line = #"{"at":"2026-01-01T00:00:00Z","notes":["first","second"],"response":"\#(escaped)"}"# + "\n"
        let rows = FileParser.rows(bytes: Array(line.utf8), path: "/logs/j.jsonl", rules: rules, host: "test-host")
        let call = try #require(rows.rows(.llmCalls).first)
        #expect(call.text("output") == "Let me look.")
        #expect(call.text("thinking") == "first\nsecond")
        #expect(call.text("tool_call_count") == "2")
        #expect(call.text("metadata")?.contains(#"{"id":null,"name":"cat","arguments":{"path":"a"}}"#) == true)
    }

    @Test func joinNeedsAPath() throws {
        let text = Self.pack.replacingOccurrences(of: "{ json: '$.notes[*]', join: \"\\n\" }", with: "{ value: x, join: ',' }")
        #expect(text != Self.pack)
        do {
            _ = try RulePackLoader.compile(text: text, file: "rules.yaml")
            Issue.record("the pack loaded")
        } catch {
            #expect(error.description.contains("'join' joins every value a JSON path selects"), "\(error.description)")
        }
    }
}
