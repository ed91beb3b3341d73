import Foundation
import Testing

@testable import AgentTail
import AgentTailTestSupport

struct SpanMapperTests {
    func spans(_ fixture: String) throws -> (rows: [NormalizedRow], spans: [OTLPSpan]) {
        let rows = try FileParser.rows(
            path: Fixtures.path("mini-agent/\(fixture)"), rules: try Fixtures.miniAgentRules, host: "test-host")
        let mapper = SpanMapper()
        return (rows, rows.compactMap(mapper.span(for:)))
    }

    func attribute(_ span: OTLPSpan, _ key: String) -> OTLPValue? {
        span.attributes.first { $0.key == key }?.value
    }

    @Test func sessionIsATraceWithOneChildPerCallAndTool() throws {
        let (rows, spans) = try spans("03_failing_tool_missing_file.log")
        let session = try #require(rows.first { $0.table == .agentSessions })
        let root = try #require(spans.first { $0.parentSpanID == nil })
        #expect(spans.filter { $0.parentSpanID == nil }.count == 1)
        #expect(root.traceID == session.id.bytes)
        #expect(root.name == "mini-agent run")
        #expect(attribute(root, "langfuse.observation.type") == .string("agent"))
        #expect(attribute(root, "langfuse.trace.tags") == .strings(["mini-agent"]))
        #expect(attribute(root, "langfuse.trace.metadata.status") == .string("completed"))
        #expect(attribute(root, "langfuse.observation.input") == .string("\"Show me the contents of does/not/exist.txt.\""))
        let children = spans.filter { $0.parentSpanID != nil }
        #expect(children.allSatisfy { $0.parentSpanID == root.spanID && $0.traceID == root.traceID })
        #expect(children.filter { attribute($0, "langfuse.observation.type") == .string("generation") }.count == 3)
        let tools = children.filter { attribute($0, "langfuse.observation.type") == .string("tool") }
        #expect(tools.map(\.name) == ["read_file", "bash"])
        #expect(attribute(tools[0], "langfuse.observation.level") == .string("ERROR"))
        #expect(tools[0].statusCode == 2)
        #expect(tools[0].statusMessage == "File not found: does/not/exist.txt")
        #expect(attribute(tools[0], "langfuse.observation.metadata.category") == .string("file"))
        // Times are consistent: every child lies within the root.
        for span in spans {
            #expect(span.startMillis <= span.endMillis)
            #expect(span.startMillis >= root.startMillis && span.endMillis <= root.endMillis)
        }
        // Tool errors are shown on the tool span, not as separate events.
        #expect(spans.count == 1 + 3 + 2)
    }

    @Test func unansweredCallIsAnErrorGenerationAndFailedRunAnErrorTrace() throws {
        let (_, spans) = try spans("10_llm_http_500_exhausted.log")
        let root = try #require(spans.first { $0.parentSpanID == nil })
        #expect(root.statusCode == 2)
        #expect(attribute(root, "langfuse.trace.metadata.status") == .string("failed"))
        let unanswered = try #require(spans.last { attribute($0, "langfuse.observation.type") == .string("generation") })
        #expect(attribute(unanswered, "langfuse.observation.level") == .string("ERROR"))
        #expect(unanswered.startMillis == unanswered.endMillis)
    }

