import AgentTailCore
import Foundation

/// Derives deterministic event ids for one file: the same host, file and record always give the same id.
package struct EventIDs: Sendable {
    package let host: String
    package let fileKey: String

    package init(host: String, fileKey: String) {
        self.host = host
        self.fileKey = fileKey
    }

    package var session: UUID { UUID(v5: "\(host)|\(fileKey)|session") }

    /// The id of the event of `kind` produced by the record at `offset`; `part` tells apart the events of one
    /// record whose rule reads several elements (the first keeps the id a single event has).
    package func event(_ kind: String, offset: Int64, part: Int = 0) -> UUID {
        part == 0 ? UUID(v5: "\(host)|\(fileKey)|\(offset)|\(kind)") : UUID(v5: "\(host)|\(fileKey)|\(offset)#\(part)|\(kind)")
    }
}

/// Where an event comes from: its record, and its place among the record's events.
struct EventPlace {
    var info: RecordInfo
    var part: Int

    func id(_ kind: String, _ ids: EventIDs) -> UUID { ids.event(kind, offset: info.offset, part: part) }

    /// The row metadata that locates the event in its file.
    var metadata: [String: ColumnValue] {
        part == 0 ? ["offset": .int(Int(info.offset))] : ["offset": .int(Int(info.offset)), "part": .int(part)]
    }
}

