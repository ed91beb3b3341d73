import Foundation
import Testing

@testable import AgentTail
import AgentTailTestSupport

/// Conditions of `when` beyond equality: `null`, existence, `not`, and numbers.
struct RuleConditionTests {
    /// A pack whose one rule holds when `$.v` meets `test`; every other record is ignored.
    static func pack(_ test: String) -> String {
        """
        name: conditions
        framing: { mode: lines, body: json }
        timestamp: { json: '$.at', format: iso8601, timezone: UTC }
        records:
          - name: hit
            when: { '$.v': \(test) }
            emit: error
            fields: { message: '$.name' }
          - name: rest
            emit: ignore
        """
    }

    /// The names of the records (by `name`) the condition holds for, of one record per value of `$.v`: absent,
    /// null, false, 0, 0.0, 12, -3.5, "12", "null", "", "text", {}.
    func hits(_ test: String) throws -> [String] {
        let values = [
            ("absent", nil), ("null", "null"), ("false", "false"), ("zero", "0"), ("zero_float", "0.0"),
            ("twelve", "12"), ("negative", "-3.5"), ("twelve_text", #""12""#), ("null_text", #""null""#),
            ("empty", #""""#), ("text", #""text""#), ("object", "{}"),
        ]
        let lines = values.map { name, value in
            #"{"at":"2026-01-01T00:00:00Z","name":"\#(name)""# + (value.map { #","v":\#($0)"# } ?? "") + "}"
        }
        let rules = try RulePackLoader.compile(text: Self.pack(test), file: "rules.yaml")
        let rows = FileParser.rows(
            bytes: Array((lines.joined(separator: "\n") + "\n").utf8), path: "/logs/c.jsonl", rules: rules,
            host: "test-host")
        return rows.rows(.agentErrors).compactMap { $0.text("message") }
    }

    @Test func nullHoldsForAJSONNullAndForNothingAtAll() throws {
        #expect(try hits("null") == ["absent", "null"])
        // Quoted, it is the text null: the JSON text of a null, and a string that says so.
        #expect(try hits("'null'") == ["null", "null_text"])
        #expect(try hits("[null, text]") == ["absent", "null", "text"])
    }

    @Test func existsTellsWhetherThePathSelectsAnything() throws {
        #expect(
            try hits("{ exists: true }") == [
                "null", "false", "zero", "zero_float", "twelve", "negative", "twelve_text", "null_text", "empty", "text",
                "object",
            ])
        #expect(try hits("{ exists: false }") == ["absent"])
    }

    @Test func notHoldsForEverythingElse() throws {
        #expect(
            try hits("{ not: null }") == [
                "false", "zero", "zero_float", "twelve", "negative", "twelve_text", "null_text", "empty", "text", "object",
            ])
        #expect(try hits("{ not: [0, text, '', null] }") == ["false", "twelve", "negative", "twelve_text", "null_text", "object"])
    }

    @Test func numbersCompareAsNumbers() throws {
        // 0 equals 0.0; "12" is a text that reads as a number.
        #expect(try hits("0") == ["zero", "zero_float"])
        #expect(try hits("12") == ["twelve", "twelve_text"])
        #expect(try hits("{ gt: 0 }") == ["twelve", "twelve_text"])
        #expect(try hits("{ gte: 0 }") == ["zero", "zero_float", "twelve", "twelve_text"])
        #expect(try hits("{ lt: 0 }") == ["negative"])
        #expect(try hits("{ gte: -4, lte: 0 }") == ["zero", "zero_float", "negative"])
        // Tests of one mapping must all hold.
        #expect(try hits("{ exists: true, not: [0, 12] }") == ["null", "false", "negative", "null_text", "empty", "text", "object"])
    }

    @Test(arguments: [
        ("{ gt: many }", "rules.yaml:6:26: error: records[0].when.$.v.gt: 'gt' compares numbers; 'many' is not a number"),
        ("{ exists: maybe }", "rules.yaml:6:30: error: records[0].when.$.v.exists: expected true or false, got 'maybe'"),
        (
            "{ equal: 1 }",
            "rules.yaml:6:22: error: records[0].when.$.v.equal: unknown key 'equal'; expected one of matches, not, exists, gt, gte, lt, lte"
        ),
        ("{}", "rules.yaml:6:20: error: records[0].when.$.v: give a test: a value, or one of matches, not, exists, gt, gte, lt, lte"),
    ])
    func badTestsSayWhere(test: String, expected: String) throws {
        do {
            _ = try RulePackLoader.compile(text: Self.pack(test), file: "rules.yaml")
            Issue.record("the pack loaded")
        } catch {
            #expect(error.description == expected)
        }
    }
}

/// `test-rules` warns about a rule whose `when` holds for no record of the pack's tests.
struct UnreachedRuleTests {
    @Test func aRuleNoTestRecordReachesIsNamedWhereItIsWritten() throws {
        let pack = RuleConditionTests.pack("{ gt: 100 }") + """

            tests:
              - name: small values only
                input: |
                  {"at":"2026-01-01T00:00:00Z","name":"a","v":3}
                rows: []
            """
        let rules = try RulePackLoader.compile(text: pack, file: "rules.yaml")
        #expect(
            RuleTestRunner.unreachedRules(rules) == [
                "rules.yaml:5:5: warning: records[0]: rule 'hit' matches no record of this file's tests: its `when` may "
                    + "be wrong, or a test should have such a record"
            ])
        let fine = try RulePackLoader.compile(text: pack.replacingOccurrences(of: #""v":3}"#, with: "\"v\":3}\n      {\"at\":\"2026-01-01T00:00:01Z\",\"name\":\"b\",\"v\":300}"), file: "rules.yaml")
        #expect(RuleTestRunner.unreachedRules(fine).isEmpty)
    }
}
