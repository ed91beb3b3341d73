import AgentTail
import Foundation
import MCP

/// Answers the calls of the tools `RecordToolCatalog` lists, from the embedded store.
///
/// A bad argument throws (the protocol's invalid-params error, which names what was wrong); a question the store
/// cannot answer (no store yet, no such session) is a result marked as an error, which the model reads and acts on.
struct RecordTools: Sendable {
    let reader: RecordReader
    /// How far back before a report's period its baseline reaches (`report.baseline` of the configuration).
    let baselineSeconds: Double
    var now: @Sendable () -> Date = { Date() }

    static let sessionLimits = 1...100
    static let stepLimits = 1...100
    static let errorPatternLimits = 1...50
    static let problemLimits = 0...500
    static let exampleLimits = 1...10
    static let failureLimits = 0...20
    static let textLimits = 100...20_000
    static let defaultTextLimit = 1_000
    static let errorSources = ["llm", "tool", "agent", "parser"]

    init(storePath: String, baselineSeconds: Double) {
        reader = RecordReader(path: storePath)
        self.baselineSeconds = baselineSeconds
    }

    func call(_ parameters: CallTool.Parameters) async throws -> CallTool.Result {
        var arguments = ToolArguments(tool: parameters.name, parameters.arguments)
        do {
            switch parameters.name {
            case RecordToolCatalog.listSessions: return try await listSessions(&arguments)
            case RecordToolCatalog.getSession: return try await getSession(&arguments)
            case RecordToolCatalog.report: return try await report(&arguments)
            case RecordToolCatalog.searchErrors: return try await searchErrors(&arguments)
            case RecordToolCatalog.toolStats: return try await toolStats(&arguments)
            default:
                let names = RecordToolCatalog.all.map(\.name)
                var message = "there is no tool '\(parameters.name)'"
                if let near = Suggestion.closest(to: parameters.name, in: names) { message += " (did you mean '\(near)'?)" }
                throw MCPError.invalidParams(message + "; the tools are " + names.joined(separator: ", "))
            }
        } catch let problem as RecordReader.Problem {
            return CallTool.Result(content: [.text(text: "\(problem)", annotations: nil, _meta: nil)], isError: true)
        } catch let problem as LocalReportProblem {
            return CallTool.Result(content: [.text(text: "\(problem)", annotations: nil, _meta: nil)], isError: true)
        }
    }

    private func listSessions(_ arguments: inout ToolArguments) async throws -> CallTool.Result {
        var filter = RecordReader.SessionFilter()
        filter.period = try arguments.period(now: now(), otherwise: nil)
        filter.status = try arguments.choice("status", RecordReader.SessionFilter.statuses)
        filter.agent = try arguments.string("agent")
        filter.workspace = try arguments.string("workspace")
        filter.branch = try arguments.string("branch")
        filter.host = try arguments.string("host")
        filter.text = try arguments.string("text")
        let limit = try arguments.integer("limit", default: 20, in: Self.sessionLimits)
        let cursor = try arguments.cursor()
        if case .offset? = cursor { throw arguments.problem("'cursor' belongs to another tool's pages") }
        let cut = try textCut(&arguments)
        try arguments.finish()
        let page = try await reader.sessions(filter, limit: limit, cursor: cursor, textCut: cut)
        return try Self.result(page, text: RecordText.sessions(page))
    }

    private func getSession(_ arguments: inout ToolArguments) async throws -> CallTool.Result {
        guard let id = try arguments.string("id") else { throw arguments.problem("'id' is required: a session's id") }
        let limit = try arguments.integer("limit", default: 20, in: Self.stepLimits)
        let cursor = try offsetCursor(&arguments)
        let cut = try textCut(&arguments)
        try arguments.finish()
        let session = try await reader.session(id, limit: limit, cursor: cursor, textCut: cut)
        return try Self.result(session, text: RecordText.session(session, from: cursor?.offset ?? 0))
    }

