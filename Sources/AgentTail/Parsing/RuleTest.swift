import AgentTailCore
import Foundation
import Yams

/// One test a rules file carries under `tests:`: a log text (or sample file) and rows it must produce.
///
///     tests:
///       - name: a tool call and its result
///         input: |            # or `file: samples/run.log`, relative to the rules file
///           ...log text...
///         rows:               # per table, in the order the rows are produced; only the columns given are compared
///           - table: tool_executions
///             tool_name: bash
///             success: false
///
/// Every table a test names must produce exactly as many rows as the test lists for it (a session row counts once,
/// in its last version); tables it does not name are not looked at.
package struct RuleTest: Sendable {
    package var name: String
    /// The rules file, line and column the test is written at.
    package var file: String
    package var line: Int
    package var column: Int
    package var input: [UInt8]
    package var rows: [ExpectedRow]

    /// `file:line` of the test, for reports.
    package var location: String { "\(file):\(line)" }

    /// A row a test expects: its table and the columns it checks.
    package struct ExpectedRow: Sendable {
        package var table: NormalizedTable
        package var columns: [(name: String, value: Expected)]
    }

    /// A value as written in the test, compared with a produced column value (JSON columns compare as JSON).
    package indirect enum Expected: Sendable, Equatable, CustomStringConvertible {
        case null
        case bool(Bool)
        case number(Double)
        case string(String)
        case list([Expected])
        case map([String: Expected])

        package var description: String {
            switch self {
            case .null: return "null"
            case .bool(let flag): return "\(flag)"
            case .number(let number):
                return number == number.rounded() && abs(number) < 1e15 ? "\(Int(number))" : "\(number)"
            case .string(let text): return Self.quoted(text)
            case .list(let items): return "[" + items.map(\.description).joined(separator: ", ") + "]"
            case .map(let members):
                return "{" + members.sorted { $0.key < $1.key }.map { "\(Self.quoted($0.key)): \($0.value)" }
                    .joined(separator: ", ") + "}"
            }
        }

        private static func quoted(_ text: String) -> String {
            let shown = text.count > 120 ? String(text.prefix(117)) + "..." : text
            return escapedQuote(shown)
        }

        private static func escapedQuote(_ text: String) -> String {
            "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                .replacingOccurrences(of: "\n", with: "\\n") + "\""
        }

        /// How `expected` and `got` differ, for a failing test: two long texts are shown around the first character
        /// where they part, with its position, rather than as two identical beginnings.
        static func difference(expected: Expected, got: Expected) -> String {
            guard case .string(let want) = expected, case .string(let have) = got, want.count > 120 || have.count > 120
            else { return "expected \(expected), got \(got)" }
            let wanted = Array(want)
            let had = Array(have)
            var position = 0
            while position < wanted.count, position < had.count, wanted[position] == had[position] { position += 1 }
            func around(_ characters: [Character]) -> String {
                let start = max(0, position - 30)
                let end = min(characters.count, position + 50)
                return (start > 0 ? "…" : "") + escapedQuote(String(characters[start..<end])) + (end < characters.count ? "…" : "")
            }
            return "expected \(around(wanted)), got \(around(had)) (\(want.count) and \(have.count) characters; they differ "
                + "from character \(position + 1) on)"
        }

        /// A produced column value in the same form.
        package init(_ value: ColumnValue) {
            switch value {
            case .null: self = .null
            case .text(let text): self = .string(text)
            case .int(let number): self = .number(Double(number))
            case .usd(let amount): self = .number(amount.dollars)
            case .bool(let flag): self = .bool(flag)
            case .timestamp(let date): self = .string(date.rfc3339)
            case .uuid(let id): self = .string(id.lowercased)
            case .json(let text):
                self = (try? JSONDecoder().decode(Expected.self, from: Data(text.utf8))) ?? .string(text)
            }
        }

        /// A YAML node as written in a test: scalars keep the type YAML gives them (`12`, `true`, `null`, text).
        init(yaml node: Node) {
            switch node {
            case .scalar(let scalar):
                if node.null != nil {
                    self = .null
                } else if scalar.style == .plain, let flag = node.bool {
                    self = .bool(flag)
                } else if scalar.style == .plain, let number = node.float ?? node.int.map(Double.init) {
                    self = .number(number)
                } else {
                    self = .string(scalar.string)
                }
            case .sequence(let items): self = .list(items.map(Self.init(yaml:)))
            case .mapping(let mapping):
                var members: [String: Expected] = [:]
                for (key, value) in mapping { members[key.string ?? "\(key)"] = Self.init(yaml: value) }
                self = .map(members)
            case .alias: self = .null
            }
        }

        /// Whether a produced value matches: equal, or for text columns the same text as a YAML number or boolean.
        func matches(_ produced: Expected) -> Bool {
            if self == produced { return true }
            switch (self, produced) {
            case (.number(let number), .string(let text)): return Double(text) == number
            case (.bool(let flag), .string(let text)): return text == "\(flag)"
            default: return false
            }
        }
    }
}

