import Foundation
import Logging

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
        try store.handOverLocalBacklog(to: localStore)
        self.localStore = localStore
        let sinks = outboxSinks ?? Self.outboxSinks(config: config, logger: logger)
        self.sinks = sinks
        try store.pruneOutbox(enabled: sinks.map(\.name))
        ingestor = try Ingestor(
            config: config, rules: rules, store: store, localStore: localStore, fillsOutbox: !sinks.isEmpty,
            logger: logger)
        shipper = Shipper(store: store, sinks: sinks, redactor: config.redaction.redactor, logger: logger)
    }

    /// The configured sinks that read the outbox: every sink but the local store.
    private static func outboxSinks(config: AgentTailConfig, logger: Logger) -> [any Sink] {
        var sinks: [any Sink] = []
        if let supabase = config.sinks.supabase { sinks.append(SupabaseSink(config: supabase, logger: logger)) }
        if let langfuse = config.sinks.langfuse { sinks.append(OTLPExportSink.langfuse(langfuse, logger: logger)) }
        if let otlp = config.sinks.otlp { sinks.append(OTLPExportSink.collector(otlp, logger: logger)) }
        return sinks
    }

    /// What `run --once` did.
    package struct CatchUpSummary: Sendable {
        package var rows = 0
        package var undelivered = 0
        /// Sinks that stopped for good, with their last error.
        package var stoppedSinks: [(name: String, error: String)] = []
    }

    /// Reads everything that exists now, delivers it, and returns.
    /// - Parameter progress: called after each committed slice with the rows committed so far.
    package func catchUp(progress: @Sendable (Int) -> Void = { _ in }) async throws -> CatchUpSummary {
        var summary = CatchUpSummary()
        var backoff = RetryBackoff()
        var failures = 0
        while true {
            let result = try await ingestor.step(changed: nil)
            summary.rows += result.rows
            progress(summary.rows)
            if result.paused || result.outboxRows > 0 {
                if await shipper.deliverAvailable() == .retry {
                    failures += 1
                    if failures > 5 { break }
                    try await Task.sleep(for: max(backoff.next(), shipper.requestedDelay ?? .zero))
                }
                continue
            }
            break
        }
        while await shipper.deliverAvailable() == .retry {
            failures += 1
            if failures > 5 { break }
            try await Task.sleep(for: max(backoff.next(), shipper.requestedDelay ?? .zero))
        }
        summary.undelivered = try await store.outboxCount()
        for name in shipper.stoppedSinks.sorted() {
            summary.stoppedSinks.append((name, try await store.sinkStatus(name).lastError ?? "stopped"))
        }
        return summary
    }
}