    /// Langfuse filters and sums observations, not traces: every span carries the run's name, tags, user and
    /// metadata, as its SDKs propagate them.
    @Test func everySpanCarriesTheTraceAttributes() throws {
        let rows = try FileParser.rows(
            path: Fixtures.path("mini-agent/03_failing_tool_missing_file.log"), rules: try Fixtures.miniAgentRules,
            host: "test-host")
        let spans = rows.compactMap(SpanMapper(userID: "jo").span(for:))
        #expect(spans.count == 6)
        for span in spans {
            #expect(attribute(span, "langfuse.trace.name") == .string("mini-agent run"))
            #expect(attribute(span, "langfuse.trace.tags") == .strings(["mini-agent"]))
            #expect(attribute(span, "user.id") == .string("jo"))
            #expect(attribute(span, "langfuse.trace.metadata.host") == .string("test-host"))
            #expect(attribute(span, "langfuse.trace.metadata.agent") == .string("mini-agent"))
            #expect(
                attribute(span, "langfuse.trace.metadata.workspace")
                    == .string("/home/dev/agent-runs/03_failing_tool_missing_file/workspace"))
        }
    }

    @Test func generationsCarryCacheBucketsAndCost() throws {
        let rows = try FileParser.rows(
            path: Fixtures.path("claude-code/01_single_tool.jsonl"), rules: try RulePackLoader.load(.builtin("claude-code")),
            host: "test-host"
        ).latestVersions()
        let generations = rows.filter { $0.table == .llmCalls }.compactMap(SpanMapper().span(for:))
        let first = try #require(generations.first)
        // The buckets add up to the total: fresh input, cache reads and writes, output.
        #expect(
            attribute(first, "langfuse.observation.usage_details")
                == .string(#"{"input":4,"input_cache_read":14210,"input_cache_creation":1523,"output":118,"total":15855}"#))
        #expect(attribute(first, "langfuse.observation.cost_details") == .string(#"{"total":0.011756250}"#))
        #expect(attribute(first, "langfuse.trace.metadata.git_branch") == .string("main"))
        #expect(attribute(first, "langfuse.trace.metadata.agent_version") == .string("2.0.14"))

        let collector = try #require(
            rows.first { $0.table == .llmCalls }.flatMap(SpanMapper(flavor: .openTelemetry).span(for:)))
        #expect(attribute(collector, "gen_ai.usage.input_tokens") == .int(15737))
        #expect(attribute(collector, "gen_ai.usage.output_tokens") == .int(118))
        #expect(attribute(collector, "gen_ai.usage.cache_read.input_tokens") == .int(14210))
        #expect(attribute(collector, "gen_ai.usage.cache_creation.input_tokens") == .int(1523))
        #expect(attribute(collector, "agenttail.cost_usd") == .double(0.01175625))
        #expect(attribute(collector, "agenttail.workspace") == .string("/home/jo/code/lanternfish"))
    }

    /// An API error the agent reported is an ERROR event inside the call it failed; the collector gets a run's cost
    /// and a call's as one number type.
    @Test func anAPIErrorIsAnEventOfItsCall() throws {
        let rows = try FileParser.rows(
            path: Fixtures.path("claude-code/04_multi_turn_api_error.jsonl"),
            rules: try RulePackLoader.load(.builtin("claude-code")), host: "test-host"
        ).latestVersions()
        let spans = rows.compactMap(SpanMapper().span(for:))
        let events = spans.filter { $0.name == "API error" }
        try #require(events.count == 1)
        let error = try #require(rows.first { $0.table == .agentErrors && $0.text("source") == "llm" })
        let call = try #require(rows.first { $0.id == error.uuid("related_id") })
        #expect(events[0].parentSpanID == Array(call.id.bytes.prefix(8)))
        #expect(attribute(events[0], "langfuse.observation.level") == .string("ERROR"))
        #expect(
            (attribute(events[0], "langfuse.observation.status_message").map { "\($0)" } ?? "").contains("API Error: 529"))
        #expect(events[0].startMillis == events[0].endMillis)

        let collector = rows.compactMap(SpanMapper(flavor: .openTelemetry).span(for:))
        let costs = collector.compactMap { attribute($0, "agenttail.cost_usd") }
        #expect(costs.count == 6)  // the run and its five calls
        #expect(costs.allSatisfy { if case .double = $0 { true } else { false } })
    }

    @Test func runningSessionHasNoRootSpanYet() {
        let running = NormalizedRow(
            table: .agentSessions, id: UUID(),
            values: ["status": .text("running"), "started_at": .timestamp(Date()), "agent": .text("a")])
        #expect(SpanMapper().span(for: running) == nil)
    }

    @Test func encodingIsDeterministicOTLPJSON() throws {
        let (_, spans) = try spans("02_multi_tool_one_response.log")
        let first = OTLPJSONEncoder().encode(spans)
        #expect(first == OTLPJSONEncoder().encode(try self.spans("02_multi_tool_one_response.log").spans))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(first)) as? [String: Any])
        let resourceSpans = try #require(object["resourceSpans"] as? [[String: Any]])
        let scopeSpans = try #require(resourceSpans.first?["scopeSpans"] as? [[String: Any]])
        let encoded = try #require(scopeSpans.first?["spans"] as? [[String: Any]])
        #expect(encoded.count == spans.count)
        for span in encoded {
            #expect((span["traceId"] as? String)?.count == 32)
            #expect((span["spanId"] as? String)?.count == 16)
            #expect((span["startTimeUnixNano"] as? String)?.hasSuffix("000000") == true)
            #expect(span["attributes"] is [[String: Any]])
        }
    }

    @Test func longValuesAreCutWithAMarker() {
        let row = NormalizedRow(
            table: .toolExecutions, id: UUID(),
            values: [
                "session_id": .uuid(UUID()), "started_at": .timestamp(Date()), "tool_name": .text("bash"),
                "success": .bool(true), "result": .text(String(repeating: "x", count: 5000)),
            ])
        let span = SpanMapper(maxAttributeBytes: 1024).span(for: row)
        guard case .string(let output)? = span?.attributes.first(where: { $0.key == "langfuse.observation.output" })?.value
        else {
            Issue.record("no output")
            return
        }
        #expect(output.utf8.count < 1200)
        #expect(output.contains("truncated by agenttail: 5000 bytes"))
    }
}