extension RuleTest.Expected: Decodable {
    /// Decodes JSON, keeping its types: `true` is a boolean, never the number 1.
    package init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let flag = try? container.decode(Bool.self) {
            self = .bool(flag)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else if let text = try? container.decode(String.self) {
            self = .string(text)
        } else if let items = try? container.decode([RuleTest.Expected].self) {
            self = .list(items)
        } else {
            self = .map(try container.decode([String: RuleTest.Expected].self))
        }
    }
}

/// What running one rule test found.
package struct RuleTestResult: Sendable {
    package var test: RuleTest
    /// One line per difference; empty when the test passed.
    package var differences: [String]

    package var passed: Bool { differences.isEmpty }
}

/// Runs the tests of a rule pack: each input is parsed as one whole, finished file, as `agenttail parse` does.
package enum RuleTestRunner {
    package static func run(_ pack: RulePack) -> [RuleTestResult] {
        // What a test expects is printed beside what the rules produced, and a test's log may hold a secret.
        let redactor = Redactor()
        return pack.tests.map { test in
            RuleTestResult(
                test: test, differences: differences(test, pack: pack).map { redactor.masked($0) })
        }
    }

    static func differences(_ test: RuleTest, pack: RulePack) -> [String] {
        var rows = LogParser.rows(
            of: test.input, rules: pack, ids: EventIDs(host: "rule-test", fileKey: "rule-test"),
            sourcePath: "/rule-test/input.log")
        var masker = RowMasker(redactor: Redactor())
        masker.redact(&rows)
        let produced = rows.latestVersions()
        var differences: [String] = []
        let tables = NormalizedTable.allCases.filter { table in test.rows.contains { $0.table == table } }
        for table in tables {
            let expected = test.rows.filter { $0.table == table }
            let actual = produced.filter { $0.table == table }
            if expected.count != actual.count {
                let unit = expected.count == 1 ? "row" : "rows"
                differences.append("\(table.rawValue): expected \(expected.count) \(unit), got \(actual.count)")
            }
            for (index, (want, got)) in zip(expected, actual).enumerated() {
                for (column, value) in want.columns {
                    let producedValue = RuleTest.Expected(got[column])
                    if !value.matches(producedValue) {
                        differences.append(
                            "\(table.rawValue)[\(index)].\(column): "
                                + RuleTest.Expected.difference(expected: value, got: producedValue))
                    }
                }
            }
        }
        return differences
    }
}

extension RuleTestRunner {
    /// JSON paths of the rules' fields that find nothing in any record their rule matched in the pack's tests:
    /// a misspelt member name, or a path into a shape the log does not have. Rules no test exercises are not judged.
    /// Rules that no record of the pack's tests reaches, as warnings: a `when` that holds for nothing is as often a
    /// mistake as a format's rare record without a test. Nil messages when every rule is reached or there are no
    /// tests.
    package static func unreachedRules(_ pack: RulePack) -> [String] {
        guard !pack.tests.isEmpty else { return [] }
        var reached: Set<String> = []
        for test in pack.tests {
            let parser = LogParser(
                rules: pack, ids: EventIDs(host: "test", fileKey: "test"), state: SessionState(sourcePath: "test"))
            var rows: [NormalizedRow] = []
            let note: (LogParser.Step) -> Void = { step in
                switch step.parsed {
                case .observation(let info, _)?: reached.insert(info.rule)
                case .ignored(_, _, let rule)?: reached.insert(rule)
                default: break
                }
            }
            test.input.withUnsafeBytes { raw in parser.consume(raw, rows: &rows, explain: note) }
            parser.finishInput(rows: &rows, explain: note)
        }
        return pack.records.filter { !reached.contains($0.name) }.map { rule in
            let place = rule.location.map { "\($0): warning: \($0.keyPath): " } ?? "warning: "
            return place + "rule '\(rule.name)' matches no record of this file's tests: its `when` may be wrong, "
                + "or a test should have such a record"
        }
    }