/// Turns one file's observations into normalized rows: pairs requests with responses and tool calls with results,
/// computes durations, counts and the session's end.
///
/// It is a plain value: the pipeline stores `state` in the same transaction as the rows it produced and the file
/// offset it reached, so after a crash the correlator resumes exactly where the committed rows end.
package struct Correlator: Sendable {
    package let rules: RulePack
    package let ids: EventIDs
    package private(set) var state: SessionState
    /// True when the session row changed since it was last emitted.
    private var sessionChanged = false

    package init(rules: RulePack, ids: EventIDs, state: SessionState) {
        self.rules = rules
        self.ids = ids
        self.state = state
    }

    /// True while the session may still receive records (not concluded).
    package var isOpen: Bool { state.status == .running && state.hasRecords }

    /// Applies one parsed record, appending the rows it completes.
    package mutating func apply(_ record: ParsedRecord, into rows: inout [NormalizedRow]) {
        switch record {
        case .failure(let offset, let length, let timestamp, let message):
            touch(at: timestamp, offset: offset)
            state.parseErrors += 1
            rows.append(
                errorRow(
                    id: ids.event("parser_error", offset: offset), source: "parser", toolName: nil, message: message,
                    at: timestamp ?? state.lastRecordAt, related: nil,
                    metadata: ["offset": .int(Int(offset)), "length": .int(length)]))
            if let timestamp { state.lastRecordAt = max(state.lastRecordAt ?? timestamp, timestamp) }
        case .ignored:
            break
        case .observation(let info, let observations):
            touch(at: info.timestamp, offset: info.offset)
            if let facts = info.session { absorb(facts) }
            for (part, observation) in observations.enumerated() {
                let at = EventPlace(info: info, part: part)
                // Records the rules ignore (summaries, bookkeeping lines) do not reopen a concluded session.
                if observation != .ignored { reopenIfConcluded() }
                switch observation {
                case .llmRequest(let request): handleRequest(request, at: at, rows: &rows)
                case .llmResponse(let response, let call): handleResponse(response, call: call, at: at, rows: &rows)
                case .toolResult(let result): handleToolResult(result, at: at, rows: &rows)
                case .agentError(let message, let toolName):
                    rows.append(
                        errorRow(
                            id: at.id("agent_error", ids), source: "agent", toolName: toolName, message: message,
                            at: info.timestamp, related: nil, metadata: at.metadata))
                case .llmError(let message): handleLLMError(message, at: at, rows: &rows)
                case .interruption: handleInterruption(at: at, rows: &rows)
                case .context(let model, let remembered):
                    // What follows a context is a new model request: the call parts before it are done.
                    closeJoinableCall()
                    if let model { state.contextModel = model }
                    var memory = state.remembered ?? [:]
                    for value in remembered { memory[value.name] = value.value }
                    state.remembered = memory.isEmpty ? nil : memory
                case .ignored:
                    break
                }
            }
            state.lastRecordAt = info.timestamp
        }
    }

    /// Reports text found between records, which no rule can read.
    package mutating func strayText(offset: Int64, preview: String, into rows: inout [NormalizedRow]) {
        touch(at: nil, offset: offset)
        state.parseErrors += 1
        rows.append(
            errorRow(
                id: ids.event("stray_text", offset: offset), source: "parser", toolName: nil,
                message: "text outside any record: \(preview)", at: state.lastRecordAt, related: nil,
                metadata: ["offset": .int(Int(offset))]))
    }

    /// Concludes a session that went silent: an unanswered request or a failed model API fails it, anything else
    /// abandons it.
    package mutating func concludeSilent(into rows: inout [NormalizedRow]) {
        guard isOpen else { return }
        if var pending = state.pendingRequest, !pending.reportedUnanswered {
            reportUnanswered(pending, before: "the log went silent", rows: &rows)
            pending.reportedUnanswered = true
            state.pendingRequest = pending
            state.status = .failed
        } else if state.endedOnError == true {
            state.status = .failed
        } else {
            state.status = .abandoned
        }
        state.endedAt = state.lastRecordAt
        sessionChanged = true
    }

    /// Appends the session row when it changed since the last call.
    package mutating func flushSession(into rows: inout [NormalizedRow]) {
        guard sessionChanged, state.hasRecords else { return }
        sessionChanged = false
        let end = state.endedAt ?? state.lastRecordAt
        let duration = state.startedAt.flatMap { start in end.map { Self.millis(from: start, to: $0) } }
        // Grows with every version of the row: with the offset of the last record taken in, and with the conclusion
        // of a session that read nothing more. The same bytes always give the same revision, so a replay writes the
        // same row; a sink that may apply writes out of order keeps the highest.
        let revision = Int(state.lastRecordOffset ?? 0) * 4 + (state.status == .running ? 0 : 2)
        var metadata: [String: ColumnValue] = [
            "rules": .text(rules.origin), "file_key": .text(ids.fileKey), "parse_errors": .int(state.parseErrors),
        ]
        if let unpriced = state.unpricedModels { metadata["unpriced_models"] = .json(Self.stringsJSON(unpriced)) }
        if let id = state.facts?.agentSessionID { metadata["agent_session_id"] = .text(id) }
        let usage = state.usage ?? Usage()
        rows.append(
            NormalizedRow(
                table: .agentSessions, id: ids.session,
                values: [
                    "agent": .text(rules.agent), "host": .text(ids.host), "source_path": .text(state.sourcePath),
                    "started_at": ColumnValue(state.startedAt), "ended_at": ColumnValue(state.endedAt),
                    "status": .text(state.status.rawValue), "task": ColumnValue(state.task),
                    "final_output": ColumnValue(state.finalOutput), "llm_calls": .int(state.llmCalls),
                    "tool_calls": .int(state.toolCalls), "tool_errors": .int(state.toolErrors),
                    "duration_ms": ColumnValue(duration), "revision": .int(revision),
                    "metadata": .json(Self.metadata(metadata)),
                    "workspace": ColumnValue(state.facts?.workspace), "git_branch": ColumnValue(state.facts?.gitBranch),
                    "agent_version": ColumnValue(state.facts?.agentVersion),
                    "prompt_tokens": ColumnValue(usage.promptTokens),
                    "completion_tokens": ColumnValue(usage.completionTokens),
                    "cache_read_tokens": ColumnValue(usage.cacheReadTokens),
                    "cache_creation_tokens": ColumnValue(usage.cacheCreationTokens), "cost_usd": ColumnValue(usage.cost),
                    "peak_rss_bytes": ColumnValue(state.resources.map { Int($0.peakRSSBytes) }),
                    "cpu_ms": ColumnValue(state.resources?.cpuMs),
                ],
                trace: trace))
    }

    /// Adds what a tool run of the session used, measured while it ran, to the session's figures.
    package mutating func addToolResources(_ figures: ToolResources) {
        var resources = state.resources ?? SessionState.SessionResources(peakRSSBytes: 0, cpuMs: 0)
        resources.peakRSSBytes = max(resources.peakRSSBytes, figures.peakRSSBytes)
        // Parallel calls share one window: their CPU counts once, with the last of them.
        if !figures.shared || figures.lastOfWindow { resources.cpuMs += figures.cpuMs }
        state.resources = resources
        sessionChanged = true
    }

    /// The run's facts that its events carry to tracing backends.
    private var trace: TraceContext {
        TraceContext(
            agent: rules.agent, host: ids.host, workspace: state.facts?.workspace, gitBranch: state.facts?.gitBranch,
            agentVersion: state.facts?.agentVersion)
    }

    /// Keeps the first value of each fact a session is told.
    private mutating func absorb(_ facts: SessionFacts) {
        var known = state.facts ?? SessionFacts()
        known.keepFirst(of: facts)
        guard known != state.facts else { return }
        state.facts = known
        sessionChanged = true
    }

    /// Looks the configured model up once, when the session's first call starts (after the record that opens it told
    /// where the work happens).
    private mutating func lookUpModel() {
        guard state.modelLookup == nil, let source = rules.enrichment.model else { return }
        state.modelLookup = .init(model: source.resolve(workspace: state.facts?.workspace))
    }

    /// Records that the file now has this path (renames keep the session).
    package mutating func setSourcePath(_ path: String) {
        guard path != state.sourcePath else { return }
        state.sourcePath = path
        sessionChanged = true
    }

    // MARK: - Records

    private mutating func touch(at timestamp: Date?, offset: Int64) {
        if !state.hasRecords {
            state.hasRecords = true
        }
        state.lastRecordOffset = max(state.lastRecordOffset ?? 0, offset)
        if state.startedAt == nil, let timestamp { state.startedAt = timestamp }
        sessionChanged = true
    }

    private mutating func reopenIfConcluded() {
        guard state.status != .running else { return }
        state.status = .running
        state.endedAt = nil
        state.finalOutput = nil
    }

    private mutating func handleRequest(_ request: Observation.LLMRequest, at: EventPlace, rows: inout [NormalizedRow]) {
        let info = at.info
        if let previous = state.pendingRequest, !previous.reportedUnanswered {
            // A second request before any response: the first one was never answered.
            reportUnanswered(previous, before: "the next request", rows: &rows)
        }
        state.endedOnError = nil
        state.answering = nil
        // A request starts a new model request: no earlier message goes on past it, whatever its id.
        state.openResponses = nil
        lookUpModel()
        // Results paired by order follow the response that asked for them; a new request ends that. Results paired
        // by id may still come (from sub-agents working meanwhile), so their calls stay pending.
        if rules.pairing == .byOrder { state.pendingToolCalls.removeAll() }
        if state.task == nil, let task = request.task { state.task = Self.taskSummary(task) }
        state.lastSeq += 1
        state.pendingRequest = .init(
            callID: at.id("llm_call", ids), seq: state.lastSeq, offset: info.offset,
            startedAt: info.timestamp, input: request.input, model: request.model)
    }

    /// Writes the row of a request that got no answer: `no_response` with an error saying so, or `error` when the
    /// agent already reported that the model's API failed for it.
    private mutating func reportUnanswered(
        _ request: SessionState.PendingRequest, before: String, rows: inout [NormalizedRow]
    ) {
        let failed = request.failed == true
        appendCall(
            id: request.callID, request: request, endedAt: nil, response: nil,
            status: failed ? "error" : "no_response", metadata: ["request_offset": .int(Int(request.offset))],
            counted: nil, rows: &rows)
        state.llmCalls += 1
        guard !failed else { return }
        rows.append(
            errorRow(
                id: ids.event("llm_no_response", offset: request.offset), source: "llm", toolName: nil,
                message: "LLM request got no response before \(before)", at: request.startedAt,
                related: request.callID, metadata: ["offset": .int(Int(request.offset))]))
    }

    /// The agent says the model's API failed: an `llm` error attached to the call it belongs to, the request
    /// waiting for its answer or else the call whose tool results were being sent back.
    private mutating func handleLLMError(_ message: String, at: EventPlace, rows: inout [NormalizedRow]) {
        let related: UUID?
        if var pending = state.pendingRequest, !pending.reportedUnanswered {
            pending.failed = true
            state.pendingRequest = pending
            related = pending.callID
        } else {
            related = state.lastLLMCallID
        }
        state.endedOnError = true
        state.answering = nil
        closeJoinableCall()
        var metadata = at.metadata
        metadata["api_error"] = .bool(true)
        rows.append(
            errorRow(
                id: at.id("llm_error", ids), source: "llm", toolName: nil, message: message, at: at.info.timestamp,
                related: related, metadata: metadata))
    }

    /// The user stopped the agent. The call being answered ends `interrupted` with what was written of it (a
    /// request with no answer yet, or an answer cut while it was being written); the turn ends `interrupted`, as
    /// the session does unless more follows.
    private mutating func handleInterruption(at: EventPlace, rows: inout [NormalizedRow]) {
        let info = at.info
        if let pending = state.pendingRequest, !pending.reportedUnanswered {
            appendCall(
                id: pending.callID, request: pending, endedAt: info.timestamp, response: nil, status: "interrupted",
                metadata: ["request_offset": .int(Int(pending.offset)), "interrupted_at": .int(Int(info.offset))],
                counted: nil, rows: &rows)
            state.llmCalls += 1
            state.lastLLMCallID = pending.callID
            state.pendingRequest = nil
        } else if state.answering == true, let index = state.openResponses?.lastIndex(where: {
            $0.request.callID == state.lastLLMCallID
        }), var open = state.openResponses?[index] {
            open.interrupted = true
            open.endedAt = max(open.endedAt, info.timestamp)
            appendCall(open: &open, rows: &rows)
            state.openResponses?[index] = open
        }
        state.answering = nil
        state.endedOnError = nil
        closeJoinableCall()
        if rules.pairing == .byOrder { state.pendingToolCalls.removeAll() }
        state.status = .interrupted
        state.finalOutput = nil
        state.endedAt = info.timestamp
        sessionChanged = true
    }

    private mutating func handleResponse(
        _ response: Observation.LLMResponse, call: CallPart, at: EventPlace, rows: inout [NormalizedRow]
    ) {
        let info = at.info
        // A part of a call already open: the message its id names, else the call open to parts.
        let continued =
            response.messageID.flatMap { id in state.openResponses?.lastIndex { $0.messageID == id } }
            ?? (call == .own ? nil : state.openResponses?.lastIndex { $0.joinable == true })
        if let index = continued {
            continueResponse(at: index, with: response, at: at, rows: &rows)
            if call == .end { closeJoinableCall() }
            return
        }
        // A boundary with no call open closes nothing and adds to nothing (a repeat of the last call's figures).
        if call == .end { return }
        state.endedOnError = nil
        if response.sidechain != true { state.answering = true }
        lookUpModel()
        let request: SessionState.PendingRequest
        if let pending = state.pendingRequest {
            request = pending
            if !pending.reportedUnanswered { state.llmCalls += 1 }
        } else {
            // A response with no logged request (formats that log only answers): it starts at the previous record.
            state.lastSeq += 1
            request = .init(
                callID: at.id("llm_call", ids), seq: state.lastSeq, offset: info.offset,
                startedAt: state.lastRecordAt ?? info.timestamp, input: nil, model: nil)
            state.llmCalls += 1
        }
        state.pendingRequest = nil
        var open = SessionState.OpenResponse(
            messageID: response.messageID, request: request, response: response, responseOffset: info.offset,
            endedAt: info.timestamp)
        // Only one call at a time is open to the parts that follow it.
        if call == .continue {
            closeJoinableCall()
            open.joinable = true
        }
        appendCall(open: &open, rows: &rows)
        state.lastLLMCallID = request.callID
        awaitResults(of: response.toolCalls, llmCallID: request.callID, requestedAt: info.timestamp, continuing: false)
        if response.messageID != nil || open.joinable == true {
            var recent = state.openResponses ?? []
            recent.append(open)
            if recent.count > Self.openResponseLimit { recent.removeFirst(recent.count - Self.openResponseLimit) }
            state.openResponses = recent
        }
        concludeIfFinal(open)
    }

    /// Ends the call that parts of a response (`call: continue`) join: the next part starts a new call.
    private mutating func closeJoinableCall() {
        guard let index = state.openResponses?.lastIndex(where: { $0.joinable == true }) else { return }
        if state.openResponses?[index].messageID == nil {
            state.openResponses?.remove(at: index)
        } else {
            state.openResponses?[index].joinable = nil
        }
        if state.openResponses?.isEmpty == true { state.openResponses = nil }
    }

    /// How many recent responses a continuation may find (sub-agents may interleave their messages).
    static let openResponseLimit = 4
    /// How many tool calls paired by id may wait for their results; the oldest are given up beyond it.
    static let pendingToolCallLimit = 256

    /// A record that carries more of a recent response's message (the next content block): the call's row is
    /// written again with everything the message holds so far.
    private mutating func continueResponse(
        at index: Int, with response: Observation.LLMResponse, at: EventPlace, rows: inout [NormalizedRow]
    ) {
        guard var open = state.openResponses?[index] else { return }
        open.response.output = Self.joined(open.response.output, response.output)
        open.response.thinking = Self.joined(open.response.thinking, response.thinking)
        open.response.finishReason = response.finishReason ?? open.response.finishReason
        open.response.model = response.model ?? open.response.model
        open.response.promptTokens = response.promptTokens ?? open.response.promptTokens
        open.response.completionTokens = response.completionTokens ?? open.response.completionTokens
        open.response.cacheReadTokens = response.cacheReadTokens ?? open.response.cacheReadTokens
        open.response.cacheCreationTokens = response.cacheCreationTokens ?? open.response.cacheCreationTokens
        open.response.reasoningTokens = response.reasoningTokens ?? open.response.reasoningTokens
        open.response.sidechain = response.sidechain ?? open.response.sidechain
        open.response.toolCalls += response.toolCalls
        open.endedAt = max(open.endedAt, at.info.timestamp)
        if response.sidechain != true { state.answering = true }
        appendCall(open: &open, rows: &rows)
        state.openResponses?[index] = open
        awaitResults(
            of: response.toolCalls, llmCallID: open.request.callID, requestedAt: at.info.timestamp, continuing: true)
        concludeIfFinal(open)
    }

    /// A response without tool calls is the final answer, when the rules say so; a sub-agent's never is.
    private mutating func concludeIfFinal(_ open: SessionState.OpenResponse) {
        guard open.response.toolCalls.isEmpty, open.response.sidechain != true,
            rules.session.completeOn == .finalResponse
        else { return }
        state.status = .completed
        state.finalOutput = open.response.output
        state.endedAt = open.endedAt
    }

    /// Keeps the calls a response asks for until their results come. In order, a new response's calls replace those
    /// still waiting; by id, calls wait for their results whatever comes between, up to a limit.
    private mutating func awaitResults(of calls: [ToolCall], llmCallID: UUID, requestedAt: Date, continuing: Bool) {
        let pending = calls.map { SessionState.PendingToolCall(call: $0, llmCallID: llmCallID, requestedAt: requestedAt) }
        if rules.pairing == .byOrder, !continuing {
            state.pendingToolCalls = pending
            return
        }
        state.pendingToolCalls += pending
        let excess = state.pendingToolCalls.count - Self.pendingToolCallLimit
        if rules.pairing == .byID, excess > 0 { state.pendingToolCalls.removeFirst(excess) }
    }

    private static func joined(_ first: String?, _ second: String?) -> String? {
        guard let first else { return second }
        guard let second else { return first }
        return first + "\n" + second
    }

    private mutating func handleToolResult(_ result: Observation.ToolResult, at: EventPlace, rows: inout [NormalizedRow]) {
        let info = at.info
        state.answering = nil
        var result = result
        let (pending, pairing) = takePendingCall(for: result)
        let name = result.toolName ?? pending?.call.name ?? "unknown"
        let id = at.id("tool_execution", ids)
        let success = result.success ?? (result.error == nil)
        if !success, result.error == nil, let output = result.result {
            // A failed tool's only output is its error message.
            result.error = output
            result.result = nil
        }
        // In order, a tool runs after the record before its result; by id, results may come in any order (and
        // sub-agents may write in between), so a tool runs from the record that asked for it.
        let requestedAt = rules.pairing == .byID ? pending?.requestedAt : nil
        var startedAt = requestedAt ?? state.lastRecordAt ?? info.timestamp
        // The agent's own measure of the run wins over the times of the records around it.
        if let measured = result.durationMs { startedAt = info.timestamp.addingTimeInterval(-measured / 1000) }
        var metadata = at.metadata
        metadata["pairing"] = .text(pairing)
        if let pending, pending.call.name != name { metadata["requested_tool"] = .text(pending.call.name) }
        rows.append(
            NormalizedRow(
                table: .toolExecutions, id: id,
                values: [
                    "session_id": .uuid(ids.session), "llm_call_id": ColumnValue(pending?.llmCallID ?? state.lastLLMCallID),
                    "tool_call_id": ColumnValue(result.toolCallID ?? pending?.call.id), "tool_name": .text(name),
                    "category": .text(rules.category(ofTool: name)),
                    "arguments": ColumnValue(json: result.arguments ?? pending?.call.arguments),
                    "success": .bool(success), "result": ColumnValue(result.result), "error": ColumnValue(result.error),
                    "started_at": .timestamp(startedAt), "ended_at": .timestamp(info.timestamp),
                    "duration_ms": .int(result.durationMs.map { Int($0.rounded()) } ?? Self.millis(from: startedAt, to: info.timestamp)),
                    "metadata": .json(Self.metadata(metadata)),
                ], trace: trace))
        state.toolCalls += 1
        if !success {
            state.toolErrors += 1
            rows.append(
                errorRow(
                    id: at.id("tool_error", ids), source: "tool", toolName: name,
                    message: result.error ?? "tool failed without a message", at: info.timestamp, related: id,
                    metadata: at.metadata))
        }
    }

    /// Finds the call a result answers: by id when it names one, else the next call in order, checking the name.
    private mutating func takePendingCall(for result: Observation.ToolResult) -> (SessionState.PendingToolCall?, String) {
        if let callID = result.toolCallID {
            if let index = state.pendingToolCalls.firstIndex(where: { $0.call.id == callID }) {
                return (state.pendingToolCalls.remove(at: index), "id")
            }
            return (nil, "unpaired")
        }
        guard !state.pendingToolCalls.isEmpty else { return (nil, "unpaired") }
        if rules.pairing == .byID { return (nil, "unpaired") }
        if let name = result.toolName, state.pendingToolCalls[0].call.name != name,
            let index = state.pendingToolCalls.firstIndex(where: { $0.call.name == name })
        {
            // The next call in order is for another tool: results were skipped; take the first call of this name.
            return (state.pendingToolCalls.remove(at: index), "order_by_name")
        }
        return (state.pendingToolCalls.removeFirst(), "order")
    }

    // MARK: - Rows

    /// Appends the row of an answered call, as far as its message has been read, and counts its usage.
    private mutating func appendCall(open: inout SessionState.OpenResponse, rows: inout [NormalizedRow]) {
        var metadata: [String: ColumnValue] = ["response_offset": .int(Int(open.responseOffset))]
        if open.request.offset != open.responseOffset {
            metadata["request_offset"] = .int(Int(open.request.offset))
        }
        if !open.response.toolCalls.isEmpty { metadata["tool_calls"] = .json(Self.toolCallsJSON(open.response.toolCalls)) }
        if let messageID = open.messageID { metadata["message_id"] = .text(messageID) }
        if open.response.sidechain == true { metadata["sidechain"] = .bool(true) }
        if let reasoning = open.response.reasoningTokens { metadata["reasoning_tokens"] = .int(reasoning) }
        open.counted = appendCall(
            id: open.request.callID, request: open.request, endedAt: open.endedAt, response: open.response,
            status: open.interrupted == true ? "interrupted" : "ok", metadata: metadata, counted: open.counted,
            rows: &rows)
    }

    /// Appends a call's row, with its tokens and cost, and counts them into the session's in place of what an
    /// earlier version of the row counted (`counted`).
    /// - Returns: what the row counted.
    @discardableResult
    private mutating func appendCall(
        id: UUID, request: SessionState.PendingRequest, endedAt: Date?, response: Observation.LLMResponse?,
        status: String, metadata: [String: ColumnValue], counted: Usage?, rows: inout [NormalizedRow]
    ) -> Usage {
        let model = response?.model ?? request.model ?? state.contextModel ?? state.modelLookup?.model
        var usage = Usage(
            promptTokens: response?.promptTokens, completionTokens: response?.completionTokens,
            cacheReadTokens: response?.cacheReadTokens, cacheCreationTokens: response?.cacheCreationTokens)
        if usage.hasTokens {
            usage.cost = model.flatMap { rules.enrichment.prices.price(for: $0) }.flatMap { price in
                price.cost(
                    prompt: usage.promptTokens ?? 0, completion: usage.completionTokens ?? 0,
                    cacheRead: usage.cacheReadTokens ?? 0, cacheWrite: usage.cacheCreationTokens ?? 0)
            }.map(USDAmount.init(dollars:))
            if usage.cost == nil, let model { noteUnpriced(model) }
        }
        state.usage = (state.usage ?? Usage()).replacing(counted, with: usage)
        rows.append(
            NormalizedRow(
                table: .llmCalls, id: id,
                values: [
                    "session_id": .uuid(ids.session), "seq": .int(request.seq),
                    "started_at": .timestamp(request.startedAt), "ended_at": ColumnValue(endedAt),
                    "latency_ms": ColumnValue(endedAt.map { Self.millis(from: request.startedAt, to: $0) }),
                    "model": ColumnValue(model), "input": ColumnValue(json: request.input),
                    "output": ColumnValue(response?.output), "thinking": ColumnValue(response?.thinking),
                    "tool_call_count": .int(response?.toolCalls.count ?? 0),
                    "finish_reason": ColumnValue(response?.finishReason), "status": .text(status),
                    "prompt_tokens": ColumnValue(usage.promptTokens),
                    "completion_tokens": ColumnValue(usage.completionTokens),
                    "cache_read_tokens": ColumnValue(usage.cacheReadTokens),
                    "cache_creation_tokens": ColumnValue(usage.cacheCreationTokens), "cost_usd": ColumnValue(usage.cost),
                    "metadata": .json(Self.metadata(metadata)),
                ], trace: trace))
        return usage
    }

    /// Remembers a model whose calls cannot be priced, for the session's metadata and the summaries.
    private mutating func noteUnpriced(_ model: String) {
        var models = state.unpricedModels ?? []
        guard !models.contains(model), models.count < 16 else { return }
        models.append(model)
        state.unpricedModels = models.sorted()
        sessionChanged = true
    }

    private func errorRow(
        id: UUID, source: String, toolName: String?, message: String, at time: Date?, related: UUID?,
        metadata: [String: ColumnValue]
    ) -> NormalizedRow {
        var metadata = metadata
        metadata["source_path"] = .text(state.sourcePath)
        return NormalizedRow(
            table: .agentErrors, id: id,
            values: [
                "session_id": .uuid(ids.session), "source": .text(source), "tool_name": ColumnValue(toolName),
                "message": .text(message), "fingerprint": .text(ErrorFingerprint.of(message)),
                "occurred_at": ColumnValue(time), "related_id": ColumnValue(related),
                "metadata": .json(Self.metadata(metadata)),
            ], trace: trace)
    }

    static func stringsJSON(_ texts: [String]) -> String {
        var writer = JSONWriter()
        writer.beginArray()
        for text in texts { writer.string(text) }
        writer.endArray()
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    /// The tool calls a response requested, as a JSON array of `{id, name, arguments}`.
    static func toolCallsJSON(_ calls: [ToolCall]) -> String {
        var writer = JSONWriter()
        writer.beginArray()
        for call in calls {
            writer.beginObject()
            writer.key("id")
            if let id = call.id { writer.string(id) } else { writer.null() }
            writer.key("name")
            writer.string(call.name)
            writer.key("arguments")
            if let arguments = call.arguments { writer.raw(arguments) } else { writer.null() }
            writer.endObject()
        }
        writer.endArray()
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    /// Longest task kept on the session; the whole first message stays in the first LLM call's input.
    static let maximumTaskCharacters = 2000

    /// The task as the session shows it: the first user message, cut with a visible marker when very long, since
    /// it is stored with the session state and re-sent with every session update.
    static func taskSummary(_ task: String) -> String {
        guard task.count > maximumTaskCharacters else { return task }
        return String(task.prefix(maximumTaskCharacters)) + " […truncated, \(task.utf8.count) bytes in all]"
    }

    static func millis(from start: Date, to end: Date) -> Int {
        Int(((end.timeIntervalSince1970 - start.timeIntervalSince1970) * 1000).rounded())
    }

    /// A small JSON object with sorted keys, so the same facts always give the same bytes.
    static func metadata(_ values: [String: ColumnValue]) -> String {
        var writer = JSONWriter()
        writer.beginObject()
        for key in values.keys.sorted() {
            writer.key(key)
            switch values[key]! {
            case .text(let text): writer.string(text)
            case .int(let number): writer.int(number)
            case .bool(let flag): writer.bool(flag)
            case .json(let raw): writer.raw(raw)
            case .usd(let amount): writer.raw(amount.decimalText)
            case .uuid(let id): writer.string(id.lowercased)
            case .timestamp(let date): writer.string(date.rfc3339)
            case .null: writer.null()
            }
        }
        writer.endObject()
        return String(decoding: writer.bytes, as: UTF8.self)
    }
}