    private func report(_ arguments: inout ToolArguments) async throws -> CallTool.Result {
        let period = try arguments.period(now: now(), otherwise: .since(.seconds(86_400)))!
        let by = try arguments.choice("by", ReportQuery.Dimension.allCases.map(\.rawValue)).flatMap(
            ReportQuery.Dimension.init(rawValue:))
        let errors = try arguments.integer("errors", default: 10, in: Self.errorPatternLimits)
        let problems = try arguments.integer("problems", default: 50, in: Self.problemLimits)
        try arguments.finish()
        var query = ReportQuery(period: period, by: by)
        query.errorLimit = errors
        query.baselineSeconds = baselineSeconds
        var report = try await LocalReportReader(path: reader.path).report(query)
        // A busy quarter finds thousands of problems: megabytes that no model reads. The first ones are kept, and a
        // note says how to see the others.
        if report.problems.count > problems {
            let found = report.problems.count
            report.problems = Array(report.problems.prefix(problems))
            report.notes.append(
                "\(found) problem\(found == 1 ? " was" : "s were") found; "
                    + (problems == 0 ? "none is" : "the first \(problems) are")
                    + " listed (the `problems` argument lists up to \(Self.problemLimits.upperBound); get_session shows "
                    + "each session's).")
        }
        return try Self.result(report, text: ReportRenderer(.markdown).render(report))
    }

    private func searchErrors(_ arguments: inout ToolArguments) async throws -> CallTool.Result {
        var filter = RecordReader.ErrorFilter()
        filter.period = try arguments.period(now: now(), otherwise: nil)
        filter.text = try arguments.string("text")
        filter.fingerprint = try arguments.string("fingerprint")
        filter.source = try arguments.choice("source", Self.errorSources)
        filter.tool = try arguments.string("tool")
        let limit = try arguments.integer("limit", default: 10, in: Self.errorPatternLimits)
        let examples = try arguments.integer("examples", default: 3, in: Self.exampleLimits)
        let cursor = try offsetCursor(&arguments)
        let cut = try textCut(&arguments)
        try arguments.finish()
        let search = try await reader.errorGroups(filter, limit: limit, examples: examples, cursor: cursor, textCut: cut)
        return try Self.result(search, text: RecordText.errors(search, from: cursor?.offset ?? 0))
    }

    private func toolStats(_ arguments: inout ToolArguments) async throws -> CallTool.Result {
        guard let tool = try arguments.string("tool") else {
            throw arguments.problem("'tool' is required: a tool's name, such as bash")
        }
        let period = try arguments.period(now: now(), otherwise: .since(.seconds(7 * 86_400)))!
        let failures = try arguments.integer("failures", default: 5, in: Self.failureLimits)
        let cut = try textCut(&arguments)
        try arguments.finish()
        let stats = try await reader.toolStats(tool, period: period, failures: failures, textCut: cut)
        return try Self.result(stats, text: RecordText.tool(stats))
    }

    private func textCut(_ arguments: inout ToolArguments) throws(MCPError) -> TextCut {
        TextCut(limit: try arguments.integer("text_limit", default: Self.defaultTextLimit, in: Self.textLimits))
    }

    /// A cursor of the pages that count items (steps, patterns).
    private func offsetCursor(_ arguments: inout ToolArguments) throws(MCPError) -> PageCursor? {
        let cursor = try arguments.cursor()
        if let cursor, cursor.offset == nil { throw arguments.problem("'cursor' belongs to another tool's pages") }
        return cursor
    }

    /// `answer` as structured content, with `text` for clients and models that read text.
    private static func result(_ answer: some Encodable, text: String) throws -> CallTool.Result {
        let encoder = Report.jsonEncoder
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let structured = try JSONDecoder().decode(PlainJSON.self, from: try encoder.encode(answer)).value
        let content: [Tool.Content] = [.text(text: text, annotations: nil, _meta: nil)]
        return CallTool.Result(content: content, structuredContent: Value?.some(structured), isError: nil)
    }
}

/// JSON read as it is. The SDK's own decoding of `Value` turns a string that looks like a data URL into bytes,
/// which would change a log's text on its way out.
private enum PlainJSON: Decodable {
    case null, bool(Bool), int(Int), double(Double), string(String), array([PlainJSON]), object([String: PlainJSON])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([PlainJSON].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: PlainJSON].self))
        }
    }

    var value: Value {
        switch self {
        case .null: .null
        case .bool(let flag): .bool(flag)
        case .int(let number): .int(number)
        case .double(let number): .double(number)
        case .string(let text): .string(text)
        case .array(let items): .array(items.map(\.value))
        case .object(let members): .object(members.mapValues(\.value))
        }
    }
}
