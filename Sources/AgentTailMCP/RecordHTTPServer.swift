import AgentTail
import Foundation
import Logging
import MCP
import NIOCore
import NIOHTTP1
import ServiceLifecycle

/// `agenttail mcp --http`: the record tools over MCP's streamable HTTP transport, at `/mcp` on a loopback address.
///
/// Each client that initializes gets a session of its own (an MCP server and the SDK's stateful transport, which
/// answers with server-sent events and checks the Host and Origin headers against DNS rebinding); its requests carry
/// the session's id. Sessions idle for longer than `idleSeconds` are closed when a new one starts.
package struct RecordHTTPServer: Service {
    private let listener: HTTPListener
    private let sessions: Sessions
    private let logger: Logger

    /// The largest request body read, in bytes: JSON-RPC messages of these tools are small.
    static let bodyLimit = 1 << 20

    /// Why `--http` cannot be served.
    package struct CannotListen: Error, CustomStringConvertible {
        package var description: String
    }

    /// The loopback address `text` names.
    package static func address(_ text: String) throws(CannotListen) -> HTTPListener.Address {
        guard let address = HTTPListener.Address(text) else {
            throw CannotListen(description: "'\(text)' is not an address to listen on; write 127.0.0.1:PORT")
        }
        guard address.isLoopback else {
            throw CannotListen(
                description: "\(address.host) is not a loopback address: the MCP server has no authentication, so it "
                    + "listens on 127.0.0.1, ::1 or localhost only")
        }
        return address
    }

    /// Listens at once, so that a port in use is reported before anything is served.
    package static func listen(_ address: HTTPListener.Address, server: RecordServer, logger: Logger) async throws
        -> RecordHTTPServer
    {
        let listener: HTTPListener
        do {
            listener = try await HTTPListener.bind(host: address.host, port: address.port)
        } catch {
            throw CannotListen(description: "cannot listen on \(address): \(error.reason); choose another port with --http")
        }
        let port = listener.localAddress?.port ?? address.port
        return RecordHTTPServer(
            listener: listener, sessions: Sessions(server: server, port: port, logger: logger), logger: logger)
    }

    /// The port listened on (the one the system chose for port 0).
    package var port: Int? { listener.localAddress?.port }

    /// Serves until graceful shutdown, then closes every session.
    package func run() async throws {
        try await listener.run(bodyLimit: Self.bodyLimit, logger: logger) { request, responder in
            let response: MCP.HTTPResponse =
                if let body = request.body {
                    await answer(request.head, body: body)
                } else {
                    .error(statusCode: 413, .invalidRequest("the request is larger than 1 MiB"))
                }
            var headers = HTTPHeaders()
            for (name, value) in response.headers { headers.replaceOrAdd(name: name, value: value) }
            headers.replaceOrAdd(name: "Cache-Control", value: "no-store")
            let status = HTTPResponseStatus(statusCode: response.statusCode)
            if case .stream(let events, _) = response {
                // No length: NIO sends the events chunked, each as soon as the transport yields it.
                try await responder.stream(status, headers, events.map { ByteBuffer(bytes: $0) })
            } else {
                try await responder.send(status, headers, body: ByteBuffer(bytes: response.bodyData ?? Data()))
            }
            return true
        }
        await sessions.closeAll()
    }

    private func answer(_ head: HTTPRequestHead, body: ByteBuffer) async -> MCP.HTTPResponse {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? ""
        guard path == "/mcp" else {
            return .error(statusCode: 404, .invalidRequest("agenttail serves MCP at /mcp"))
        }
        var headers: [String: String] = [:]
        for (name, value) in head.headers {
            headers[name] = headers[name].map { $0 + ", " + value } ?? value
        }
        let request = MCP.HTTPRequest(
            method: head.method.rawValue, headers: headers,
            body: body.readableBytes > 0 ? Data(body.readableBytesView) : nil, path: path)
        return await sessions.handle(request)
    }

    /// The clients' sessions, by the id each was given when it initialized.
    actor Sessions {
        private let server: RecordServer
        private let port: Int
        private let logger: Logger
        private var open: [String: Session] = [:]

        /// The most sessions kept at once; the one idle longest makes way for a new one.
        static let limit = 64
        /// How long a session may stay silent before it is closed.
        static let idleSeconds: TimeInterval = 30 * 60

        struct Session {
            var server: Server
            var transport: StatefulHTTPServerTransport
            var lastUsed: Date
        }

        init(server: RecordServer, port: Int, logger: Logger) {
            self.server = server
            self.port = port
            self.logger = logger
        }

        func handle(_ request: MCP.HTTPRequest) async -> MCP.HTTPResponse {
            if let id = request.header(HTTPHeaderName.sessionID) {
                guard var session = open[id] else {
                    return .error(
                        statusCode: 404, .invalidRequest("no session \(id): it ended or the server restarted; initialize again"))
                }
                session.lastUsed = Date()
                open[id] = session
                let response = await session.transport.handleRequest(request)
                if request.method == "DELETE", response.statusCode == 200 { await close(id) }
                return response
            }
            guard request.method == "POST", let body = request.body,
                let message = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
                message["method"] as? String == "initialize"
            else {
                return .error(
                    statusCode: 400,
                    .invalidRequest("a request without an \(HTTPHeaderName.sessionID) header must be an initialize request"))
            }
            return await start(request)
        }

        private func start(_ request: MCP.HTTPRequest) async -> MCP.HTTPResponse {
            await closeIdle()
            let id = UUID().uuidString.lowercased()
            let transport = StatefulHTTPServerTransport(
                sessionIDGenerator: FixedID(id: id),
                validationPipeline: StandardValidationPipeline(validators: [
                    OriginValidator.localhost(port: port), AcceptHeaderValidator(mode: .sseRequired),
                    ContentTypeValidator(), ProtocolVersionValidator(), SessionValidator(),
                ]))
            let mcp = await server.make()
            do {
                try await mcp.start(transport: transport)
            } catch {
                return .error(statusCode: 500, .internalError("cannot start a session: \(error)"))
            }
            let response = await transport.handleRequest(request)
            if case .error = response {
                await mcp.stop()
                return response
            }
            open[id] = Session(server: mcp, transport: transport, lastUsed: Date())
            logger.debug("MCP session started", metadata: ["session": "\(id)", "open": "\(open.count)"])
            return response
        }

        /// Closes the sessions silent for too long, and the one silent longest when too many are open.
        private func closeIdle() async {
            let now = Date()
            for (id, session) in open where now.timeIntervalSince(session.lastUsed) > Self.idleSeconds {
                await close(id)
            }
            if open.count >= Self.limit, let oldest = open.min(by: { $0.value.lastUsed < $1.value.lastUsed })?.key {
                await close(oldest)
            }
        }

        private func close(_ id: String) async {
            guard let session = open.removeValue(forKey: id) else { return }
            await session.server.stop()
            logger.debug("MCP session closed", metadata: ["session": "\(id)"])
        }

        func closeAll() async {
            for id in open.keys { await close(id) }
        }
    }

    /// Gives the transport the id chosen for its session.
    private struct FixedID: SessionIDGenerator {
        let id: String
        func generateSessionID() -> String { id }
    }
}
