import CoreMetrics
import Foundation
import Logging
import Prometheus
import Synchronization

/// Everything `agenttail run` needs, built from a configuration: rules, state, sinks, ingestor and shipper.
package struct Daemon: Sendable {
    package let config: AgentTailConfig
    package let rules: [String: RulePack]
    package let store: StateStore
    /// The embedded store, written by the ingestor with each commit.
    package let localStore: LocalStore?
    /// The sinks that read the outbox.
    package let sinks: [any Sink]
    package let ingestor: Ingestor
    package let shipper: Shipper
    package let logger: Logger
    /// What the pipeline counts as it works.
    package let metrics: PipelineMetrics
    /// Where `/metrics` reads the counts, when `metrics:` is configured.
    package let registry: PrometheusCollectorRegistry?

    /// Compiles every source's rules (each pack once) and checks them against their own tests.
    package static func rulePacks(for config: AgentTailConfig) throws(ConfigError) -> [String: RulePack] {
        var cache: [RulesReference: RulePack] = [:]
        var packs: [String: RulePack] = [:]
        let prices = ModelPrices.builtIn.overriding(config.pricing)
        for source in config.sources {
            var pack: RulePack
            if let cached = cache[source.rules] {
                pack = cached
            } else {
                pack = try RulePackLoader.loadChecked(source.rules)
                cache[source.rules] = pack
            }
            pack.enrichment = CallEnrichment(model: source.model, prices: prices)
            packs[source.name] = pack
        }
        return packs
    }

    /// - Parameter outboxSinks: the sinks that read the outbox, instead of those the configuration names (for tests).
    package init(config: AgentTailConfig, logger: Logger, outboxSinks: [any Sink]? = nil) throws {
        self.config = config
        self.logger = logger
        rules = try Self.rulePacks(for: config)
        store = try StateStore(path: config.state.path)
        let localStore = try config.sinks.local.map { local throws(StateError) in try LocalStore(path: local.path) }
        self.localStore = localStore
        if let localStore, localStore.backfilled > 0 {
            logger.info(
                "looked for problems in the ended sessions the local store held",
                metadata: ["sessions": "\(localStore.backfilled)", "store": "\(localStore.path)"])
        }
        let sinks = outboxSinks ?? Self.outboxSinks(config: config, logger: logger)
        self.sinks = sinks
        try store.pruneOutbox(enabled: sinks.map(\.name))
        let registry = config.metrics.map { _ in PrometheusCollectorRegistry() }
        self.registry = registry
        let factory: any MetricsFactory = registry.map(Self.metricsFactory) ?? NOOPMetricsHandler.instance
        metrics = PipelineMetrics(factory: factory, sources: config.sources.map(\.name), sinks: sinks.map(\.name))
        ingestor = try Ingestor(
            config: config, rules: rules, store: store, localStore: localStore, fillsOutbox: !sinks.isEmpty,
            metrics: metrics, logger: logger)
        shipper = Shipper(
            store: store, sinks: sinks, redactor: config.redaction.redactor, metrics: metrics, logger: logger)
    }

    /// Makes instruments in `registry`, delivery latency with buckets from 10 ms to 15 minutes (an outage).
    package static func metricsFactory(_ registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets["agenttail_delivery_latency_seconds"] = [
            .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
            .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(300),
            .seconds(900),
        ]
        return factory
    }

    /// The configured sinks that read the outbox: every sink but the local store.
    package static func outboxSinks(config: AgentTailConfig, logger: Logger) -> [any Sink] {
        var sinks: [any Sink] = []
        if let supabase = config.sinks.supabase { sinks.append(SupabaseSink(config: supabase, logger: logger)) }
        if let langfuse = config.sinks.langfuse { sinks.append(OTLPExportSink.langfuse(langfuse, logger: logger)) }
        if let otlp = config.sinks.otlp { sinks.append(OTLPExportSink.collector(otlp, logger: logger)) }
        return sinks
    }

    /// What `run --once` did.
    package struct CatchUpSummary: Sendable {
        /// Rows committed.
        package var rows = 0
        /// Per outbox sink: what it took, what waits for it, and why.
        package var sinks: [SinkSummary] = []
        /// Per source that has bytes left to read (reading stopped at a full outbox that could not drain).
        package var unread: [Ingestor.Unread] = []

        /// True when everything was read and every sink has everything.
        package var isComplete: Bool { unread.isEmpty && sinks.allSatisfy { $0.waiting == 0 } }
    }

    /// One sink at the end of a catch-up.
    package struct SinkSummary: Sendable, Equatable {
        package var name: String
        /// Rows it took during this run (dead letters included).
        package var delivered: Int
        /// Rows still waiting for it in the outbox.
        package var waiting: Int
        package var deadLetters: Int
        /// How its delivery ended.
        package var end: DeliveryLoop.End
        /// Its last error, when rows wait or it stopped.
        package var lastError: String?
    }

    /// How long `run --once` keeps trying a sink without any successful delivery to it.
    package static let defaultMaxWait: Duration = .seconds(300)

    /// Reads everything that exists now and delivers it, each sink at its own pace, then returns.
    ///
    /// Reading goes to the end of every file whatever the sinks do, unless the outbox fills up (`outbox_limit`):
    /// then it waits for the sinks, and stops only when a sink that holds rows has stopped or given up. A sink is
    /// retried as long as it makes progress, and given up after `maxWait` without any successful delivery.
    /// - Parameter progress: called after each step with the rows committed so far.
    package func catchUp(
        maxWait: Duration = Daemon.defaultMaxWait, progress: @Sendable (Int) -> Void = { _ in }
    ) async throws -> CatchUpSummary {
        var summary = CatchUpSummary()
        let perSink = shipper.deliveries.map { _ in Wakeup() }
        let roundDone = Wakeup()
        let ended = EndedLoops()
        try await withThrowingDiscardingTaskGroup { group in
            for (delivery, wakeup) in zip(shipper.deliveries, perSink) {
                let loop = DeliveryLoop(delivery: delivery, roundDone: roundDone, giveUpAfter: maxWait)
                group.addTask {
                    let end = await loop.run(ready: wakeup.stream)
                    ended.record(end, of: delivery.name)
                    roundDone.poke()
                }
            }
            defer { perSink.forEach { $0.finish() } }
            var rounds = roundDone.stream.makeAsyncIterator()
            while true {
                let result = try await ingestor.step(changed: nil)
                summary.rows += result.rows
                progress(summary.rows)
                if result.outboxRows > 0 || result.paused { perSink.forEach { $0.poke() } }
                guard result.paused else { break }
                // The outbox is full: wait for the sinks to take rows, unless one that holds them will not.
                if !ended.all.isEmpty { break }
                if await rounds.next() == nil { break }
            }
        }
        localStore?.finishWrites()
        summary.unread = await ingestor.unread().filter { $0.bytes > 0 }
        let ends = ended.all
        for delivery in shipper.deliveries {
            let status = try await store.sinkStatus(delivery.name)
            let waiting = try await store.outboxDepth(for: delivery.name)
            let end = ends[delivery.name] ?? .finished
            summary.sinks.append(
                SinkSummary(
                    name: delivery.name, delivered: delivery.delivered, waiting: waiting,
                    deadLetters: status.deadLetters, end: end,
                    lastError: waiting > 0 || end != .finished ? status.lastError : nil))
        }
        return summary
    }
}

/// How each sink's delivery loop ended, as the loops end.
private final class EndedLoops: Sendable {
    private let ends = Mutex<[String: DeliveryLoop.End]>([:])

    func record(_ end: DeliveryLoop.End, of sink: String) { ends.withLock { $0[sink] = end } }

    var all: [String: DeliveryLoop.End] { ends.withLock { $0 } }
}
