/// Rewrites a span's Langfuse attributes into OpenTelemetry's GenAI semantic conventions (`gen_ai.*`), for
/// collectors and backends other than Langfuse (Jaeger, Tempo, Phoenix...). What the conventions do not name keeps
/// an `agenttail.` prefix.
enum GenAIAttributes {
    static func translate(
        _ attributes: [(key: String, value: OTLPValue)], row: NormalizedRow
    ) -> [(key: String, value: OTLPValue)] {
        let type: String? = {
            if case .string(let text)? = attributes.first(where: { $0.key == "langfuse.observation.type" })?.value {
                return text
            }
            return nil
        }()
        var result: [(key: String, value: OTLPValue)] = []
        func add(_ key: String, _ value: OTLPValue?) {
            if let value { result.append((key, value)) }
        }
        func text(_ column: String) -> OTLPValue? { row.text(column).map(OTLPValue.string) }
        func int(_ column: String) -> OTLPValue? { row.text(column).flatMap(Int.init).map(OTLPValue.int) }

        // A run's cost and a call's, as one number type under one key.
        if case .usd(let cost) = row["cost_usd"] { add("agenttail.cost_usd", .double(cost.dollars)) }
        switch type {
        case "agent":
            add("gen_ai.operation.name", .string("invoke_agent"))
            add("gen_ai.agent.name", text("agent"))
        case "generation":
            add("gen_ai.operation.name", .string("chat"))
            add("gen_ai.request.model", text("model"))
            add("gen_ai.response.model", text("model"))
            // The whole prompt, cache reads and writes included, as the conventions count it; the parts beside it.
            add("gen_ai.usage.input_tokens", int("prompt_tokens"))
            add("gen_ai.usage.output_tokens", int("completion_tokens"))
            add("gen_ai.usage.cache_read.input_tokens", int("cache_read_tokens"))
            add("gen_ai.usage.cache_creation.input_tokens", int("cache_creation_tokens"))

            add("gen_ai.response.finish_reasons", row.text("finish_reason").map { .strings([$0]) })
        case "tool":
            add("gen_ai.operation.name", .string("execute_tool"))
            add("gen_ai.tool.name", text("tool_name"))
            add("gen_ai.tool.call.id", text("tool_call_id"))
        default:
            add("agenttail.observation.type", type.map(OTLPValue.string))
        }
        for (key, value) in attributes {
            switch key {
            case "session.id":
                result.append((key, value))
                add("gen_ai.conversation.id", value)
            case "langfuse.observation.input":
                add(type == "tool" ? "gen_ai.tool.call.arguments" : type == "generation" ? "gen_ai.input.messages" : "agenttail.input", value)
            case "langfuse.observation.output":
                add(type == "tool" ? "gen_ai.tool.call.result" : type == "generation" ? "gen_ai.output.messages" : "agenttail.output", value)
            case "langfuse.observation.level":
                if value == .string("ERROR") { add("error.type", .string(type == "tool" ? "tool_error" : "\(type ?? "span")_error")) }
                if value == .string("WARNING") { add("agenttail.level", value) }
            case "langfuse.trace.metadata.cost_usd":
                break
            case let key where key.hasPrefix("langfuse.observation.metadata.") || key.hasPrefix("langfuse.trace.metadata."):
                add("agenttail." + key.split(separator: ".").last.map(String.init)!, value)
            case "langfuse.observation.metadata":
                add("agenttail.metadata", value)
            case "langfuse.trace.tags", "langfuse.trace.name", "langfuse.observation.type", "langfuse.observation.model.name",
                "langfuse.observation.usage_details", "langfuse.observation.cost_details",
                "langfuse.observation.status_message":
                break
            default:
                result.append((key, value))
            }
        }
        return result
    }
}
