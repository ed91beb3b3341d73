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
        try await listener.run(logger: logger) { request, responder in
            var headers: [String: String] = [:]
            for (name, value) in request.head.headers { headers[name.lowercased()] = value }
            let parsed = DashboardRequest(method: request.head.method.rawValue, uri: request.head.uri, headers: headers)
            let response: DashboardResponse
            if let refusal = access.refusal(parsed, peer: request.peer) {
                response = refusal
            } else {
                response = await site.answer(parsed)
            }
            var fields = HTTPHeaders()
            fields.add(name: "Content-Type", value: response.contentType)
            for (name, value) in DashboardResponse.common + response.headers { fields.add(name: name, value: value) }
            guard let events = response.events else {
                try await responder.send(response.status, fields, body: ByteBuffer(bytes: response.body))
                return true
            }
            fields.add(name: "Connection", value: "close")
            try await responder.stream(response.status, fields, events.map { ByteBuffer(string: $0) })
            return false
        }
    }
}
