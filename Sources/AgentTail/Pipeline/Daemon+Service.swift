import Foundation
import CoreMetrics
import Logging
import Prometheus
import ServiceLifecycle

/// The process `agenttail run` starts: it follows the files live until graceful shutdown, as one group of
/// services: one delivery loop per sink, the tailing, and the rules reload.
extension Daemon: Service {
    /// Why following could not start.
    package struct CannotWatch: Error, CustomStringConvertible {
        package var reason: String
        package var description: String { "cannot watch the log folders: \(reason)" }
    }

    package func run() async throws {
        let watcher: DirectoryWatcher
        do {
            let backend: DirectoryWatcher.Backend? =
                switch config.tailing.watcher {
                case .auto: nil
                case .inotify: .inotify
                case .polling: .polling
                }
            watcher = try DirectoryWatcher(
                backend: backend, pollInterval: config.tailing.pollInterval,
                rescanInterval: config.tailing.rescanInterval, logger: logger)
        } catch {
            throw CannotWatch(reason: "\(error)")
        }
        let ready = Wakeup()
        let drained = Wakeup()
        // Rows a previous run left in the outbox go out at once.
        ready.poke()
        var ingest = IngestService(
            ingestor: ingestor, watcher: watcher, outboxReady: ready, outboxDrained: drained, logger: logger)
        ingest.batchWindow = config.tailing.batchWindow
        var ship = ShipperService(shipper: shipper, outboxReady: ready, outboxDrained: drained, logger: logger)
        ship.batchWindow = config.delivery.batchWindow
        let configFile = config.file
        var reloadRules = RulesReloadService(ingestor: ingestor, watcher: watcher, logger: logger) {
            // The sources stay those the process started with; their rules are read anew.
            try Daemon.rulePacks(for: try ConfigLoader().load(path: configFile))
        }
        if config.watchRules { reloadRules.watchedFiles = config.ruleFiles }
        let watch = PipelineWatch(
            budgets: config.metrics?.health ?? HealthBudgets(), store: store, deliveries: shipper.deliveries,
            ingestor: ingestor,
            factory: registry.map(Daemon.metricsFactory) ?? NOOPMetricsHandler.instance)
        var extras: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: ActivitySummaryService(activity: metrics.activity, logger: logger), successTerminationBehavior: .ignore)
        ]
        if let metricsConfig = config.metrics, let registry {
            let server = try await MetricsServer.listen(metricsConfig, registry: registry, watch: watch, logger: logger)
            extras.append(.init(service: server, successTerminationBehavior: .gracefullyShutdownGroup))
        }
        if let notifier = SystemdNotifier() {
            let firstScan = Wakeup()
            ingest.firstScanDone = firstScan
            let systemd = SystemdService(notifier: notifier, ready: firstScan, logger: logger) { watch.tailingProblem() }
            extras.append(.init(service: systemd, successTerminationBehavior: .ignore))
        }
        // Shutdown goes in reverse order: systemd hears of it, metrics and the reload stop, then tailing (which
        // commits what it read), then delivery makes its last round.
        let services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: ship, successTerminationBehavior: .gracefullyShutdownGroup),
            .init(service: ingest, successTerminationBehavior: .gracefullyShutdownGroup),
            .init(service: reloadRules, successTerminationBehavior: .gracefullyShutdownGroup),
        ] + extras
        var configuration = ServiceGroupConfiguration(services: services, logger: logger)
        configuration.maximumGracefulShutdownDuration = .seconds(4)
        // Whatever ends the run, the store's log is copied into it: every commit is already there.
        defer { localStore?.finishWrites() }
        try await ServiceGroup(configuration: configuration).run()
    }
}
