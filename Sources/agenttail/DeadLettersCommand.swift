import AgentTail
import AgentTailCore
import ArgumentParser
import Foundation
import Logging

struct DeadLettersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dead-letters",
        abstract: "List, show, retry or purge the rows a destination refused for good.",
        discussion: """
            A row a destination refuses for good (a 4xx answer about that row, not about the key) is kept in the \
            state file as a dead letter with the destination's reason, and the other rows go on. Fix the cause \
            (a column the database lacks, a rule that reads a field wrongly), then retry: the rows go back in that \
            sink's queue alone and are delivered at once. A row refused again stays a dead letter with the new \
            reason. Rows were masked before they were stored; `show` prints them as they were sent.
            """,
        subcommands: [List.self, Show.self, Retry.self, Purge.self],
        defaultSubcommand: List.self)

    /// Which dead letters a subcommand takes.
    struct Selection: ParsableArguments {
        @Option(help: ArgumentHelp("Only those of this sink: supabase, langfuse or otlp.", valueName: "sink"))
        var sink: String?

        @Option(help: ArgumentHelp("Only those whose reason contains this text (any case).", valueName: "text"))
        var reason: String?

        @Option(
            help: ArgumentHelp(
                "Only those kept in this last stretch of time (30m, 24h, 7d) or since this time (2026-12-01 or "
                    + "2026-12-01T09:00:00Z).",
                valueName: "when"),
            transform: Selection.since)
        var since: Date?

        static func since(_ text: String) throws -> Date {
            if let duration = Duration(text: text), duration > .zero {
                return Date().addingTimeInterval(-duration.seconds)
            }
            if let date = Report.timestamps.parse(text) { return date }
            throw ValidationError("--since expects a duration such as 24h or a time such as 2026-12-01, got '\(text)'")
        }

        func filter(ids: [Int64] = []) -> StateStore.DeadLetterFilter {
            StateStore.DeadLetterFilter(ids: ids, sink: sink, reason: reason, since: since)
        }

        /// Refuses a `--sink` that names neither a sink of the configuration nor one dead letters are kept for: a
        /// misspelt name would otherwise select nothing and say so as if all were well.
        func checkSink(_ config: AgentTailConfig, option: ConfigOption, store: StateStore) async throws {
            guard let sink else { return }
            let configured = config.sinks.names.filter { $0 != "local" }
            let kept = Set(try await store.deadLetters(StateStore.DeadLetterFilter()).map(\.sink))
            guard !configured.contains(sink), !kept.contains(sink) else { return }
            let known = Set(configured).union(kept).sorted()
            let sinks =
                known.isEmpty
                ? " (it has no sink besides the local store)" : "; its sinks are \(known.joined(separator: ", "))"
            printError("\(sink) is not a sink of \(option.config)\(sinks)")
            throw ExitCode(2)
        }
    }

    /// The state file of the configuration, which must exist.
    static func store(_ config: AgentTailConfig, option: ConfigOption, readOnly: Bool = false) throws -> StateStore {
        try option.requireState(of: config)
        do {
            return try StateStore(path: config.state.path, readOnly: readOnly)
        } catch {
            printError("\(error)")
            throw ExitCode(1)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List dead letters: id, sink, table, age and reason, oldest first.")

        @OptionGroup var common: CommonOptions
        @OptionGroup var configOption: ConfigOption
        @OptionGroup var selection: Selection

        @Flag(help: "Print one JSON array instead of a table.")
        var json = false

        func run() async throws {
            _ = common.bootstrapLogging(default: .warning)
            let config = try configOption.load()
            let store = try DeadLettersCommand.store(config, option: configOption, readOnly: true)
            try await selection.checkSink(config, option: configOption, store: store)
            let letters = try await store.deadLetters(selection.filter())
            if json {
                print(DeadLetterText.json(letters, withRows: false))
            } else if letters.isEmpty {
                print("no dead letters\(selection.sink.map { " for \($0)" } ?? "")")
            } else {
                print(DeadLetterText.table(letters, width: FileHandleOutput.stdoutWidth))
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print dead letters as JSON: the row as it was sent, its sink, table, reason and time.")

        @OptionGroup var common: CommonOptions
        @OptionGroup var configOption: ConfigOption
        @OptionGroup var selection: Selection

        @Argument(help: ArgumentHelp("The ids `list` shows; none shows every dead letter selected.", valueName: "id"))
        var ids: [Int64] = []

        func run() async throws {
            _ = common.bootstrapLogging(default: .warning)
            let config = try configOption.load()
            let store = try DeadLettersCommand.store(config, option: configOption, readOnly: true)
            try await selection.checkSink(config, option: configOption, store: store)
            let letters = try await store.deadLetters(selection.filter(ids: ids))
            let missing = Set(ids).subtracting(letters.map(\.id))
            print(DeadLetterText.json(letters, withRows: true))
            if !missing.isEmpty {
                printError("no dead letter with id \(missing.sorted().map(String.init).joined(separator: ", "))")
                throw ExitCode(1)
            }
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put dead letters back in their sink's queue, deliver them now, and tell what became of each.",
            discussion: """
                Exit status: 0 when every row was taken, 1 when a row was refused again or still waits (the sink \
                is failing; the next `agenttail run` delivers it).
                """)

        @OptionGroup var common: CommonOptions
        @OptionGroup var configOption: ConfigOption
        @OptionGroup var selection: Selection

        @Argument(help: ArgumentHelp("The ids `list` shows; none retries every dead letter selected.", valueName: "id"))
        var ids: [Int64] = []

        @Option(
            help: ArgumentHelp(
                "How long to keep trying a sink that fails meanwhile (s, m; default 30s); what it has not taken by "
                    + "then stays in its queue for `agenttail run`.",
                valueName: "duration"),
            transform: durationOption("--wait", examples: "10s or 2m"))
        var wait: Duration = .seconds(30)

        func run() async throws {
            let logger = common.bootstrapLogging(default: .warning)
            let config = try configOption.load()
            let store = try DeadLettersCommand.store(config, option: configOption)
            let sinks = Daemon.outboxSinks(config: config, logger: logger)
            if let sink = selection.sink, !sinks.contains(where: { $0.name == sink }) {
                let names = sinks.map(\.name)
                printError(
                    "\(sink) is not a sink of \(configOption.config)"
                        + (names.isEmpty ? "" : "; its sinks are \(names.joined(separator: ", "))"))
                throw ExitCode(2)
            }
            let selected = try await store.deadLetters(selection.filter(ids: ids))
            guard !selected.isEmpty else {
                print("no dead letters to retry")
                return
            }
            var retry = DeadLetterRetry(store: store, sinks: sinks, redactor: config.redaction.redactor, logger: logger)
            retry.patience = wait
            let outcomes = try await retry.retry(selection.filter(ids: ids))
            let configured = Set(sinks.map(\.name))
            let orphans = selected.filter { !configured.contains($0.sink) }
            print(DeadLetterText.outcomes(outcomes, orphans: orphans))
            if outcomes.contains(where: { !$0.refused.isEmpty || !$0.waiting.isEmpty }) { throw ExitCode(1) }
        }
    }

    struct Purge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete dead letters for good (asks for --yes).")

        @OptionGroup var common: CommonOptions
        @OptionGroup var configOption: ConfigOption
        @OptionGroup var selection: Selection

        @Argument(help: ArgumentHelp("The ids `list` shows; none purges every dead letter selected.", valueName: "id"))
        var ids: [Int64] = []

        @Flag(help: "Delete them; without it, only say how many would go.")
        var yes = false

        func run() async throws {
            _ = common.bootstrapLogging(default: .warning)
            let config = try configOption.load()
            let store = try DeadLettersCommand.store(config, option: configOption)
            try await selection.checkSink(config, option: configOption, store: store)
            let filter = selection.filter(ids: ids)
            guard yes else {
                let count = try await store.deadLetters(filter).count
                print("\(count) dead letter\(count == 1 ? "" : "s") would be deleted; pass --yes to delete them")
                if count > 0 { throw ExitCode(1) }
                return
            }
            let count = try await store.purgeDeadLetters(filter)
            print("\(count) dead letter\(count == 1 ? "" : "s") deleted")
        }
    }
}
