import CoreMetrics

/// The counters and histograms the pipeline updates as it works, made once at start from one metrics factory: the
/// Prometheus registry behind `/metrics`, or a factory that keeps nothing when no `metrics:` section is configured.
///
/// Figures that are states rather than events (outbox depth, lag, the process's size) are read when `/metrics` is
/// scraped, by `ScrapeFigures`.
package final class PipelineMetrics: Sendable {
    package let factory: any MetricsFactory
    /// What happened since the last summary line.
    package let activity = Activity()
    private let sources: [String: SourceMetrics]
    private let sinks: [String: SinkMetrics]
    private let committed: [NormalizedTable: Counter]
    private let concluded: [String: Counter]
    private let reloadsApplied: Counter
    private let reloadsRefused: Counter

    /// The statuses a session ends with.
    static let endedStatuses = ["completed", "failed", "abandoned", "interrupted"]

    package init(factory: any MetricsFactory = NOOPMetricsHandler.instance, sources: [String], sinks: [String]) {
        self.factory = factory
        let activity = self.activity
        self.sources = Dictionary(
            uniqueKeysWithValues: sources.map { ($0, SourceMetrics(source: $0, factory: factory, activity: activity)) })
        self.sinks = Dictionary(
            uniqueKeysWithValues: sinks.map { ($0, SinkMetrics(sink: $0, factory: factory, activity: activity)) })
        committed = Dictionary(
            uniqueKeysWithValues: NormalizedTable.allCases.map { table in
                (table, Counter(label: "agenttail_rows_committed_total", dimensions: [("table", table.rawValue)], factory: factory))
            })
        concluded = Dictionary(
            uniqueKeysWithValues: Self.endedStatuses.map { status in
                (status, Counter(label: "agenttail_sessions_concluded_total", dimensions: [("status", status)], factory: factory))
            })
        reloadsApplied = Counter(label: "agenttail_rules_reloads_total", dimensions: [("result", "applied")], factory: factory)
        reloadsRefused = Counter(label: "agenttail_rules_reloads_total", dimensions: [("result", "refused")], factory: factory)
    }

    /// The instruments of one source (a source not configured gets instruments that keep nothing).
    package func source(_ name: String) -> SourceMetrics {
        sources[name] ?? SourceMetrics(source: name, factory: NOOPMetricsHandler.instance, activity: Activity())
    }

    /// The instruments of one sink (a sink not configured gets instruments that keep nothing).
    package func sink(_ name: String) -> SinkMetrics {
        sinks[name] ?? SinkMetrics(sink: name, factory: NOOPMetricsHandler.instance, activity: Activity())
    }

    /// Counts the rows of one commit by table, and the sessions among them that ended.
    func committed(_ rows: [NormalizedRow]) {
        var counts: [NormalizedTable: Int] = [:]
        for row in rows {
            counts[row.table, default: 0] += 1
            if row.table == .agentSessions, case .text(let status) = row["status"], let counter = concluded[status] {
                counter.increment()
                activity.add("sessions_\(status)", 1)
            }
        }
        for (table, count) in counts { committed[table]?.increment(by: count) }
        activity.add("rows_committed", rows.count)
    }

    /// Counts one reload of the rules: applied, or refused (the running rules stay).
    func rulesReloaded(applied: Bool) {
        (applied ? reloadsApplied : reloadsRefused).increment()
        activity.add(applied ? "rules_reloaded" : "rules_refused", 1)
    }
}

/// What one source's tailing counts.
package struct SourceMetrics: Sendable {
    let bytesRead: Counter
    let recordsRead: Counter
    let recordsParsed: Counter
    let parseErrors: Counter
    let activity: Activity

    init(source: String, factory: any MetricsFactory, activity: Activity) {
        self.activity = activity
        let dimensions = [("source", source)]
        bytesRead = Counter(label: "agenttail_read_bytes_total", dimensions: dimensions, factory: factory)
        recordsRead = Counter(label: "agenttail_read_records_total", dimensions: dimensions, factory: factory)
        recordsParsed = Counter(label: "agenttail_parsed_records_total", dimensions: dimensions, factory: factory)
        parseErrors = Counter(label: "agenttail_parse_errors_total", dimensions: dimensions, factory: factory)
    }

    /// Counts what one read gave: its bytes, and the records the parser finished meanwhile.
    func read(bytes: Int, records: ParseTally) {
        bytesRead.increment(by: bytes)
        if records.records > 0 { recordsRead.increment(by: records.records) }
        if records.parsed > 0 { recordsParsed.increment(by: records.parsed) }
        if records.errors > 0 { parseErrors.increment(by: records.errors) }
        activity.add("bytes_read", bytes)
        activity.add("parse_errors", records.errors)
    }
}

/// What one sink's delivery counts.
package struct SinkMetrics: Sendable {
    let delivered: Counter
    let retried: Counter
    let deadLettered: Counter
    /// From the moment a row was committed to the outbox to the sink's acknowledgement of it.
    let latency: Timer
    private let sink: String
    private let activity: Activity

    init(sink: String, factory: any MetricsFactory, activity: Activity) {
        self.sink = sink
        self.activity = activity
        let dimensions = [("sink", sink)]
        delivered = Counter(label: "agenttail_rows_delivered_total", dimensions: dimensions, factory: factory)
        retried = Counter(label: "agenttail_rows_retried_total", dimensions: dimensions, factory: factory)
        deadLettered = Counter(label: "agenttail_rows_dead_lettered_total", dimensions: dimensions, factory: factory)
        latency = Timer(label: "agenttail_delivery_latency_seconds", dimensions: dimensions, factory: factory)
    }

    /// Counts rows the destination took, and those it refused for good.
    func delivered(_ rows: Int, refused: Int) {
        delivered.increment(by: rows)
        activity.add("delivered.\(sink)", rows)
        if refused > 0 {
            deadLettered.increment(by: refused)
            activity.add("dead_letters.\(sink)", refused)
        }
    }

    /// Counts rows of a batch that failed and will be sent again.
    func retried(_ rows: Int) {
        retried.increment(by: rows)
        activity.add("retried.\(sink)", rows)
    }
}
