import Foundation
import Logging

/// Everything `agenttail run` needs, built from a configuration: rules, state, sinks, ingestor and shipper.
package struct Daemon: Sendable {
    package let config: AgentTailConfig
    package let rules: [String: RulePack]
    package let store: StateStore
    package let sinks: [any Sink]
    package let ingestor: Ingestor
    package let shipper: Shipper
    package let logger: Logger

    /// Compiles every source's rules (each pack once) and opens the state and sinks.
    package static func rulePacks(for config: AgentTailConfig) throws(ConfigError) -> [String: RulePack] {
        var cache: [RulesReference: RulePack] = [:]
        var packs: [String: RulePack] = [:]
        for source in config.sources {
            if let pack = cache[source.rules] {
                packs[source.name] = pack
            } else {
                let pack = try RulePackLoader.load(source.rules)
                cache[source.rules] = pack
                packs[source.name] = pack
            }
        }
        return packs
    }

    package init(config: AgentTailConfig, logger: Logger) throws {
        self.config = config
        self.logger = logger
        rules = try Self.rulePacks(for: config)
        store = try StateStore(path: config.state.path)
        var sinks: [any Sink] = []
        if let local = config.sinks.local { sinks.append(try LocalStoreSink(path: local.path)) }
        if let supabase = config.sinks.supabase { sinks.append(SupabaseSink(config: supabase, logger: logger)) }
        if let langfuse = config.sinks.langfuse { sinks.append(OTLPExportSink.langfuse(langfuse, logger: logger)) }
        if let otlp = config.sinks.otlp { sinks.append(OTLPExportSink.collector(otlp, logger: logger)) }
        self.sinks = sinks
        ingestor = try Ingestor(config: config, rules: rules, store: store, logger: logger)
        shipper = Shipper(store: store, sinks: sinks, logger: logger)
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
            if result.paused || result.rows > 0 {
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
