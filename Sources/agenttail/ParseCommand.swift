import AgentTail
import ArgumentParser
import Foundation
import Logging

struct ParseCommand: AsyncParsableCommand {
    /// `--explain=all` and `--explain=records` as the flags they stand for.
    static func withExplainDepth(_ arguments: [String]) -> [String] {
        arguments.map { argument in
            switch argument {
            case "--explain=all": return "--explain-all"
            case "--explain=records": return "--explain"
            default: return argument
            }
        }
    }

    static let configuration = CommandConfiguration(
        commandName: "parse",
        abstract: "Print the rows log files produce, as JSON lines, without touching any state.",
        discussion: """
            A dry run of the rules: every file is read whole and taken as finished, so sessions are concluded at \
            the end of the file. Each output line is one row: {"table": "llm_calls", "id": ..., columns...}. \
            With --format otlp, each file is printed as the OTLP/JSON export the Langfuse sink sends for it \
            (--format otel: with OpenTelemetry's GenAI attributes, as the otlp sink sends it). Secrets are masked \
            as `agenttail run` masks them: by the built-in detectors, plus the configuration's own patterns with \
            --config.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case rows, otlp, otel
    }

    @Option(help: "What to print: rows (JSON lines), otlp (Langfuse's OTLP/JSON export) or otel (GenAI conventions).")
    var format: Format = .rows

    @Flag(
        help: """
            Explain each record instead: its byte range, the rule that matched (or why none did), the fields it \
            read and the rows it produced. The first thing to run when a field comes out wrong.
            """)
    var explain = false

    @Flag(
        name: .customLong("explain-all"),
        help: """
            Explain as --explain does, and also why each rule tried before the one that read a record did not match: \
            its first condition that failed and what the record holds there. Also written --explain=all.
            """)
    var explainAll = false

    @OptionGroup var common: CommonOptions

    @Option(help: ArgumentHelp("Rules to parse with: builtin:NAME or a rules YAML file.", valueName: "rules"))
    var rules: String = "builtin:mini-agent"

    @Option(help: ArgumentHelp("Host name used in ids and rows (default: this machine's).", valueName: "name"))
    var host: String?

    @Option(
        help: ArgumentHelp(
            "A configuration file whose redaction settings (and host) apply, as they do for `run`.", valueName: "file"))
    var config: String?

    @Argument(help: ArgumentHelp("Log files to parse.", valueName: "file"))
    var files: [String]

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one log file") }
    }

    func run() async throws {
        _ = common.bootstrapLogging(default: .notice)
        let pack = try loadRules(rules)
        var redactor = Redactor()
        var host = self.host ?? ProcessInfo.processInfo.hostName
        if let config {
            let loaded = try ConfigOption(config: config).load()
            redactor = loaded.redaction.redactor
            host = self.host ?? loaded.host
        }
        var failed = false
        for file in files {
            if explain || explainAll {
                do {
                    Swift.print("== \(file)")
                    for step in try FileParser.explain(path: file, rules: pack, host: host, redactor: redactor) {
                        Self.show(step, passedOver: explainAll)
                    }
                } catch {
                    printError("cannot read \(file): \(error)")
                    failed = true
                }
                continue
            }
            do {
                let rows = try FileParser.rows(path: file, rules: pack, host: host, redactor: redactor)
                switch format {
                case .rows:
                    for row in rows {
                        var line = RowCodec.encode(row, includeTable: true)
                        line.append(0x0A)
                        FileHandle.standardOutput.write(Data(line))
                    }
                case .otlp, .otel:
                    let mapper = SpanMapper(flavor: format == .otlp ? .langfuse : .openTelemetry)
                    var export = OTLPJSONEncoder().encode(rows.compactMap(mapper.span(for:)))
                    export.append(0x0A)
                    FileHandle.standardOutput.write(Data(export))
                }
            } catch {
                printError("cannot read \(file): \(error)")
                failed = true
            }
        }
        if failed { throw ExitCode(1) }
    }

    /// One explanation as indented text.
    private static func show(_ step: Explanation, passedOver: Bool) {
        switch step.subject {
        case .record(let info, let observations):
            let kinds = Set(observations.map(\.kind)).sorted().joined(separator: ", ")
            let count = observations.count == 1 ? "" : " × \(observations.count)"
            Swift.print(
                "record at bytes \(info.offset)..<\(info.offset + Int64(info.length)): "
                    + "rule '\(info.rule)' (\(kinds)\(count)), \(info.timestamp.rfc3339)")
            for (index, observation) in observations.enumerated() {
                if observations.count > 1 { Swift.print("  element \(index):") }
                let indent = observations.count > 1 ? "    " : "  "
                for (name, value) in observation.fields { Swift.print("\(indent)\(name): \(shortened(value))") }
            }
            if let facts = info.session {
                let said = [
                    ("workspace", facts.workspace), ("git_branch", facts.gitBranch), ("agent_version", facts.agentVersion),
                    ("agent_session_id", facts.agentSessionID),
                ]
                    .compactMap { name, value in value.map { "\(name): \(shortened($0))" } }
                Swift.print("  about the run: " + said.joined(separator: ", "))
            }
        case .ignored(let offset, let length, let rule):
            Swift.print("record at bytes \(offset)..<\(offset + Int64(length)): rule '\(rule)' (ignore), no timestamp")
        case .failure(let offset, let length, let message):
            Swift.print("record at bytes \(offset)..<\(offset + Int64(length)): not understood: \(message)")
        case .strayText(let offset, let preview):
            Swift.print("text outside any record at byte \(offset): \(shortened(preview))")
        case .endOfFile:
            Swift.print("end of file: the session is concluded")
        }
        if passedOver {
            for miss in step.passedOver { Swift.print("  not rule '\(miss.rule)': \(shortened(miss.reason))") }
        }
        if step.rows.isEmpty {
            Swift.print("  rows: none yet")
        } else {
            Swift.print("  rows:")
            for row in step.rows { Swift.print("    " + String(decoding: RowCodec.encode(row, includeTable: true), as: UTF8.self)) }
        }
    }

    private static func shortened(_ text: String) -> String {
        let oneLine = text.replacingOccurrences(of: "\n", with: "\\n")
        return oneLine.count > 200 ? String(oneLine.prefix(200)) + "… (\(text.utf8.count) bytes)" : oneLine
    }
}
