import CoreMetrics
import Foundation
import Synchronization

/// Looks at the running pipeline from outside: the states `/metrics` reports (what waits in the outbox, how far
/// behind each file is, the process's size) and what `/healthz` judges.
package final class PipelineWatch: Sendable {
    /// How long rows may wait for a sink, and bytes for the tailer, before the part counts as failing.
    private let budgets: HealthBudgets
    private let store: StateStore
    private let deliveries: [SinkDelivery]
    private let ingestor: Ingestor
    private let gauges: Gauges
    /// Per file key: the offset a check found bytes waiting at, and since when.
    private let waitingFiles = Mutex<[String: (offset: Int64, since: Date)]>([:])

    /// Files whose lag `/metrics` names one by one, the furthest behind first.
    static let laggingFilesShown = 10

    package init(
        budgets: HealthBudgets, store: StateStore, deliveries: [SinkDelivery], ingestor: Ingestor,
        factory: any MetricsFactory
    ) {
        self.budgets = budgets
        self.store = store
        self.deliveries = deliveries
        self.ingestor = ingestor
        gauges = Gauges(factory: factory, sinks: deliveries.map(\.name))
    }

    /// How the pipeline is doing: healthy, or a one-line reason per part that is not.
    package struct Health: Sendable, Equatable {
        package var problems: [String]
        package var isHealthy: Bool { problems.isEmpty }
    }

    /// One followed file and the bytes it holds that are not read yet.
    struct Lag {
        var file: TailProgress.File
        var bytes: Int64
    }

    /// Every followed file's lag, as the file's size stands now.
    private func lags() -> [Lag] {
        ingestor.progress.all.map { file in
            let size = FileStatus.of(path: file.path)?.size ?? file.offset
            return Lag(file: file, bytes: max(0, size - file.offset))
        }
    }

    /// Sets the gauges that `/metrics` reports as states.
    package func refreshMetrics() async {
        for delivery in deliveries {
            guard let waiting = try? await store.waiting(for: delivery.name) else { continue }
            gauges.outbox(delivery.name, rows: waiting.rows, oldestAge: waiting.oldest.map { -$0.timeIntervalSinceNow })
        }
        gauges.files(lags())
        if let process = ProcessFigures.now() { gauges.process(process) }
    }

    /// Judges each sink (stopped for good, or rows waiting longer than `health.delivery_within`) and the tailing
    /// (bytes left unread for longer than `health.reading_within` while nothing holds reading back).
    package func health(now: Date = Date()) async -> Health {
        var problems: [String] = []
        for delivery in deliveries {
            if let reason = delivery.stopReason {
                problems.append("sink \(delivery.name) stopped: \(reason)")
                continue
            }
            guard let waiting = try? await store.waiting(for: delivery.name) else {
                problems.append("sink \(delivery.name): the outbox cannot be read")
                continue
            }
            guard let oldest = waiting.oldest, now.timeIntervalSince(oldest) > budgets.deliveryWithin.seconds else {
                continue
            }
            var problem =
                "sink \(delivery.name): \(waiting.rows) row\(waiting.rows == 1 ? "" : "s") waiting, the oldest for "
                + "\(Self.words(now.timeIntervalSince(oldest))) (more than \(Self.words(budgets.deliveryWithin.seconds)))"
            if let error = try? await store.sinkStatus(delivery.name).lastError { problem += "; last error: \(error)" }
            problems.append(problem)
        }
        if let stuck = tailingProblem(now: now) { problems.append(stuck) }
        return Health(problems: problems)
    }

    /// Why tailing counts as stuck, or nil: files holding bytes that have waited at the same offset for longer than
    /// `health.reading_within`.
    package func tailingProblem(now: Date = Date()) -> String? {
        let lags = lags()
        let paused = ingestor.isPaused
        let stuck = waitingFiles.withLock { waiting -> [Lag] in
            var next: [String: (offset: Int64, since: Date)] = [:]
            var stuck: [Lag] = []
            for lag in lags where lag.bytes > 0 {
                let key = "\(lag.file.source)\u{0}\(lag.file.path)"
                let known = waiting[key]
                let since = known?.offset == lag.file.offset ? known!.since : now
                next[key] = (lag.file.offset, since)
                // A full outbox holds reading back on purpose: the sinks are at fault, and say so above.
                if !paused, now.timeIntervalSince(since) > budgets.readingWithin.seconds { stuck.append(lag) }
            }
            waiting = next
            return stuck
        }
        guard let worst = stuck.max(by: { $0.bytes < $1.bytes }) else { return nil }
        let others = stuck.count > 1 ? " and \(stuck.count - 1) more" : ""
        return "tailing: \(worst.file.path)\(others) \(stuck.count > 1 ? "hold" : "holds") unread bytes "
            + "(\(worst.bytes)) not read for more than \(Self.words(budgets.readingWithin.seconds))"
    }

    /// A duration as people say it: `45s`, `6m12s`, `2h5m`.
    static func words(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded())
        if whole < 60 { return "\(whole)s" }
        if whole < 3600 { return whole % 60 == 0 ? "\(whole / 60)m" : "\(whole / 60)m\(whole % 60)s" }
        return "\(whole / 3600)h\(whole % 3600 / 60)m"
    }

    /// The gauges of states, each made once (a lagging file's while it is among those shown).
    private final class Gauges: Sendable {
        private let factory: any MetricsFactory
        private let outboxRows: [String: Gauge]
        private let outboxAge: [String: Gauge]
        private let followed: Gauge
        private let lagTotal: Gauge
        private let lagging = Mutex<[String: Gauge]>([:])
        private let cpu: FloatingPointCounter
        private let cpuCounted = Mutex<Double>(0)
        private let resident: Gauge
        private let descriptors: Gauge
        private let started: Gauge

        init(factory: any MetricsFactory, sinks: [String]) {
            self.factory = factory
            outboxRows = Dictionary(
                uniqueKeysWithValues: sinks.map {
                    ($0, Gauge(label: "agenttail_outbox_rows", dimensions: [("sink", $0)], factory: factory))
                })
            outboxAge = Dictionary(
                uniqueKeysWithValues: sinks.map {
                    ($0, Gauge(label: "agenttail_outbox_oldest_age_seconds", dimensions: [("sink", $0)], factory: factory))
                })
            followed = Gauge(label: "agenttail_files_followed", factory: factory)
            lagTotal = Gauge(label: "agenttail_lag_bytes", factory: factory)
            cpu = FloatingPointCounter(label: "process_cpu_seconds_total", factory: factory)
            resident = Gauge(label: "process_resident_memory_bytes", factory: factory)
            descriptors = Gauge(label: "process_open_fds", factory: factory)
            started = Gauge(label: "process_start_time_seconds", factory: factory)
        }

        func outbox(_ sink: String, rows: Int, oldestAge: Double?) {
            outboxRows[sink]?.record(rows)
            outboxAge[sink]?.record(max(0, oldestAge ?? 0))
        }

        func files(_ lags: [Lag]) {
            followed.record(lags.count)
            lagTotal.record(lags.reduce(0) { $0 + $1.bytes })
            let shown = lags.filter { $0.bytes > 0 }.sorted { $0.bytes > $1.bytes }.prefix(PipelineWatch.laggingFilesShown)
            lagging.withLock { gauges in
                var next: [String: Gauge] = [:]
                for lag in shown {
                    let key = "\(lag.file.source)\u{0}\(lag.file.path)"
                    let gauge =
                        gauges[key]
                        ?? Gauge(
                            label: "agenttail_file_lag_bytes",
                            dimensions: [("source", lag.file.source), ("file", lag.file.path)], factory: factory)
                    gauge.record(lag.bytes)
                    next[key] = gauge
                }
                // A file no longer behind leaves the list instead of staying at its last figure.
                for (key, gauge) in gauges where next[key] == nil { gauge.destroy() }
                gauges = next
            }
        }

        func process(_ figures: ProcessFigures) {
            let added = cpuCounted.withLock { counted in
                defer { counted = max(counted, figures.cpuSeconds) }
                return figures.cpuSeconds - counted
            }
            if added > 0 { cpu.increment(by: added) }
            resident.record(figures.residentBytes)
            descriptors.record(figures.openDescriptors)
            started.record(figures.startTime)
        }
    }
}
