import AgentTail
import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

struct UICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ui",
        abstract: "Serve a local web page to look at runs as they happen: overview, sessions, timelines, tools, errors.",
        discussion: """
            Reads the embedded store (the `local` sink of the configuration), or with --source supabase a copy of \
            the Supabase project's last days kept up to date every 2 s, and serves at http://127.0.0.1:8377/ the \
            overview of a period (the report, with its charts, anomalies and problems), the sessions (filter, sort, \
            pages), each session's timeline (LLM calls and tool runs on one time axis, each with its texts), the \
            tools and the error patterns. A session's page and the list follow the store while the agent runs.

            Nothing comes from the network; every answer carries a strict Content-Security-Policy. It answers this \
            machine only, unless --allow-remote is given with a token (from --token-file or AGENTTAIL_UI_TOKEN).

            Examples:
              agenttail ui --config agenttail.yaml
              agenttail ui --config agenttail.yaml --source supabase --days 7
              agenttail ui --listen 0.0.0.0:8377 --allow-remote --token-file ui.token
            """)

    @OptionGroup var common: CommonOptions
    @OptionGroup var configOption: ConfigOption

    @Option(help: ArgumentHelp("Where to listen: HOST:PORT (port 0 picks a free one).", valueName: "address"))
    var listen = "127.0.0.1:8377"

    @Option(
        help: ArgumentHelp(
            "local (the embedded store) or supabase (a copy of the project's last days, kept up to date: every host "
                + "that ships there).",
            valueName: "source"))
    var source: ReportSource = .local

    @Option(help: ArgumentHelp("With --source supabase: how many days back to copy and show.", valueName: "days"))
    var days = 30

    @Flag(help: "Answer other machines too; needs a token (--token-file or AGENTTAIL_UI_TOKEN).")
    var allowRemote = false

    @Option(
        name: .customLong("token-file"),
        help: ArgumentHelp("A file holding the token other machines must present, with --allow-remote.", valueName: "path"))
    var tokenFile: String?

    func run() async throws {
        let logger = common.bootstrapLogging(default: .warning)
        let config = try configOption.load()
        guard let address = HTTPListener.Address(listen) else {
            printError("'\(listen)' is not an address to listen on; write HOST:PORT, such as 127.0.0.1:8377")
            throw ExitCode(2)
        }
        let access = try access(address)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        let store: String
        switch source {
        case .local:
            store = try configOption.localStore(of: config, purpose: "show", logger: logger)
        case .supabase:
            let supabase = try configOption.supabase(of: config)
            guard (1...366).contains(days) else {
                printError("--days must be from 1 to 366")
                throw ExitCode(2)
            }
            printDiagnostic("agenttail: copying the last \(days) days from \(supabase.url)…")
            do {
                let mirror = try SupabaseMirror(config: supabase, days: days, logger: logger)
                try await mirror.fill()
                services.append(.init(service: mirror))
                store = mirror.path
            } catch {
                printError("\(error)")
                throw ExitCode(1)
            }
        }
        var site = DashboardSite(storePath: store, baselineSeconds: Double(config.report.baseline.components.seconds))
        if source == .supabase, let supabase = config.report.supabase {
            site.origin = "Supabase \(URL(string: supabase.url)?.host ?? supabase.url), last \(days) days"
        }
        let server: DashboardServer
        do {
            server = try await DashboardServer.listen(
                host: address.host, port: address.port, access: access, site: site, logger: logger)
        } catch {
            printError(error.description)
            throw ExitCode(2)
        }
        let shown = HTTPListener.Address("\(address.host):\(server.port ?? address.port)")!
        try await serve("the dashboard", at: "http://\(shown)/", services + [.init(service: server)], logger: logger)
    }

    /// Who may look: this machine, or whoever has the token.
    private func access(_ address: HTTPListener.Address) throws -> DashboardAccess {
        guard allowRemote else {
            if !address.isLoopback {
                printError(
                    "\(address.host) is not a loopback address: the dashboard shows what your agents did; to open it to other "
                        + "machines, add --allow-remote with a token (--token-file or AGENTTAIL_UI_TOKEN)")
                throw ExitCode(2)
            }
            return .loopback
        }
        var token = ProcessInfo.processInfo.environment["AGENTTAIL_UI_TOKEN"]
        if let tokenFile {
            guard let text = try? String(contentsOfFile: tokenFile, encoding: .utf8) else {
                printError("cannot read the token from \(tokenFile)")
                throw ExitCode(2)
            }
            token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard let token, token.count >= 16, !token.contains(where: { $0 == ";" || $0.isWhitespace }) else {
            printError(
                "--allow-remote needs a token of 16 characters or more, without spaces or ';', in --token-file or "
                    + "AGENTTAIL_UI_TOKEN (such as: openssl rand -hex 24)")
            throw ExitCode(2)
        }
        return .token(token)
    }
}
