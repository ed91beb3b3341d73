import GRDB

extension LocalReportReader {
    /// Each tool of the period (told apart by name and category): runs, failures and durations.
    static func tools(_ window: Window, _ db: Database) throws -> [Report.ToolUsage] {
        struct Tool {
            var name: Int
            var category: Int?
            var calls = 0
            var failures = 0
            var durations: [Int] = []
        }
        // Tools are told apart by name and category, numbered as first seen; one pass in the index's order.
        var names = TextNumbers()
        var categories = TextNumbers()
        var tools: [Tool] = []
        var slots: [Int: Int] = [:]
        let rows = try ColumnScan(
            db,
            sql: """
                SELECT tool_name, category, success, duration_ms FROM tool_executions
                WHERE started_at >= ? AND started_at < ?
                """,
            arguments: window.arguments)
        while try rows.next() {
            guard let name = rows.text(0, in: &names) else { continue }  // the column is NOT NULL
            let category = rows.text(1, in: &categories)
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
            if rows.bool(2) == false { tools[slot].failures += 1 }
            if let duration = rows.int(3) { tools[slot].durations.append(duration) }
        }
        return tools.map { tool in
            return Report.ToolUsage(
                name: names[tool.name], category: tool.category.map { categories[$0] }, calls: tool.calls,
                failures: tool.failures, failureRate: ReportRounding.rate(Double(tool.failures) / Double(tool.calls)),
                p50Ms: Percentile.continuous(tool.durations, 0.5), p95Ms: Percentile.continuous(tool.durations, 0.95))
        }.sorted { ($0.calls, $1.name, $1.category ?? "") > ($1.calls, $0.name, $0.category ?? "") }
    }
}
