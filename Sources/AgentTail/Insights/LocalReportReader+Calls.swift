import GRDB

extension LocalReportReader {
    /// The LLM calls of the period, and the same figures for each model (models with a cost first).
    ///
    /// One pass over the period's calls in the covering index's order.
    static func calls(_ window: Window, _ db: Database) throws -> (figures: Report.LLMCalls, models: [Report.ModelUsage])
    {
        var figures = Report.LLMCalls()
        var latencies: [Int] = []
        var names = TextNumbers()
        var models: [Report.ModelUsage] = []
        let noModel = -1
        var noModelUsage: Report.ModelUsage?
        let rows = try ColumnScan(
            db,
            sql: """
                SELECT model, status, latency_ms, prompt_tokens, completion_tokens, cache_read_tokens,
                       cache_creation_tokens, cost_usd
                FROM llm_calls WHERE started_at >= ? AND started_at < ?
                """,
            arguments: window.arguments)
        while try rows.next() {
            let model = rows.text(0, in: &names) ?? noModel
            let prompt = rows.int(3)
            let completion = rows.int(4)
            let cacheRead = rows.int(5) ?? 0
            let cacheCreation = rows.int(6) ?? 0
            let cost = rows.double(7)
            figures.total += 1
            if let status = rows.bytes(1), status.elementsEqual("error".utf8) || status.elementsEqual("no_response".utf8) {
                figures.failed += 1
            }
            if let latency = rows.int(2) { latencies.append(latency) }
            figures.promptTokens += prompt ?? 0
            figures.completionTokens += completion ?? 0
            figures.cacheReadTokens += cacheRead
            figures.cacheCreationTokens += cacheCreation
            if let cost { figures.costUsd = (figures.costUsd ?? 0) + cost }
            if cost == nil, model != noModel, prompt != nil || completion != nil { figures.unpricedCalls += 1 }
            func add(_ usage: inout Report.ModelUsage) {
                usage.calls += 1
                usage.promptTokens += prompt ?? 0
                usage.completionTokens += completion ?? 0
                usage.cacheReadTokens += cacheRead
                usage.cacheCreationTokens += cacheCreation
                if let cost { usage.costUsd = (usage.costUsd ?? 0) + cost }
            }
            if model == noModel {
                add(&noModelUsage[default: Report.ModelUsage(model: "(no model)")])
            } else {
                if model == models.count { models.append(Report.ModelUsage(model: names[model])) }
                add(&models[model])
            }
        }
        figures.p50Ms = Percentile.continuous(latencies, 0.5)
        figures.p95Ms = Percentile.continuous(latencies, 0.95)
        figures.costUsd = figures.costUsd.map(ReportRounding.dollars)
        let usage = (models + (noModelUsage.map { [$0] } ?? [])).map { model in
            var model = model
            model.costUsd = model.costUsd.map(ReportRounding.dollars)
            return model
        }
        // As the SQL of other sources orders them: by cost (none last), then calls, then name.
        return (
            figures,
            usage.sorted { ($0.costUsd ?? -1, $0.calls, $1.model) > ($1.costUsd ?? -1, $1.calls, $0.model) }
        )
    }
}

extension Report.ModelUsage {
    init(model: String) {
        self.init(
            model: model, calls: 0, promptTokens: 0, completionTokens: 0, cacheReadTokens: 0, cacheCreationTokens: 0,
            costUsd: nil)
    }
}

extension Optional {
    /// The wrapped value to change in place, made from `value` first when there is none.
    fileprivate subscript(default value: @autoclosure () -> Wrapped) -> Wrapped {
        get { self ?? value() }
        set { self = newValue }
    }
}
