import Foundation
import Testing

@testable import AgentTail
import AgentTailTestSupport

/// The parts of the rule language that JSON-lines formats need: rules over several elements of a record, fields
/// with alternatives or sums, regex conditions, skipped lines without a time, and failure flags.
struct RuleLanguageTests {
    static let pack = """
        name: lines
        framing: { mode: lines, body: json }
        timestamp: { json: '$.at', format: iso8601, timezone: UTC }
        pairing: { tool_results: by_id }
        records:
          - name: answer
            when: { '$.kind': answer }
            emit: llm_response
            fields:
              output: ['$.text', '$.parts[0]']
              prompt_tokens: { sum: ['$.usage.fresh', '$.usage.cached'] }
              tool_calls: { each: '$.calls[*]', fields: { id: '@.id', name: '@.name' } }
          - name: results
            when: { '$.kind': results }
            each: '$.results[*]'
            emit: tool_result
            fields:
              tool_call_id: '@.id'
              result: '@.out'
              failed: '@.failed'
          - name: noise
            when: { '$.kind': { matches: '^(note|debug)$' } }
            emit: ignore
        """

    func rows(_ lines: [String], pack: String = Self.pack) throws -> [NormalizedRow] {
        let rules = try RulePackLoader.compile(text: pack, file: "rules.yaml")
        let text = lines.joined(separator: "\n") + "\n"
        return FileParser.rows(bytes: Array(text.utf8), path: "/logs/a.jsonl", rules: rules, host: "test-host")
    }

