import AgentTailCore
import Foundation

/// Turns normalized rows into spans: a session is a trace and its root `agent` span, an LLM call a `generation`, a
/// tool execution a `tool` span beside it, a parser error an `event`.
///
/// Every span is complete when produced, and a row always gives the same span: ids come from row ids (the trace id
/// is the session id), times are the row's own. Rows that are not final yet (a running session) give no span.
package struct SpanMapper: Sendable {
    /// Which attribute vocabulary the spans speak.
    package enum Flavor: Sendable, Equatable {
        /// Langfuse's `langfuse.*` attributes.
        case langfuse
        /// OpenTelemetry's GenAI semantic conventions (`gen_ai.*`), for any collector.
        case openTelemetry
    }

    package var flavor: Flavor
    /// Longest input, output or status message kept; longer values are cut with a visible marker.
    package var maxAttributeBytes: Int
    /// The `session.id` every span carries: nil for one session per run (the run's id), else this fixed text.
    package var fixedSessionID: String?
    /// The `user.id` every span carries, when configured.
    package var userID: String?

    package init(
        flavor: Flavor = .langfuse, maxAttributeBytes: Int = 256 << 10, fixedSessionID: String? = nil,
        userID: String? = nil
    ) {
        self.flavor = flavor
        self.maxAttributeBytes = maxAttributeBytes
        self.fixedSessionID = fixedSessionID
        self.userID = userID
    }

    /// The span for a row, or nil when the row has none (yet).
    package func span(for row: NormalizedRow) -> OTLPSpan? {
        let span: OTLPSpan?
        switch row.table {
        case .agentSessions: span = sessionSpan(row)
        case .llmCalls: span = generationSpan(row)
        case .toolExecutions: span = toolSpan(row)
        case .agentErrors: span = errorEvent(row)
        }
        guard var span, flavor == .openTelemetry else { return span }
        span.attributes = GenAIAttributes.translate(span.attributes, row: row)
        return span
    }

    /// The root span's id: derived from the session id, distinct from every child's.
    package static func rootSpanID(session: UUID) -> [UInt8] {
        Array(UUID(v5: "\(session.lowercased)|root").bytes.prefix(8))
    }

    private func sessionSpan(_ row: NormalizedRow) -> OTLPSpan? {
        guard let status = row.text("status"), status != "running", let start = row.date("started_at") else {
            return nil
        }
        let end = row.date("ended_at") ?? start
        let agent = row.text("agent") ?? "agent"
        // Rows written before sessions carried their trace context still name their agent and host.
        let trace =
            row.trace
            ?? TraceContext(
                agent: agent, host: row.text("host") ?? "", workspace: row.text("workspace"),
                gitBranch: row.text("git_branch"), agentVersion: row.text("agent_version"))
        var attributes = common(session: row.id, type: "agent", trace: trace)
        if let task = row.text("task") { attributes.append(("langfuse.observation.input", .string(jsonString(task)))) }
        if let answer = row.text("final_output") {
            attributes.append(("langfuse.observation.output", .string(jsonString(answer))))
        }
        for column in ["source_path", "status"] {
            if let value = row.text(column) { attributes.append(("langfuse.trace.metadata.\(column)", .string(value))) }
        }
        for column in [
            "llm_calls", "tool_calls", "tool_errors", "duration_ms", "prompt_tokens", "completion_tokens",
            "cache_read_tokens", "cache_creation_tokens", "cost_usd",
        ] {
            if let value = row.text(column) { attributes.append(("langfuse.trace.metadata.\(column)", .string(value))) }
        }
        let failed = status == "failed"
        if failed { attributes.append(("langfuse.observation.level", .string("ERROR"))) }
        return OTLPSpan(
            traceID: row.id.bytes, spanID: Self.rootSpanID(session: row.id), parentSpanID: nil, name: "\(agent) run",
            kind: 1, startMillis: start.unixMillis, endMillis: max(end.unixMillis, start.unixMillis),
            attributes: attributes, statusCode: failed ? 2 : 0, statusMessage: failed ? "the run \(status)" : nil)
    }

    private func generationSpan(_ row: NormalizedRow) -> OTLPSpan? {
        guard let session = row.uuid("session_id"), let start = row.date("started_at") else { return nil }
        let end = row.date("ended_at") ?? start
        var attributes = common(session: session, type: "generation", trace: row.trace)
        let model = row.text("model")
        if let model { attributes.append(("langfuse.observation.model.name", .string(model))) }
        if let input = row.text("input") { attributes.append(("langfuse.observation.input", .string(capped(input)))) }
        var output = JSONWriter()
        output.beginObject()
        output.key("role")
        output.string("assistant")
        output.key("content")
        if let text = row.text("output") { output.string(text) } else { output.null() }
        if let thinking = row.text("thinking") {
            output.key("thinking")
            output.string(thinking)
        }
        if let calls = toolCalls(ofCall: row) {
            output.key("tool_calls")
            output.raw(calls)
        }
        output.endObject()
        let status = row.text("status") ?? "ok"
        if status == "ok" || (status == "interrupted" && (row.text("output") != nil || row.text("thinking") != nil)) {
            attributes.append(("langfuse.observation.output", .string(capped(String(decoding: output.bytes, as: UTF8.self)))))
        }
        if let usage = usageDetails(row) {
            attributes.append(("langfuse.observation.usage_details", .string(usage)))
        }
        if case .usd(let cost) = row["cost_usd"] {
            attributes.append(("langfuse.observation.cost_details", .string("{\"total\":\(cost.decimalText)}")))
        }
        if let reason = row.text("finish_reason") {
            attributes.append(("langfuse.observation.metadata.finish_reason", .string(reason)))
        }
        attributes.append(("langfuse.observation.metadata.seq", .string(row.text("seq") ?? "")))
        if status == "interrupted" { attributes.append(("langfuse.observation.metadata.status", .string(status))) }
        let problem: String? =
            switch status {
            case "ok", "interrupted": nil
            case "error": "the model's API failed"
            default: "the LLM call got no response"
            }
        let failed = problem != nil
        if let problem {
            attributes.append(("langfuse.observation.level", .string("ERROR")))
            attributes.append(("langfuse.observation.status_message", .string(problem)))
        } else if status == "interrupted" {
            attributes.append(("langfuse.observation.level", .string("WARNING")))
            attributes.append(("langfuse.observation.status_message", .string("interrupted by the user")))
        }
        return OTLPSpan(
            traceID: session.bytes, spanID: Array(row.id.bytes.prefix(8)),
            parentSpanID: Self.rootSpanID(session: session), name: model.map { "chat \($0)" } ?? "llm call",
            kind: 3, startMillis: start.unixMillis, endMillis: max(end.unixMillis, start.unixMillis),
            attributes: attributes, statusCode: failed ? 2 : 0, statusMessage: problem)
    }

    /// Langfuse's usage buckets, which add up to the total: fresh input, cache reads and writes (the keys its
    /// built-in Claude prices use), output. Nil when the call reported no tokens.
    private func usageDetails(_ row: NormalizedRow) -> String? {
        func tokens(_ column: String) -> Int? { row.text(column).flatMap(Int.init) }
        let prompt = tokens("prompt_tokens")
        let completion = tokens("completion_tokens")
        let read = tokens("cache_read_tokens") ?? 0
        let written = tokens("cache_creation_tokens") ?? 0
        guard prompt != nil || completion != nil else { return nil }
        var usage = JSONWriter()
        usage.beginObject()
        if let prompt {
            usage.key("input")
            usage.int(max(0, prompt - read - written))
            if read > 0 {
                usage.key("input_cache_read")
                usage.int(read)
            }
            if written > 0 {
                usage.key("input_cache_creation")
                usage.int(written)
            }
        }
        if let completion {
            usage.key("output")
            usage.int(completion)
        }
        usage.key("total")
        usage.int((prompt ?? 0) + (completion ?? 0))
        usage.endObject()
        return String(decoding: usage.bytes, as: UTF8.self)
    }

    private func toolSpan(_ row: NormalizedRow) -> OTLPSpan? {
        guard let session = row.uuid("session_id"), let start = row.date("started_at") else { return nil }
        let end = row.date("ended_at") ?? start
        var attributes = common(session: session, type: "tool", trace: row.trace)
        if let arguments = row.text("arguments") {
            attributes.append(("langfuse.observation.input", .string(capped(arguments))))
        }
        let success = row.text("success") == "true"
        if let result = row.text("result") ?? row.text("error") {
            attributes.append(("langfuse.observation.output", .string(jsonString(result))))
        }
        // What the run used, when it was measured live (null otherwise, and then left out).
        for column in [
            "category", "llm_call_id", "tool_call_id", "peak_rss_bytes", "cpu_ms", "max_processes", "io_read_bytes",
            "io_write_bytes",
        ] {
            if let value = row.text(column) {
                attributes.append(("langfuse.observation.metadata.\(column)", .string(value)))
            }
        }
        if row.text("metadata")?.contains("\"resources_shared\":true") == true {
            attributes.append(("langfuse.observation.metadata.resources_shared", .string("true")))
        }
        let message = success ? nil : cut(row.text("error") ?? "the tool failed")
        if let message {
            attributes.append(("langfuse.observation.level", .string("ERROR")))
            attributes.append(("langfuse.observation.status_message", .string(message)))
        }
        return OTLPSpan(
            traceID: session.bytes, spanID: Array(row.id.bytes.prefix(8)),
            parentSpanID: Self.rootSpanID(session: session), name: row.text("tool_name") ?? "tool", kind: 1,
            startMillis: start.unixMillis, endMillis: max(end.unixMillis, start.unixMillis), attributes: attributes,
            statusCode: success ? 0 : 2, statusMessage: message)
    }

    /// An unreadable record is a WARNING event of the run; a failure of the model's API that the agent reported is
    /// an ERROR event of the call it failed. Other errors show on their own span (a failed tool, an unanswered call).
    private func errorEvent(_ row: NormalizedRow) -> OTLPSpan? {
        guard let session = row.uuid("session_id"), let time = row.date("occurred_at") else { return nil }
        let name: String
        let level: String
        var parent = Self.rootSpanID(session: session)
        switch row.text("source") {
        case "parser":
            (name, level) = ("parser error", "WARNING")
        case "llm" where metadataValue(of: row, "api_error").map { $0.1 == "true" } == true:
            (name, level) = ("API error", "ERROR")
            if let call = row.uuid("related_id") { parent = Array(call.bytes.prefix(8)) }
        default:
            return nil
        }
        var attributes = common(session: session, type: "event", trace: row.trace)
        attributes.append(("langfuse.observation.level", .string(level)))
        attributes.append(("langfuse.observation.status_message", .string(cut(row.text("message") ?? ""))))
        if let metadata = row.text("metadata") { attributes.append(("langfuse.observation.metadata", .string(metadata))) }
        return OTLPSpan(
            traceID: session.bytes, spanID: Array(row.id.bytes.prefix(8)), parentSpanID: parent, name: name, kind: 1,
            startMillis: time.unixMillis, endMillis: time.unixMillis, attributes: attributes, statusCode: 0,
            statusMessage: nil)
    }

    /// Attributes every span carries: its type, and the trace's own (session, user, name, tags, metadata), which
    /// Langfuse filters and aggregates by observation, so that each span answers for its run as its SDKs do when
    /// they propagate attributes.
    private func common(session: UUID, type: String, trace: TraceContext?) -> [(key: String, value: OTLPValue)] {
        var attributes: [(key: String, value: OTLPValue)] = [
            ("langfuse.observation.type", .string(type)), ("session.id", .string(fixedSessionID ?? session.lowercased)),
        ]
        if let userID { attributes.append(("user.id", .string(userID))) }
        guard let trace else { return attributes }
        attributes.append(("langfuse.trace.name", .string("\(trace.agent) run")))
        attributes.append(("langfuse.trace.tags", .strings([trace.agent])))
        for (name, value) in trace.fields {
            attributes.append(("langfuse.trace.metadata.\(name)", .string(value)))
        }
        return attributes
    }

    private func jsonString(_ text: String) -> String {
        var writer = JSONWriter()
        writer.string(cut(text))
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    /// The tool calls the response requested, kept by the correlator in the call's metadata.
    private func toolCalls(ofCall row: NormalizedRow) -> String? {
        guard let (kind, text) = metadataValue(of: row, "tool_calls"), kind == .array else { return nil }
        return text
    }

    /// A member of the row's metadata object: its kind and JSON text.
    private func metadataValue(of row: NormalizedRow, _ key: String) -> (JSONSlice.Kind, String)? {
        guard let metadata = row.text("metadata") else { return nil }
        return Array(metadata.utf8).withUnsafeBytes { raw -> (JSONSlice.Kind, String)? in
            let scanner = JSONScanner(raw)
            guard let object = try? scanner.value(in: 0..<raw.count), let value = try? scanner.member(key, of: object)
            else { return nil }
            return (value.kind, scanner.rawText(value))
        }
    }

    private func capped(_ json: String) -> String { FieldCap.json(json, limit: maxAttributeBytes) }

    private func cut(_ text: String) -> String { FieldCap.text(text, limit: maxAttributeBytes) }
}

extension NormalizedRow {
    /// A column as text: strings as they are, numbers and booleans spelled out, JSON as its text; nil for null.
    package func text(_ column: String) -> String? {
        switch self[column] {
        case .null: return nil
        case .text(let text), .json(let text): return text
        case .int(let number): return String(number)
        case .usd(let amount): return amount.decimalText
        case .bool(let flag): return String(flag)
        case .timestamp(let date): return date.rfc3339
        case .uuid(let id): return id.lowercased
        }
    }

    package func date(_ column: String) -> Date? {
        if case .timestamp(let date) = self[column] { return date }
        return nil
    }

    package func uuid(_ column: String) -> UUID? {
        if case .uuid(let id) = self[column] { return id }
        return nil
    }
}
