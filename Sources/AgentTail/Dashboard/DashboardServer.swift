import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle

/// `agenttail ui`: the dashboard's pages, assets and live events over HTTP/1.1.
package struct DashboardServer: Service {
    private let listener: HTTPListener
    private let site: DashboardSite
    private let access: DashboardAccess
    private let logger: Logger

    /// Why the dashboard cannot be served where it was asked to.
    package struct CannotServe: Error, CustomStringConvertible {
        package var description: String
    }

    /// Listens at once, so that a port in use is said before anything is served.
    package static func listen(
        host: String, port: Int, access: DashboardAccess, site: DashboardSite, logger: Logger
    ) async throws(CannotServe) -> DashboardServer {
        do {
            let listener = try await HTTPListener.bind(host: host, port: port)
            return DashboardServer(listener: listener, site: site, access: access, logger: logger)
        } catch {
            throw CannotServe(description: "cannot listen on \(host):\(port): \(error.reason); choose another port with --listen")
        }
    }

    /// The port listened on (the one the system chose for port 0).
    package var port: Int? { listener.localAddress?.port }

    package func run() async throws {
        try await listener.run { connection in await serve(connection) }
    }

    private func serve(_ connection: HTTPListener.Connection) async {
        let peer = connection.channel.remoteAddress
        do {
            try await connection.executeThenClose { requests, responses in
                var head: HTTPRequestHead?
                for try await part in requests {
                    switch part {
                    case .head(let request): head = request
                    case .body: continue  // the dashboard takes no request bodies
                    case .end:
                        guard let request = head else { return }
                        var headers: [String: String] = [:]
                        for (name, value) in request.headers { headers[name.lowercased()] = value }
                        let parsed = DashboardRequest(method: request.method.rawValue, uri: request.uri, headers: headers)
                        let response: DashboardResponse =
                            if let refusal = access.refusal(parsed, peer: peer) {
                                refusal
                            } else {
                                await site.answer(parsed)
                            }
                        try await write(response, to: responses, head: request)
                        if response.events != nil || !request.isKeepAlive { return }
                    }
                }
            }
        } catch {
            logger.debug("dashboard connection ended", metadata: ["error": "\(error)"])
        }
    }

    private func write(
        _ response: DashboardResponse, to writer: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>,
        head request: HTTPRequestHead
    ) async throws {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType)
        for (name, value) in DashboardResponse.common + response.headers { headers.add(name: name, value: value) }
        if let events = response.events {
            headers.add(name: "Connection", value: "close")
            try await writer.write(.head(HTTPResponseHead(version: request.version, status: response.status, headers: headers)))
            for await event in events { try await writer.write(.body(.byteBuffer(ByteBuffer(string: event)))) }
            try await writer.write(.end(nil))
            return
        }
        headers.add(name: "Content-Length", value: "\(response.body.count)")
        try await writer.write(.head(HTTPResponseHead(version: request.version, status: response.status, headers: headers)))
        if request.method != .HEAD, !response.body.isEmpty {
            try await writer.write(.body(.byteBuffer(ByteBuffer(bytes: response.body))))
        }
        try await writer.write(.end(nil))
    }
}