struct ToolResourceSpanTests {
    /// A tool row measured live, one of two calls of its response.
    func measured() -> NormalizedRow {
        var row = NormalizedRow(
            table: .toolExecutions, id: UUID(),
            values: [
                "session_id": .uuid(UUID()), "started_at": .timestamp(Date()), "tool_name": .text("bash"),
                "success": .bool(true), "metadata": .json("{\"offset\":12}"),
            ])
        row.setResources(
            ToolResources(
                peakRSSBytes: 123_000_000, cpuMs: 456, maxProcesses: 3, ioReadBytes: 789, ioWriteBytes: nil,
                shared: true))
        return row
    }

    @Test func theRowKeepsTheFiguresAndMarksThemShared() {
        let row = measured()
        #expect(row["peak_rss_bytes"] == .int(123_000_000) && row["cpu_ms"] == .int(456))
        #expect(row["max_processes"] == .int(3) && row["io_read_bytes"] == .int(789) && row["io_write_bytes"] == .null)
        #expect(row["metadata"] == .json("{\"resources_shared\":true,\"offset\":12}"))
    }

    @Test func langfuseAndCollectorSpansCarryWhatTheRunUsed() throws {
        let langfuse = try #require(SpanMapper().span(for: measured()))
        let metadata = Dictionary(langfuse.attributes.map { ($0.key, $0.value) }) { first, _ in first }
        #expect(metadata["langfuse.observation.metadata.peak_rss_bytes"] == .string("123000000"))
        #expect(metadata["langfuse.observation.metadata.cpu_ms"] == .string("456"))
        #expect(metadata["langfuse.observation.metadata.max_processes"] == .string("3"))
        #expect(metadata["langfuse.observation.metadata.io_read_bytes"] == .string("789"))
        #expect(metadata["langfuse.observation.metadata.io_write_bytes"] == nil)
        #expect(metadata["langfuse.observation.metadata.resources_shared"] == .string("true"))
        let collector = try #require(SpanMapper(flavor: .openTelemetry).span(for: measured()))
        #expect(collector.attributes.contains { $0.key == "agenttail.peak_rss_bytes" && $0.value == .string("123000000") })
        #expect(collector.attributes.contains { $0.key == "agenttail.cpu_ms" && $0.value == .string("456") })
    }
}

struct GenAIAttributesTests {
    @Test func collectorSpansUseGenAIConventions() throws {
        let rows = try FileParser.rows(
            path: Fixtures.path("mini-agent/03_failing_tool_missing_file.log"), rules: try Fixtures.miniAgentRules,
            host: "test-host")
        let spans = rows.compactMap(SpanMapper(flavor: .openTelemetry).span(for:))
        let tool = try #require(spans.first { $0.name == "read_file" })
        let keys = Dictionary(tool.attributes.map { ($0.key, $0.value) }) { first, _ in first }
        #expect(keys["gen_ai.operation.name"] == .string("execute_tool"))
        #expect(keys["gen_ai.tool.name"] == .string("read_file"))
        #expect(keys["gen_ai.tool.call.id"] == .string("toolu_010CHEGKrilktdzBozWx7gEF"))
        #expect(keys["error.type"] == .string("tool_error"))
        #expect(keys["gen_ai.conversation.id"] != nil)
        #expect(!tool.attributes.contains { $0.key.hasPrefix("langfuse.") })
        #expect(tool.statusCode == 2)
        let root = try #require(spans.first { $0.parentSpanID == nil })
        #expect(root.attributes.contains { $0.key == "gen_ai.agent.name" && $0.value == .string("mini-agent") })
    }
}

struct GenerationOutputTests {
    @Test func generationOutputCarriesTheRequestedToolCallsAndSessionCanBeFixed() throws {
        let rows = try FileParser.rows(
            path: Fixtures.path("mini-agent/02_multi_tool_one_response.log"), rules: try Fixtures.miniAgentRules,
            host: "test-host")
        let mapper = SpanMapper(fixedSessionID: "nightly-ci")
        let generation = try #require(rows.filter { $0.table == .llmCalls }.compactMap(mapper.span(for:)).first)
        let output = try #require(generation.attributes.first { $0.key == "langfuse.observation.output" })
        guard case .string(let text) = output.value else {
            Issue.record("output is not text")
            return
        }
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let calls = try #require(object["tool_calls"] as? [[String: Any]])
        #expect(calls.map { $0["name"] as? String } == ["write_file", "write_file", "bash", "read_file"])
        #expect((calls[2]["arguments"] as? [String: String])?["command"] == "ls -1 && wc -l alpha.txt beta.txt")
        #expect(generation.attributes.contains { $0.key == "session.id" && $0.value == .string("nightly-ci") })
    }
}
