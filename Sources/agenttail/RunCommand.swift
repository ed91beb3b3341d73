import AgentTail
import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

#if canImport(Glibc)
import Glibc
#endif

/// Caps glibc's malloc at two arenas. By default every thread that meets contention gets an arena of its own (up to
/// eight per core), and memory freed in one is never returned to another: a sidecar that reads on one thread and
/// encodes on others would keep the high-water mark of each. Two arenas cut the resident size of a long catch-up by
/// about a quarter at no measurable cost in speed.
private func limitAllocatorArenas() {
    #if canImport(Glibc)
    // mallopt is declared in <malloc.h>, which the Glibc module does not export; M_ARENA_MAX is -8 there.
    typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
    _ = unsafeBitCast(symbol, to: Mallopt.self)(-8, 2)
    #endif
}

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Follow the configured log files and deliver what they record.",
        discussion: """
            Runs until SIGINT or SIGTERM: then it stops reading, delivers what was read, commits and exits 0 \
            (within 5 seconds). New and growing files are picked up through inotify (polling where inotify is \
            unavailable). With --once it reads everything that exists now, delivers it and exits.
            """)

    @OptionGroup var common: CommonOptions
    @OptionGroup var configOption: ConfigOption

    @Flag(help: "Catch up with the files as they are now, deliver everything, then exit.")
    var once = false

    func run() async throws {
        limitAllocatorArenas()
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
        let ingest = IngestService(
            ingestor: daemon.ingestor, watcher: watcher, outboxReady: ready, outboxDrained: drained, logger: logger)
        let ship = ShipperService(shipper: daemon.shipper, outboxReady: ready, outboxDrained: drained, logger: logger)
        var configuration = ServiceGroupConfiguration(
            services: [
                .init(service: ship, successTerminationBehavior: .gracefullyShutdownGroup),
                .init(service: ingest, successTerminationBehavior: .gracefullyShutdownGroup),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger)
        configuration.maximumGracefulShutdownDuration = .seconds(4)
        let group = ServiceGroup(configuration: configuration)
        try await group.run()
    }
}
