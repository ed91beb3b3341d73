import GRDB

extension LocalReportReader {
    /// What the LLM calls tell a report.
    struct CallFacts: Sendable {
        /// The period's calls.
        var figures = Report.LLMCalls()
        /// The period's calls by model, models with a cost first.
        var models: [Report.ModelUsage] = []
        /// Each model's calls in each of the plan's windows, for anomalies.
        var observations: [[AnomalyDetector.Subject: AnomalyDetector.Observations]] = []
        /// The priced calls' cost by day of the timeline (`YYYY-MM-DD`) and model.
        var costByDay: [String: [String: Double]] = [:]
        /// The period's calls by the key of the report's dimension, when it has one.
        var groups: [String?: GroupCalls] = [:]
    }

    /// The statuses of a call that ended: the first well, the others not.
    private static let callEnds: [StaticString] = ["ok", "error", "no_response"]

    /// One pass over the calls from the plan's earliest start to the period's end, in the covering index's order.
    static func calls(_ plan: ReportPlan, grouping: Grouping?, _ db: Database) throws -> CallFacts {
        var facts = CallFacts()
        var latencies: [Int] = []
        var names = TextNumbers()
        var usage: [Report.ModelUsage] = []  // by model number
        var noModelUsage: Report.ModelUsage?
        var observed = Array(repeating: [AnomalyDetector.Observations](), count: plan.windows.count)
        var days = TextNumbers()
        var costs: [[Double?]] = []  // by day number, then model number
        var noModelCosts: [Double?] = []  // by day number
        let firstDay = plan.firstDayText
        var sessions = try grouping.map { try Grouping.Finder($0, db) }
        var walk = ReportPlan.Walk(plan)
        let rows = try ColumnScan(
            db,
            sql: """
                SELECT started_at, model, status, latency_ms, prompt_tokens, completion_tokens, cache_read_tokens,
                       cache_creation_tokens, cost_usd, \(grouping == nil ? "NULL" : "session_id")
                FROM llm_calls WHERE started_at >= ? AND started_at < ? ORDER BY started_at
                """,
            arguments: plan.span)
        while try rows.next() {
            guard let started = rows.bytes(0) else { continue }
            let model = rows.text(1, in: &names)
            if let model, model == usage.count { usage.append(Report.ModelUsage(model: names[model])) }
            // A call failed when it ended in an error or without a response; anomalies judge only the calls that
            // ended one way or the other.
            let end = rows.text(2, among: Self.callEnds)
            let ok = end == 0
            let failed = end != nil && !ok
            let latency = rows.int(3)
            let cost = rows.double(8)
            let windows = walk.windows(at: started)
            if windows.holdsPeriod {
                let prompt = rows.int(4)
                let completion = rows.int(5)
                let cacheRead = rows.int(6) ?? 0
                let cacheCreation = rows.int(7) ?? 0
                facts.figures.total += 1
                if failed { facts.figures.failed += 1 }
                if let latency { latencies.append(latency) }
                facts.figures.promptTokens += prompt ?? 0
                facts.figures.completionTokens += completion ?? 0
                facts.figures.cacheReadTokens += cacheRead
                facts.figures.cacheCreationTokens += cacheCreation
                if let cost { facts.figures.costUsd = (facts.figures.costUsd ?? 0) + cost }
                if cost == nil, model != nil, prompt != nil || completion != nil { facts.figures.unpricedCalls += 1 }
                func add(_ usage: inout Report.ModelUsage) {
                    usage.calls += 1
                    usage.promptTokens += prompt ?? 0
                    usage.completionTokens += completion ?? 0
                    usage.cacheReadTokens += cacheRead
                    usage.cacheCreationTokens += cacheCreation
                    if let cost { usage.costUsd = (usage.costUsd ?? 0) + cost }
                }
                if let model {
                    add(&usage[model])
                } else {
                    var none = noModelUsage ?? Report.ModelUsage(model: "(no model)")
                    add(&none)
                    noModelUsage = none
                }
                if let grouping {
                    let session =
                        grouping.dimension == .day ? nil : try rows.bytes(9).map { id in (id, try sessions!.session(id)) }
                    let key: String? =
                        switch grouping.dimension {
                        case .day: String(decoding: started.prefix(10), as: UTF8.self)
                        case .model: model.map { names[$0] }
                        default: session?.1?.key
                        }
                    facts.groups[key, default: GroupCalls()].add(
                        prompt: prompt, completion: completion, cost: cost,
                        session: grouping.dimension == .model ? session : nil)
                }
            }
            // Anomalies judge the calls of a known model that ended one way or another.
            if let model, ok || failed {
                for index in windows {
                    while observed[index].count <= model { observed[index].append(.init()) }
                    observed[index][model].add(failed: failed, duration: latency.map(Double.init), cost: nil)
                }
            }
            if let cost, ReportPlan.compare(started, firstDay) >= 0, let day = rows.text(0, in: &days, prefix: 10) {
                if day == costs.count {
                    costs.append([])
                    noModelCosts.append(nil)
                }
                if let model {
                    while costs[day].count <= model { costs[day].append(nil) }
                    costs[day][model] = (costs[day][model] ?? 0) + cost
                } else {
                    noModelCosts[day] = (noModelCosts[day] ?? 0) + cost
                }
            }
        }
        facts.figures.p50Ms = Percentile.continuous(latencies, 0.5)
        facts.figures.p95Ms = Percentile.continuous(latencies, 0.95)
        facts.figures.costUsd = facts.figures.costUsd.map(ReportRounding.dollars)
        // As the SQL of other sources orders them: by cost (none last), then calls, then name.
        facts.models = (usage.filter { $0.calls > 0 } + [noModelUsage].compactMap { $0 }).map { model in
            var model = model
            model.costUsd = model.costUsd.map(ReportRounding.dollars)
            return model
        }.sorted { ($0.costUsd ?? -1, $0.calls, $1.model) > ($1.costUsd ?? -1, $1.calls, $0.model) }
        facts.observations = observed.map { byModel in
            Dictionary(
                uniqueKeysWithValues: byModel.enumerated().filter { $0.element.trials > 0 }.map {
                    (AnomalyDetector.Subject(.model, names[$0.offset]), $0.element)
                })
        }
        for (day, byModel) in costs.enumerated() {
            var dayCosts: [String: Double] = [:]
            for (model, cost) in byModel.enumerated() {
                if let cost { dayCosts[names[model]] = ReportRounding.dollars(cost) }
            }
            if let cost = noModelCosts[day] { dayCosts["(no model)"] = ReportRounding.dollars(cost) }
            facts.costByDay[days[day]] = dayCosts
        }
        return facts
    }
}

extension Report.ModelUsage {
    init(model: String) {
        self.init(
            model: model, calls: 0, promptTokens: 0, completionTokens: 0, cacheReadTokens: 0, cacheCreationTokens: 0,
            costUsd: nil)
    }
}
