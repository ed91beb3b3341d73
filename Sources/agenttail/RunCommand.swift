import AgentTail
import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

#if canImport(Glibc)
import Glibc
#endif

/// Tunes glibc's malloc for a process whose big allocations (message histories of megabytes) come and go:
/// - two arenas: by default every thread that meets contention gets an arena of its own (up to eight per core), and
///   memory freed in one is never returned to another, so a sidecar that parses on one thread and commits on another
///   would keep the high-water mark of each;
/// - a fixed mmap threshold of 512 KiB: blocks above it are mapped on their own and unmapped when freed. By default
///   glibc raises the threshold each time such a block is freed (up to 32 MiB), after which multi-megabyte strings
///   live in the heap and their pages stay resident long after they are gone.
/// On the benchmark's 200 MB catch-up (scripts/bench.sh) the peak RSS is 60 MB with both, 62–65 MB with the arena
/// cap alone; the cost is about 0.1 s of system time per 100 MB.
private func tuneAllocator() {
    #if canImport(Glibc)
    // mallopt is declared in <malloc.h>, which the Glibc module does not export; there M_ARENA_MAX is -8 and
    // M_MMAP_THRESHOLD is -3.
    typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
    let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
    _ = mallopt(-8, 2)
    _ = mallopt(-3, 512 << 10)
    #endif
}

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Follow the configured log files and deliver what they record.",
        discussion: """
            Runs until SIGINT or SIGTERM: then it stops reading, delivers what was read, commits and exits 0 \
            (within 5 seconds). New and growing files are picked up through inotify (polling where inotify is \
            unavailable). With --once it reads everything that exists now, delivers it and exits. SIGHUP reloads \
            the sources' rules: the new rules are compiled and their tests run first, and if anything fails the \
            error is logged and the old rules stay; otherwise reading goes on from the committed checkpoints with \
            the new rules, sessions and offsets intact. Other configuration changes need a restart.
            """)

    @OptionGroup var common: CommonOptions
    @OptionGroup var configOption: ConfigOption

    @Flag(help: "Catch up with the files as they are now, deliver everything, then exit.")
    var once = false

    func run() async throws {
        tuneAllocator()
        let logger = common.bootstrapLogging(default: .info)
        let config = try configOption.load()
        let daemon: Daemon
        do {
            daemon = try Daemon(config: config, logger: logger)
        } catch let error as ConfigError {
            // Rule files are read here; their errors carry their own location.
            printDiagnostic(error.description)
            throw ExitCode(2)
        } catch {
            printError("\(error)")
            throw ExitCode(2)
        }
        logger.info(
            "agenttail started",
            metadata: ["config": "\(config.file)", "sources": "\(config.sources.count)", "state": "\(config.state.path)"])
        if once {
            try await catchUp(daemon, logger: logger)
        } else {
            try await follow(daemon, logger: logger)
        }
    }

    private func catchUp(_ daemon: Daemon, logger: Logger) async throws {
        let showProgress = FileHandleOutput.stderrIsTerminal
        let summary = try await daemon.catchUp { rows in
            if showProgress { FileHandleOutput.stderr("\rread \(rows) rows...") }
        }
        if showProgress { FileHandleOutput.stderr("\r\u{1B}[K") }
        for (name, error) in summary.stoppedSinks {
            printError("sink \(name) stopped: \(error)")
        }
        if summary.undelivered > 0 {
            printError(
                "\(summary.undelivered) rows could not be delivered and wait in the outbox; "
                    + "see `agenttail status` for the sink's last error")
            throw ExitCode(1)
        }
        if let local = daemon.config.sinks.local {
            let report = try await LocalStoreReport.make(path: local.path)
            print(report.text)
        }
        logger.info("caught up", metadata: ["rows": "\(summary.rows)"])
    }

    private func follow(_ daemon: Daemon, logger: Logger) async throws {
        let watcher: DirectoryWatcher
        do {
            let backend: DirectoryWatcher.Backend? =
                switch daemon.config.tailing.watcher {
                case .auto: nil
                case .inotify: .inotify
                case .polling: .polling
                }
            watcher = try DirectoryWatcher(
                backend: backend, pollInterval: daemon.config.tailing.pollInterval,
                rescanInterval: daemon.config.tailing.rescanInterval, logger: logger)
        } catch {
            printError("cannot watch the log folders: \(error)")
            throw ExitCode(1)
        }
        let ready = Wakeup()
        let drained = Wakeup()
        ready.poke()
        var ingest = IngestService(
            ingestor: daemon.ingestor, watcher: watcher, outboxReady: ready, outboxDrained: drained, logger: logger)
        ingest.batchWindow = daemon.config.tailing.batchWindow
        var ship = ShipperService(shipper: daemon.shipper, outboxReady: ready, outboxDrained: drained, logger: logger)
        ship.batchWindow = daemon.config.delivery.batchWindow
        let configFile = daemon.config.file
        var reloadRules = RulesReloadService(ingestor: daemon.ingestor, watcher: watcher, logger: logger) {
            // The sources stay those the process started with; their rules are read anew.
            try Daemon.rulePacks(for: try ConfigLoader().load(path: configFile))
        }
        if daemon.config.watchRules { reloadRules.watchedFiles = daemon.config.ruleFiles }
        var configuration = ServiceGroupConfiguration(
            services: [
                .init(service: ship, successTerminationBehavior: .gracefullyShutdownGroup),
                .init(service: ingest, successTerminationBehavior: .gracefullyShutdownGroup),
                .init(service: reloadRules, successTerminationBehavior: .gracefullyShutdownGroup),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger)
        configuration.maximumGracefulShutdownDuration = .seconds(4)
        let group = ServiceGroup(configuration: configuration)
        try await group.run()
    }
}
