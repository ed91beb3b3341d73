import GRDB

extension LocalReportReader {
    /// What the tool runs tell a report.
    struct ToolFacts: Sendable {
        /// Each tool of the period (told apart by name and category): runs, failures and durations.
        var tools: [Report.ToolUsage] = []
        /// Each tool's runs in each of the plan's windows, for anomalies.
        var observations: [[AnomalyDetector.Subject: AnomalyDetector.Observations]] = []
        /// The period's runs by the key of the report's dimension, when it has one.
        var groups: [String?: GroupTools] = [:]
    }

    /// One pass over the runs from the plan's earliest start to the period's end, in the covering index's order.
    static func tools(_ plan: ReportPlan, grouping: Grouping?, _ db: Database) throws -> ToolFacts {
        struct Tool {
            var name: Int
            var category: Int?
            var calls = 0
            var failures = 0
            var durations: [Int] = []
            /// Of the runs measured live.
            var peaks: [Int] = []
            var cpu: [Int] = []
        }
        var names = TextNumbers()
        var categories = TextNumbers()
        var tools: [Tool] = []
        var slots: [Int: Int] = [:]  // name and category → index in tools
        var observed = Array(repeating: [AnomalyDetector.Observations](), count: plan.windows.count)
        var groups: [String?: GroupTools] = [:]
        var sessions = try grouping.map { try Grouping.Finder($0, db) }
        var walk = ReportPlan.Walk(plan)
        let rows = try ColumnScan(
            db,
            sql: """
                SELECT started_at, tool_name, category, success, duration_ms,
                       \(grouping == nil || grouping?.dimension == .day ? "NULL" : "session_id"), peak_rss_bytes, cpu_ms
                FROM tool_executions
                WHERE started_at >= ? AND started_at < ? ORDER BY started_at
                """,
            arguments: plan.span)
        while try rows.next() {
            // The columns are NOT NULL.
            guard let started = rows.bytes(0), let name = rows.text(1, in: &names) else { continue }
            let windows = walk.windows(at: started)
            guard !windows.isEmpty else { continue }
            let success = rows.bool(3)
            let duration = rows.int(4)
            if windows.holdsPeriod {
                let category = rows.text(2, in: &categories)
                let key = name << 32 | (category.map { $0 + 1 } ?? 0)
                let slot: Int
                if let known = slots[key] {
                    slot = known
                } else {
                    slot = tools.count
                    slots[key] = slot
                    tools.append(Tool(name: name, category: category))
                }
                tools[slot].calls += 1
                if success == false { tools[slot].failures += 1 }
                if let duration { tools[slot].durations.append(duration) }
                // Measured runs have both figures, and most runs (backlogs) neither.
                if let peak = rows.int(6) {
                    tools[slot].peaks.append(peak)
                    if let cpu = rows.int(7) { tools[slot].cpu.append(cpu) }
                }
                if let grouping, grouping.dimension != .model {
                    let key: String? =
                        grouping.dimension == .day
                        ? String(decoding: started.prefix(10), as: UTF8.self)
                        : try rows.bytes(5).flatMap { try sessions!.session($0)?.key }
                    groups[key, default: GroupTools()].calls += 1
                    if success == false { groups[key]!.failures += 1 }
                }
            }
            for index in windows {
                while observed[index].count <= name { observed[index].append(.init()) }
                observed[index][name].add(failed: success == false, duration: duration.map(Double.init), cost: nil)
            }
        }
        return ToolFacts(
            tools: tools.map { tool in
                Report.ToolUsage(
                    name: names[tool.name], category: tool.category.map { categories[$0] }, calls: tool.calls,
                    failures: tool.failures,
                    failureRate: ReportRounding.rate(Double(tool.failures) / Double(tool.calls)),
                    p50Ms: Percentile.continuous(tool.durations, 0.5), p95Ms: Percentile.continuous(tool.durations, 0.95),
                    p95PeakRssBytes: Percentile.continuous(tool.peaks, 0.95), p50CpuMs: Percentile.continuous(tool.cpu, 0.5))
            }.sorted { ($0.calls, $1.name, $1.category ?? "") > ($1.calls, $0.name, $0.category ?? "") },
            observations: observed.map { byTool in
                Dictionary(
                    uniqueKeysWithValues: byTool.enumerated().filter { $0.element.trials > 0 }.map {
                        (AnomalyDetector.Subject(.tool, names[$0.offset]), $0.element)
                    })
            },
            groups: groups)
    }
}
