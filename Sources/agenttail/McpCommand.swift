import AgentTail
import AgentTailMCP
import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

struct McpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: "Answer an agent's questions about past runs: a Model Context Protocol server over the store.",
        discussion: """
            Serves the embedded store (the `local` sink of the configuration) as MCP tools, read-only: \
            list_sessions, get_session, report, search_errors and tool_stats. An agent that has it can answer "why \
            did yesterday's runs fail?" or "what did the bash tool cost this week?" from the record.

            By default it speaks MCP over standard input and output, as an agent starts it: standard output carries \
            protocol messages only, logs go to standard error. With --http it serves MCP's streamable HTTP at \
            http://HOST:PORT/mcp instead, on a loopback address only (it has no authentication).

            The store is opened read-only for each question, so it may run beside `agenttail run`, which keeps \
            writing. The texts it returns were masked before they were stored.

            Examples:
              agenttail mcp --config ~/.config/agenttail/agenttail.yaml
              agenttail mcp --config agenttail.yaml --http 127.0.0.1:8765
              claude mcp add agenttail -- agenttail mcp --config ~/agenttail.yaml
            """)

    @OptionGroup var common: CommonOptions
    @OptionGroup var configOption: ConfigOption

    @Option(
        help: ArgumentHelp(
            "Serve streamable HTTP at this loopback address (127.0.0.1:PORT; port 0 picks a free one) instead of "
                + "standard input and output.",
            valueName: "address"))
    var http: String?

    func run() async throws {
        let logger = common.bootstrapLogging(default: .warning)
        let config = try configOption.load()
        let store = try configOption.localStore(of: config, purpose: "answer from", logger: logger)
        let server = RecordServer(
            storePath: store, baselineSeconds: Double(config.report.baseline.components.seconds), logger: logger)
        guard let http else {
            try await server.serveStandardIO()
            return
        }
        let service: RecordHTTPServer
        let address: HTTPListener.Address
        do {
            address = try RecordHTTPServer.address(http)
            service = try await RecordHTTPServer.listen(address, server: server, logger: logger)
        } catch let problem as RecordHTTPServer.CannotListen {
            printError(problem.description)
            throw ExitCode(2)
        }
        let shown = HTTPListener.Address("\(address.host):\(service.port ?? address.port)")!
        try await serve("MCP", at: "http://\(shown)/mcp", [.init(service: service)], logger: logger)
    }
}