    @Test func eachElementIsOneEventWithItsOwnID() throws {
        let rows = try rows([
            #"{"at":"2026-01-01T00:00:00Z","kind":"answer","text":"go","calls":[{"id":"a","name":"ls"},{"id":"b","name":"cat"}]}"#,
            #"{"at":"2026-01-01T00:00:01Z","kind":"results","results":[{"id":"b","out":"x"},{"id":"a","out":"no such file","failed":true}]}"#,
        ])
        let tools = rows.rows(.toolExecutions)
        #expect(tools.map { $0.text("tool_call_id") } == ["b", "a"])
        #expect(tools.map { $0.text("tool_name") } == ["cat", "ls"])
        #expect(tools.map { $0.text("success") } == ["true", "false"])
        // A failed tool's only output is its error.
        #expect(tools[1].text("error") == "no such file")
        #expect(tools[1].text("result") == nil)
        #expect(Set(tools.map(\.id)).count == 2)
        // The first element keeps the id a rule without `each` gives; the next ones are told apart by their place.
        let ids = EventIDs(host: "test-host", fileKey: try #require(rows.first?.metadataText("file_key")))
        let offset = Int64(tools[0].metadataInt("offset"))
        #expect(offset > 0)
        #expect(tools[0].id == ids.event("tool_execution", offset: offset))
        #expect(tools[1].id == ids.event("tool_execution", offset: offset, part: 1))
        #expect(rows.rows(.agentErrors).map { $0.text("message") } == ["no such file"])
    }

    @Test func aRuleWithEachMatchesOnlyWhenItFindsElements() throws {
        let rows = try rows([
            #"{"at":"2026-01-01T00:00:00Z","kind":"results","results":[]}"#
        ])
        #expect(rows.rows(.toolExecutions).isEmpty)
        #expect(rows.rows(.agentErrors).map { $0.text("message") } == ["no record rule matches this record"])
    }

    @Test func firstOfTakesTheFirstSourceThatHasAValueAndSumAddsThoseThatDo() throws {
        let rows = try rows([
            #"{"at":"2026-01-01T00:00:00Z","kind":"answer","text":null,"parts":["from parts"],"usage":{"fresh":3,"cached":40}}"#,
            #"{"at":"2026-01-01T00:00:01Z","kind":"answer","text":"from text","parts":["unused"],"usage":{"cached":7}}"#,
            #"{"at":"2026-01-01T00:00:02Z","kind":"answer","text":"no usage"}"#,
        ])
        let calls = rows.rows(.llmCalls)
        #expect(calls.map { $0.text("output") } == ["from parts", "from text", "no usage"])
        #expect(calls.map { $0.text("prompt_tokens") } == ["43", "7", nil])
    }

    @Test func aSumOfTextIsAParseErrorOfThatRecord() throws {
        let rows = try rows([#"{"at":"2026-01-01T00:00:00Z","kind":"answer","text":"x","usage":{"fresh":"many"}}"#])
        #expect(rows.rows(.llmCalls).isEmpty)
        #expect(rows.rows(.agentErrors).map { $0.text("message") } == ["'$.usage.fresh' is 'many', not a whole number to add"])
    }

    @Test func regexConditionsAndLinesWithoutATime() throws {
        let rows = try rows([
            #"{"kind":"note","text":"a summary line without a time, which the rules skip"}"#,
            #"{"at":"2026-01-01T00:00:00Z","kind":"debug"}"#,
            #"{"at":"2026-01-01T00:00:01Z","kind":"answer","text":"done"}"#,
            #"{"kind":"answer","text":"an answer without a time is an error"}"#,
            #"{"at":"2026-01-01T00:00:02Z","kind":"notes"}"#,
        ])
        #expect(rows.rows(.llmCalls).map { $0.text("output") } == ["done"])
        #expect(
            rows.rows(.agentErrors).map { $0.text("message") } == [
                "the record has no timestamp ('$.at')", "no record rule matches this record",
            ])
        // The session starts at the first line that has a time.
        #expect(rows.rows(.agentSessions).first?.text("started_at") == "2026-01-01T00:00:00.000Z")
    }

    @Test(arguments: [
        (
            "output: ['$.text', '$.parts[0]']", "output: '@.text'",
            "rules.yaml:10:15: error: records[0].fields.output: '@.text' reads the element of 'each', but this rule has no 'each'; write '$...'"
        ),
        (
            "output: ['$.text', '$.parts[0]']", "output: ['$.text']",
            "rules.yaml:10:15: error: records[0].fields.output: a list of sources needs at least two; write one alone"
        ),
        (
            "'^(note|debug)$'", "'^(note|debug$'",
            "rules.yaml:22:34: error: records[2].when.$.kind.matches: invalid regex '^(note|debug$': expected ')'"
        ),
        (
            "{ sum: ['$.usage.fresh', '$.usage.cached'] }", "{ sum: ['$.usage.fresh'], json: '$.x' }",
            "rules.yaml:11:22: error: records[0].fields.prompt_tokens: 'sum' stands alone: give only the sources to add"
        ),
        (
            "    emit: ignore", "    emit: ignore\n    each: '$.x[*]'",
            "rules.yaml:24:11: error: records[2].each: 'ignore' rules take no 'each'"
        ),
    ])
    func languageErrorsSayWhere(replace: String, with: String, error expected: String) throws {
        #expect(Self.pack.contains(replace))
        let broken = Self.pack.replacingOccurrences(of: replace, with: with)
        #expect {
            _ = try RulePackLoader.compile(text: broken, file: "rules.yaml")
        } throws: { error in
            (error as? ConfigError)?.description == expected
        }
    }
}

extension RuleLanguageTests {
    /// The pack with one test that exercises the `results` rule only, through the given result elements.
    static func packWithTest(results: String) -> String {
        pack + """

            tests:
              - name: results only
                input: |
                  {"at":"2026-01-01T00:00:01Z","kind":"results","results":\(results)}
                rows:
                  - table: tool_executions
                    tool_call_id: a
            """
    }

    @Test func pathsAreJudgedOnlyOnRecordsTheirRuleMatchedInTheTests() throws {
        // `failed` is found as null in one element and absent from the other: found. The `answer` rule is not
        // exercised by any test, so its paths are not judged.
        let fine = try RulePackLoader.compile(
            text: Self.packWithTest(results: #"[{"id":"a","out":"x","failed":null}]"#), file: "rules.yaml")
        #expect(RuleTestRunner.unmatchedPaths(fine).isEmpty)
        #expect(RuleTestRunner.firstProblem(fine) == nil)

        // No element has `out`: the path is reported where it is written, with the members the elements have.
        let wrong = try RulePackLoader.compile(
            text: Self.packWithTest(results: #"[{"id":"a","outs":"x","failed":false}]"#), file: "rules.yaml")
        #expect(
            RuleTestRunner.unmatchedPaths(wrong).map(\.description) == [
                "rules.yaml:19:15: error: records[1].fields.result: '@.out' finds nothing in the 1 record rule "
                    + "'results' matches in this file's tests; the object there has failed, id, outs "
                    + "(did you mean 'outs'?)"
            ])
        #expect(RuleTestRunner.firstProblem(wrong)?.description == RuleTestRunner.unmatchedPaths(wrong).first?.description)
    }
}
