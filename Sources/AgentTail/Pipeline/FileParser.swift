import Foundation

/// Parses whole files without touching any state, for `agenttail parse`: every file is taken as finished, so its
/// session is concluded at the end of the file.
package enum FileParser {
    /// The rows one file produces, the session row first, then the rest in file order, with secrets masked. A row
    /// written more than once (a call whose message spans several records) appears once, as last written. Ids are
    /// those `agenttail run` gives the same file.
    package static func rows(
        path: String, rules: RulePack, host: String, redactor: Redactor = Redactor()
    ) throws(FileProblem) -> [NormalizedRow] {
        let (parser, rows) = try read(path: path, rules: rules, host: host)
        var all = parser.finish(rows)
        var masker = RowMasker(redactor: redactor)
        masker.redact(&all)
        return all
    }

    /// Reads the whole file at `path` through a parse chain with the ids `agenttail run` gives the file; the input
    /// is not finished yet.
    private static func read(
        path: String, rules: RulePack, host: String, explain: ((LogParser.Step) -> Void)? = nil
    ) throws(FileProblem) -> (LogParser, [NormalizedRow]) {
        let path = URL(fileURLWithPath: path).standardizedFileURL.path
        let handle: LogFile
        switch LogFile.open(path) {
        case .success(let opened): handle = opened
        case .failure(var problem):
            problem.path = path
            throw problem
        }
        guard let status = handle.status else { throw FileProblem(path: path, errno: EBADF) }
        let identity = FileIdentity(
            status: status, prefix: handle.prefix(Int(min(status.size, Int64(FileIdentity.fingerprintLimit)))))
        let parser = LogParser(
            rules: rules, ids: EventIDs(host: host, fileKey: identity.key), state: SessionState(sourcePath: path))
        var rows: [NormalizedRow] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var offset: Int64 = 0
        while true {
            let result = buffer.withUnsafeMutableBytes { raw in handle.read(into: raw, at: offset) }
            guard case .success(let count) = result else {
                if case .failure(var problem) = result {
                    problem.path = path
                    throw problem
                }
                break
            }
            if count == 0 { break }
            buffer.withUnsafeBytes { raw in
                parser.consume(UnsafeRawBufferPointer(rebasing: raw[0..<count]), rows: &rows, explain: explain)
            }
            offset += Int64(count)
        }
        return (parser, rows)
    }

    /// The rows a text produces as if it were the file at `path` (rule tests, tests), masked; ids depend on the
    /// path alone.
    package static func rows(
        bytes: [UInt8], path: String, rules: RulePack, host: String, redactor: Redactor = Redactor()
    ) -> [NormalizedRow] {
        var rows = LogParser.rows(
            of: bytes, rules: rules, ids: EventIDs(host: host, fileKey: "text:\(path)"), sourcePath: path)
        var masker = RowMasker(redactor: redactor)
        masker.redact(&rows)
        return rows
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// One step of `agenttail parse --explain`: a record, stray text or the end of the file, and the rows it produced.
/// Everything it holds that came from the file is masked as `agenttail run` masks rows.
package struct Explanation: Sendable {
    package enum Subject: Sendable {
        /// A framed record that a rule matched: its byte range and rule, and what it says (one observation, or one
        /// per element of the rule's `each`).
        case record(RecordInfo, [ExplainedObservation])
        /// A record without a time that an `ignore` rule matched.
        case ignored(offset: Int64, length: Int, rule: String)
        /// A record no rule understood, and why.
        case failure(offset: Int64, length: Int, message: String)
        /// Text outside any record.
        case strayText(offset: Int64, preview: String)
        /// The end of the file, where the session is concluded.
        case endOfFile
    }

    package var subject: Subject
    /// For a record: the rules tried before the one that read it (all, when none did), each with why it did not
    /// match, masked.
    package var passedOver: [(rule: String, reason: String)] = []
    /// The rows it produced.
    package var rows: [NormalizedRow]
}

/// What a rule read from a record: the kind of observation and the fields it found, masked.
package struct ExplainedObservation: Sendable {
    package var kind: String
    package var fields: [(name: String, value: String)]

    init(_ observation: Observation, redactor: Redactor) {
        kind = observation.kind
        fields = observation.fields.map { name, value in (name, redactor.masked(field: value)) }
    }
}


extension FileParser {
    /// Every record of the file at `path`, as the rules see it, with the rows each produced.
    package static func explain(
        path: String, rules: RulePack, host: String, redactor: Redactor = Redactor()
    ) throws(FileProblem) -> [Explanation] {
        var steps: [(subject: Explanation.Subject, passedOver: [(rule: String, reason: String)], rows: Range<Int>)] = []
        let note: (LogParser.Step) -> Void = { step in
            let passedOver = step.passedOver.map { ($0.rule, redactor.masked(field: $0.reason)) }
            switch step.parsed {
            case .observation(var info, let observations):
                let explained = observations.map { ExplainedObservation($0, redactor: redactor) }
                info.session = info.session.map { facts in
                    SessionFacts(
                        workspace: facts.workspace.map(redactor.masked(field:)),
                        gitBranch: facts.gitBranch.map(redactor.masked(field:)),
                        agentVersion: facts.agentVersion.map(redactor.masked(field:)),
                        agentSessionID: facts.agentSessionID.map(redactor.masked(field:)))
                }
                steps.append((.record(info, explained), passedOver, step.rows))
            case .failure(let offset, let length, _, let message):
                steps.append(
                    (.failure(offset: offset, length: length, message: redactor.masked(field: message)), passedOver, step.rows))
            case .ignored(let offset, let length, let rule):
                steps.append((.ignored(offset: offset, length: length, rule: rule), passedOver, step.rows))
            case nil:
                break
            }
            if let stray = step.strayText {
                steps.append(
                    (.strayText(offset: stray.offset, preview: redactor.masked(field: stray.preview)), [], step.rows))
            }
        }
        var (parser, rows) = try read(path: path, rules: rules, host: host, explain: note)
        parser.finishInput(rows: &rows, explain: note)
        let end = rows.count
        parser.concludeSilent(into: &rows)
        parser.flushSession(into: &rows)
        steps.append((.endOfFile, [], end..<rows.count))
        var masker = RowMasker(redactor: redactor)
        masker.redact(&rows)
        return steps.map { Explanation(subject: $0.subject, passedOver: $0.passedOver, rows: Array(rows[$0.rows])) }
    }
}

extension Observation {
    /// The fields a rule read, by name, for explanations: only those it found.
    package var fields: [(name: String, value: String)] {
        var fields: [(String, String?)] = []
        switch self {
        case .llmRequest(let request):
            fields = [("input", request.input), ("task", request.task), ("model", request.model), ("tools", request.tools)]
        case .llmResponse(let response, let call):
            fields = [
                ("output", response.output), ("thinking", response.thinking), ("finish_reason", response.finishReason),
                ("model", response.model), ("prompt_tokens", response.promptTokens.map(String.init)),
                ("completion_tokens", response.completionTokens.map(String.init)),
                ("cache_read_tokens", response.cacheReadTokens.map(String.init)),
                ("cache_creation_tokens", response.cacheCreationTokens.map(String.init)),
                ("reasoning_tokens", response.reasoningTokens.map(String.init)), ("message_id", response.messageID),
                ("sidechain", response.sidechain.map { "\($0)" }), ("call", call == .own ? nil : call.rawValue),
            ]
            for (index, call) in response.toolCalls.enumerated() {
                fields.append(("tool_calls[\(index)]", "\(call.name) id=\(call.id ?? "none") \(call.arguments ?? "")"))
            }
        case .toolResult(let result):
            fields = [
                ("tool_name", result.toolName), ("tool_call_id", result.toolCallID), ("arguments", result.arguments),
                ("success", result.success.map { "\($0)" }), ("result", result.result), ("error", result.error),
                ("duration_ms", result.durationMs.map { $0.rounded() == $0 ? String(Int($0)) : String($0) }),
            ]
        case .agentError(let message, let toolName):
            fields = [("message", message), ("tool_name", toolName)]
        case .llmError(let message):
            fields = [("message", message)]
        case .context(let model, let remembered):
            fields = [("model", model)] + remembered.map { ("context.\($0.name)", $0.value ?? "(none)") }
        case .interruption, .ignored:
            break
        }
        return fields.compactMap { name, value in value.map { (name, $0) } }
    }

    /// The kind of record the rule says this is.
    package var kind: String {
        switch self {
        case .llmRequest: return "llm_request"
        case .llmResponse: return "llm_response"
        case .toolResult: return "tool_result"
        case .agentError: return "error"
        case .llmError: return "llm_error"
        case .interruption: return "interruption"
        case .context: return "context"
        case .ignored: return "ignore"
        }
    }
}
