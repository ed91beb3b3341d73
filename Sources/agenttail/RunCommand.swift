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

            With --once, every file is read to its end whatever the sinks do (unless the outbox fills up: then it \
            waits for the sinks), and each sink is retried as long as it makes progress, up to --max-wait without \
            any successful delivery. Exit status: 0 when everything was read and delivered, 1 when something waits \
            (a sink that stopped or gave up, or files left unread; the summary says which and why), 2 for a bad \
            configuration or rules.
            """)

    @OptionGroup var common: CommonOptions
    @OptionGroup var configOption: ConfigOption

    @Flag(help: "Catch up with the files as they are now, deliver everything, then exit.")
    var once = false

    @Option(
        name: .customLong("max-wait"),
        help: ArgumentHelp(
            "With --once: how long to keep trying a sink that delivers nothing before giving up on it (ms, s, m, h; "
                + "default 5m).",
            valueName: "duration"),
        transform: durationOption("--max-wait", examples: "90s, 5m or 1h"))
    var maxWait: Duration = Daemon.defaultMaxWait

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
        for source in config.sources {
            let match = SourceMatch(source)
            if !match.files.isEmpty {
                logger.info(
                    "source matches \(match.files.count) files",
                    metadata: ["source": "\(source.name)", "files": "\(match.sample())"])
            }
            for miss in match.misses {
                logger.warning(
                    "\(miss); watching for files to appear there", metadata: ["source": "\(source.name)"])
            }
            if !once, source.measureTools {
                let way = source.processCommand.map {
                    "the process writing the log, or else the newest one whose command line contains '\($0)'"
                } ?? "the process writing the log (set process.command when the agent does not hold it open)"
                logger.info(
                    "tool runs followed live are measured; the agent is \(way)", metadata: ["source": "\(source.name)"])
            }
        }
        if once {
            try await catchUp(daemon, logger: logger)
        } else {
            try await follow(daemon, logger: logger)
        }
    }

    private func catchUp(_ daemon: Daemon, logger: Logger) async throws {
        let showProgress = FileHandleOutput.stderrIsTerminal
        let summary = try await daemon.catchUp(maxWait: maxWait) { rows in
            if showProgress { StandardError.write("\rread \(rows) rows...") }
        }
        if showProgress { StandardError.write("\r\u{1B}[K") }
        if let local = daemon.config.sinks.local {
            let report = try await LocalStoreReport.make(path: local.path, width: FileHandleOutput.stdoutWidth)
            print(report.text)
        }
        for sink in summary.sinks {
            let (line, isProblem) = Self.describe(sink, maxWait: maxWait)
            if isProblem { printError(line) } else { print(line) }
        }
        for source in summary.unread {
            printError(
                "source \(source.source): \(source.bytes) bytes in \(source.files) files left unread: the outbox is full "
                    + "(state.outbox_limit) and a sink above cannot take its rows; they are read on the next run")
        }
        logger.info("caught up", metadata: ["rows": "\(summary.rows)"])
        if !summary.isComplete { throw ExitCode(1) }
    }

    /// One line per outbox sink: what it took, or what waits for it and why (a problem, for stderr).
    static func describe(_ sink: Daemon.SinkSummary, maxWait: Duration) -> (line: String, isProblem: Bool) {
        let dead = sink.deadLetters > 0 ? ", \(sink.deadLetters) dead letters (see `agenttail dead-letters`)" : ""
        guard sink.waiting > 0 || sink.end != .finished else {
            return ("sink \(sink.name): \(sink.delivered) rows delivered\(dead), nothing waits", false)
        }
        let why = sink.lastError.map { ": \($0)" } ?? ""
        let what: String
        switch sink.end {
        case .stopped: what = "stopped\(why)"
        case .gaveUp: what = "gave up after \(maxWait.text) without a successful delivery\(why)"
        case .finished: what = "could not deliver everything\(why)"
        }
        return (
            "sink \(sink.name) \(what); \(sink.waiting) rows wait in the outbox for the next run "
                + "(\(sink.delivered) delivered\(dead))", true
        )
    }

    private func follow(_ daemon: Daemon, logger: Logger) async throws {
        var configuration = ServiceGroupConfiguration(
            services: [.init(service: daemon)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        configuration.maximumGracefulShutdownDuration = .seconds(5)
        do {
            try await ServiceGroup(configuration: configuration).run()
        } catch let error as Daemon.CannotWatch {
            printError(error.description)
            throw ExitCode(1)
        } catch let error as MetricsServer.CannotListen {
            printError(error.description)
            throw ExitCode(1)
        }
    }
}
