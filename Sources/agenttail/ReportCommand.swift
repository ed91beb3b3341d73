import AgentTail
import ArgumentParser
import Foundation
import Logging

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Summarize a period: sessions, LLM calls, cost, tools, errors, the slowest and costliest runs.",
        discussion: """
            Reads the embedded store (the `local` sink of the configuration) and prints what happened in a period: \
            sessions by outcome, LLM calls with latency and tokens, cost by model, each tool's calls, failures and \
            durations, the most frequent error patterns, and the slowest and the costliest sessions.

            The period is the last 24 hours unless --since, --day, --week or --from is given. Days and weeks are \
            UTC; a week is an ISO week (Monday to Sunday), and `--week` alone is the last one that has ended.

            --format json is a stable contract for scripts (see docs/report.md); text is for a terminal, markdown \
            for a chat or a pull request, html for a browser (charts, tables that sort; nothing from the network).

            Exit status: 0 when the report was written; 1 when it could not be made; 2 for a bad configuration or \
            period; 3 when --fail-on names something the report found (the report is written all the same).

            Examples:
              agenttail report --config agenttail.yaml
              agenttail report --config agenttail.yaml --week --by model --format markdown
              agenttail report --config agenttail.yaml --day 2026-12-01 --format json --output day.json
              agenttail report --config agenttail.yaml --since 7d --format html --output week.html
            """)

    @OptionGroup var common: CommonOptions
    @OptionGroup var configOption: ConfigOption

    @Option(help: ArgumentHelp("The period up to now: 90m, 24h, 7d, 2w.", valueName: "duration"))
    var since: String?

    @Option(help: ArgumentHelp("One UTC day.", valueName: "YYYY-MM-DD"))
    var day: String?

    @Option(help: ArgumentHelp("One ISO week, or `last` (the default when --week has no value).", valueName: "YYYY-Www"))
    var week: String?

    @Option(help: ArgumentHelp("The start of the period: a day or an RFC 3339 time.", valueName: "time"))
    var from: String?

    @Option(help: ArgumentHelp("The end of the period (excluded; default now), with --from.", valueName: "time"))
    var to: String?

    @Option(
        help: ArgumentHelp(
            "Split the period by \(ReportQuery.Dimension.allCases.map(\.rawValue).joined(separator: ", ")).",
            valueName: "dimension"))
    var by: ReportQuery.Dimension?

    @Option(
        help: ArgumentHelp(
            "text, markdown, json, or html (one self-contained page with charts, to open in a browser).",
            valueName: "format"))
    var format: ReportFormat = .text

    @Option(
        help: ArgumentHelp(
            "local (the embedded store) or supabase (the project's rows, read with report.supabase's keys or the "
                + "Supabase sink's; one report across every host that ships there).",
            valueName: "source"))
    var source: ReportSource = .local

    @Option(help: ArgumentHelp("Write the report to this file instead of standard output.", valueName: "path"))
    var output: String?

    @Option(
        name: .customLong("fail-on"),
        help: ArgumentHelp(
            "Exit with status 3 when the report finds anomalies or problems (repeat for both), for CI and alerting.",
            valueName: "finding"))
    var failOn: [Finding] = []

    @Option(
        help: ArgumentHelp(
            "Also post the report, as Markdown, to a chat webhook (Slack-compatible: {\"text\": ...}). Give the URL, "
                + "or @FILE to read it from a file: a webhook's URL is its credential, and a command line is "
                + "visible to every user of the machine.",
            valueName: "url"))
    var webhook: String?

    func validate() throws {
        let chosen = [since != nil, day != nil, week != nil, from != nil].filter { $0 }.count
        if chosen > 1 { throw ValidationError("give one of --since, --day, --week and --from") }
        if to != nil, from == nil { throw ValidationError("--to needs --from") }
    }

    func run() async throws {
        _ = common.bootstrapLogging(default: .notice)
        let config = try configOption.load()
        if source == .local, config.sinks.local == nil {
            printError(
                "the configuration has no local store to report from; add `local: {path: ...}` under `sinks:`, "
                    + "or read Supabase with --source supabase")
            throw ExitCode(2)
        }
        if source == .supabase { _ = try configOption.supabase(of: config) }
        let now = Date()
        let period: ReportPeriod
        let hook: ReportWebhook?
        do {
            period = try requestedPeriod(now: now)
            hook = try webhook.map { value throws(ReportWebhook.Problem) in try ReportWebhook(try webhookAddress(value)) }
        } catch {
            printError("\(error)")
            throw ExitCode(2)
        }
        var query = ReportQuery(period: period.resolve(now: now), by: by)
        query.baselineSeconds = Double(config.report.baseline.components.seconds)
        let report: Report
        do {
            switch source {
            case .local: report = try await LocalReportReader(path: config.sinks.local!.path).report(query)
            case .supabase: report = try await SupabaseReportReader(config: config.report.supabase!).report(query)
            }
        } catch {
            printError("\(error)")
            throw ExitCode(1)
        }
        let text: String
        switch format {
        case .json: text = String(decoding: try Report.jsonEncoder.encode(report), as: UTF8.self) + "\n"
        case .text: text = ReportRenderer(.text).render(report)
        case .markdown: text = ReportRenderer(.markdown).render(report)
        case .html: text = ReportHTML.render(report)
        }
        if let output {
            do {
                try Data(text.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
            } catch {
                printError("cannot write the report to \(output): \(error.localizedDescription)")
                throw ExitCode(1)
            }
        } else {
            print(text, terminator: "")
        }
        if let hook {
            do {
                try await hook.post(ReportRenderer(.markdown).render(report))
            } catch {
                printError("\(error)")
                throw ExitCode(1)
            }
        }
        let found = failOn.filter { finding in
            switch finding {
            case .anomalies: !report.anomalies.isEmpty
            case .problems: !report.problems.isEmpty
            }
        }
        if !found.isEmpty {
            printError(
                found.map { finding in
                    switch finding {
                    case .anomalies: report.anomalies.count == 1 ? "1 anomaly" : "\(report.anomalies.count) anomalies"
                    case .problems: report.problems.count == 1 ? "1 problem" : "\(report.problems.count) problems"
                    }
                }.joined(separator: " and ") + " found (--fail-on)")
            throw ExitCode(3)
        }
    }

    /// The webhook's URL: as given, or read from the file after `@`.
    private func webhookAddress(_ value: String) throws(ReportWebhook.Problem) -> String {
        guard value.hasPrefix("@") else { return value }
        let path = String(value.dropFirst())
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ReportWebhook.Problem(
                description: "cannot read the webhook's URL from \(path): \(error.localizedDescription)")
        }
    }

    private func requestedPeriod(now: Date) throws(ReportPeriod.Problem) -> ReportPeriod {
        if let since { return try .since(since) }
        if let day { return try .day(day) }
        if let week { return try .week(week) }
        if let from { return try .range(from: from, to: to, now: now) }
        return .since(.seconds(86_400))
    }

    /// The arguments with a bare `--week` (no value after it) given its default, `last`.
    static func withWeekDefault(_ arguments: [String]) -> [String] {
        var result: [String] = []
        for (index, argument) in arguments.enumerated() {
            result.append(argument)
            if argument == "--week", index + 1 == arguments.count || arguments[index + 1].hasPrefix("-") {
                result.append("last")
            }
        }
        return result
    }
}

enum ReportSource: String, ExpressibleByArgument, CaseIterable {
    case local, supabase
}

enum Finding: String, ExpressibleByArgument, CaseIterable {
    case anomalies, problems
}

enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
    case text, markdown, json, html
}

extension ReportQuery.Dimension: ExpressibleByArgument {}
