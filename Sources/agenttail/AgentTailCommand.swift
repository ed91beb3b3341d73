import AgentTail
import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

@main
struct AgentTailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agenttail",
        abstract: "Tail AI coding agents' log files and ship sessions, LLM calls, tool runs and errors.",
        discussion: """
            agenttail follows an agent's log files (Mini-Agent's ~/.mini-agent/log/agent_run_*.log first of all), \
            turns them into normalized rows with YAML rules, and writes them to an embedded SQLite store. It keeps \
            its place in a state file, so a restart or a crash neither loses nor repeats an event.

            Start with `agenttail check --config agenttail.yaml`, then `agenttail run --config agenttail.yaml`.
            """,
        version: AgentTail.versionAndCommit,
        subcommands: [
            RunCommand.self, ReportCommand.self, StatusCommand.self, CheckCommand.self, ParseCommand.self,
            TestRulesCommand.self, DeadLettersCommand.self, McpCommand.self, UICommand.self,
        ]
    )

    static func main() async {
        await main(ParseCommand.withExplainDepth(ReportCommand.withWeekDefault(Array(CommandLine.arguments.dropFirst()))))
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
extension LineLogHandler.Format: ExpressibleByArgument {}

/// Options every command takes.
struct CommonOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "How much agenttail says on stderr: trace, debug, info, notice, warning or error.",
            valueName: "level"))
    var logLevel: Logger.Level?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "How log lines look: text (time, level, message, then key=value) or json (one object per line).",
            valueName: "format"))
    var logFormat: LineLogHandler.Format = .text

    /// Sends log lines to stderr at the chosen level (default `fallback`). Call once per process.
    func bootstrapLogging(default fallback: Logger.Level) -> Logger {
        let level = logLevel ?? fallback
        let format = logFormat
        LoggingSystem.bootstrap { _ in
            var handler = MaskingLogHandler(LineLogHandler(format: format), redaction: outputRedaction)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "agenttail")
        logger.logLevel = level
        return logger
    }
}

/// The `--config` option.
struct ConfigOption: ParsableArguments {
    @Option(
        name: [.short, .long],
        help: ArgumentHelp("The configuration file (see config.yaml.example).", valueName: "file"))
    var config: String = "agenttail.yaml"

    init() {}

    init(config: String) {
        self.config = config
    }

    /// The embedded store's path, for a command that reads it to `purpose`; exits with what to add when the
    /// configuration has none, and warns when it has not been written yet.
    func localStore(of config: AgentTailConfig, purpose: String, logger: Logger) throws -> String {
        guard let local = config.sinks.local else {
            printError(
                "the configuration has no local store to \(purpose); add `local: {path: ...}` under `sinks:` "
                    + "(agenttail run writes it)")
            throw ExitCode(2)
        }
        if !FileManager.default.fileExists(atPath: local.path) {
            logger.warning(
                "there is no local store yet: `agenttail run --config \(self.config)` creates it as it reads the logs",
                metadata: ["path": "\(local.path)"])
        }
        return local.path
    }

    /// How to read the Supabase project (report.supabase, or the Supabase sink's keys); exits with what to add when
    /// the configuration says nothing of it.
    func supabase(of config: AgentTailConfig) throws -> SupabaseReadConfig {
        guard let supabase = config.report.supabase else {
            printError(
                "the configuration says nothing of Supabase; add a supabase sink, or `report: {supabase: {url: ..., "
                    + "api_key: ${SUPABASE_PUBLISHABLE_KEY}, access_token: ${SUPABASE_ACCESS_TOKEN}}}`")
            throw ExitCode(2)
        }
        return supabase
    }

    /// Exits with what to do when the configuration's state file does not exist yet.
    func requireState(of config: AgentTailConfig) throws {
        guard !FileManager.default.fileExists(atPath: config.state.path) else { return }
        printError("no state at \(config.state.path) yet: run `agenttail run --config \(self.config)` first")
        throw ExitCode(1)
    }

    /// Loads and validates the configuration, printing the problem and exiting on failure.
    func load() throws -> AgentTailConfig {
        let absolute = URL(fileURLWithPath: config).standardizedFileURL.path
        guard FileManager.default.fileExists(atPath: absolute) else {
            printDiagnostic(
                "\(absolute): error: no such file; pass --config PATH, or start from config.yaml.example")
            throw ExitCode(2)
        }
        do {
            let loaded = try ConfigLoader().load(path: config)
            outputRedaction.use(loaded.redaction.redactor)
            return loaded
        } catch {
            printDiagnostic(error.description)
            throw ExitCode(2)
        }
    }
}

/// Reads the value of a duration option (`--max-wait 5m`): longer than zero, or an error that shows the expected form.
func durationOption(_ option: String, examples: String) -> @Sendable (String) throws -> Duration {
    { text in
        guard let duration = Duration(text: text), duration > .zero else {
            throw ValidationError("\(option) expects a duration such as \(examples), got '\(text)'")
        }
        return duration
    }
}

/// The rule pack `reference` names (`builtin:NAME` or a file); on a problem, prints it with its location and exits 2.
func loadRules(_ reference: String) throws -> RulePack {
    do {
        return try RulePackLoader.load(RulesReference(reference))
    } catch {
        printDiagnostic(error.description)
        throw ExitCode(2)
    }
}

/// Writes one line to stderr, prefixed with `error: `.
func printError(_ message: String) {
    printDiagnostic("error: \(message)")
}

/// Writes a diagnostic that already carries its location and severity (`file:line:col: error: ...`) to stderr, its
/// secrets masked.
func printDiagnostic(_ message: String) {
    var stream = StandardError()
    print(outputRedaction.mask(message), to: &stream)
}

/// Masks what the process writes about itself (logs, diagnostics) with the configured redaction, or the built-in
/// detectors before a configuration is read.
let outputRedaction = LogRedaction()


/// Says where `services` serve (`what` at `address`), then runs them until SIGTERM or SIGINT.
func serve(
    _ what: String, at address: String, _ services: [ServiceGroupConfiguration.ServiceConfiguration], logger: Logger
) async throws {
    printDiagnostic("agenttail: serving \(what) at \(address) (Ctrl-C stops)")
    let group = ServiceGroup(
        configuration: ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
    try await group.run()
}