    package static func unmatchedPaths(_ pack: RulePack) -> [ConfigError] {
        /// What one rule's paths found over all the records it matched in the tests.
        struct Tally {
            var records = 0
            var found: [Bool]
            var nearby: [Set<String>]
        }
        let parser = RecordParser(rules: pack)
        var tallies: [String: Tally] = [:]
        for test in pack.tests {
            var framer = Framer(framing: pack.framing, offset: 0)
            let visit: (FramerEvent) -> Void = { event in
                guard case .record(let record) = event, let findings = parser.pathFindings(record) else { return }
                let count = findings.found.count
                var tally =
                    tallies[findings.rule]
                    ?? Tally(found: Array(repeating: false, count: count), nearby: Array(repeating: [], count: count))
                tally.records += 1
                for index in 0..<count {
                    tally.found[index] = tally.found[index] || findings.found[index]
                    tally.nearby[index].formUnion(findings.nearby[index])
                }
                tallies[findings.rule] = tally
            }
            test.input.withUnsafeBytes { raw in framer.append(raw, visit) }
            framer.finish(visit)
        }
        var problems: [ConfigError] = []
        for rule in pack.records {
            guard let tally = tallies[rule.name] else { continue }
            let records = tally.records
            for (index, location) in rule.pathLocations.enumerated() where !tally.found[index] {
                let plural = records == 1 ? "record" : "records"
                var message =
                    "'\(location.path)' finds nothing in the \(records) \(plural) rule '\(rule.name)' matches in "
                    + "this file's tests"
                let keys = tally.nearby[index].sorted()
                if let (_, member) = location.path.parent, !keys.isEmpty {
                    message += "; the object there has \(keys.joined(separator: ", "))"
                    if let suggestion = Suggestion.closest(to: member, in: keys) {
                        message += " (did you mean '\(suggestion)'?)"
                    }
                } else {
                    message += "; fix the path, or add a test whose log has this field"
                }
                problems.append(location.error(message))
            }
        }
        return problems
    }

    /// The first reason `pack` may not be used: a path its tests show to be wrong, or a failing test.
    package static func firstProblem(_ pack: RulePack) -> ConfigError? {
        if let problem = unmatchedPaths(pack).first { return problem }
        return run(pack).lazy.compactMap { $0.error(origin: pack.origin) }.first
    }
}

extension RuleTestResult {
    /// The failure as an error at the test's place in the rules file; nil when the test passed.
    package func error(origin: String) -> ConfigError? {
        guard !passed else { return nil }
        return .invalid(
            file: test.file, line: test.line, column: test.column, keyPath: "tests",
            message: "rule test '\(test.name)' fails: " + differences.joined(separator: "; ")
                + " (`agenttail test-rules \(origin)` shows every test)")
    }
}

extension RulePackLoader {
    /// Loads a pack and checks it against its own tests, as `run` and reloads do before using it.
    package static func loadChecked(_ reference: RulesReference) throws(ConfigError) -> RulePack {
        let pack = try load(reference)
        if let problem = RuleTestRunner.firstProblem(pack) { throw problem }
        return pack
    }
}

extension RulePackLoader {
    /// Reads the `tests:` list of a rules file; `base` resolves sample file paths.
    static func compileTests(_ node: YAMLValue, base: String) throws(ConfigError) -> [RuleTest] {
        var tests: [RuleTest] = []
        for item in try node.sequence() {
            let map = try item.mapping(allowed: ["name", "input", "file", "rows"])
            let name = try map.required("name").nonEmptyString()
            let input: [UInt8]
            switch (map.optional("input"), map.optional("file")) {
            case (let text?, nil):
                input = Array(try text.string().utf8)
            case (nil, let fileNode?):
                let path = try fileNode.nonEmptyString()
                let full = path.hasPrefix("/") ? path : URL(fileURLWithPath: base).appendingPathComponent(path).path
                guard let data = FileManager.default.contents(atPath: full) else {
                    throw fileNode.error("cannot read the sample file \(full)")
                }
                input = [UInt8](data)
            default:
                throw item.error("a test needs exactly one of 'input' (log text) or 'file' (a sample log)")
            }
            var rows: [RuleTest.ExpectedRow] = []
            for rowNode in try map.required("rows").sequence() {
                guard case .mapping(let mapping) = rowNode.node else {
                    throw rowNode.error("expected a mapping with 'table' and the columns to check")
                }
                let rowMap = try rowNode.mapping(allowed: mapping.compactMap { $0.key.string })
                let tableNode = try rowMap.required("table")
                let tableName = try tableNode.nonEmptyString()
                guard let table = NormalizedTable(rawValue: tableName) else {
                    throw tableNode.error(
                        "unknown table '\(tableName)'; expected one of "
                            + NormalizedTable.allCases.map(\.rawValue).joined(separator: ", "))
                }
                var columns: [(name: String, value: RuleTest.Expected)] = []
                for (column, value) in rowMap.entries where column != "table" {
                    guard table.columns.contains(column) else {
                        var message = "\(table.rawValue) has no column '\(column)'"
                        if let suggestion = Suggestion.closest(to: column, in: table.columns) {
                            message += "; did you mean '\(suggestion)'?"
                        }
                        throw value.error(message)
                    }
                    columns.append((column, RuleTest.Expected(yaml: value.node)))
                }
                rows.append(RuleTest.ExpectedRow(table: table, columns: columns))
            }
            let mark = item.node.mark
            tests.append(
                RuleTest(
                    name: name, file: item.file, line: mark?.line ?? 1, column: mark?.column ?? 1, input: input,
                    rows: rows))
        }
        return tests
    }
}
