import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Prometheus
import ServiceLifecycle

/// Serves `/metrics` (the Prometheus text format, written by swift-prometheus) and `/healthz` on the address of
/// `metrics.listen`, one request per connection.
package struct MetricsServer: Service {
    private let listener: HTTPListener
    private let registry: PrometheusCollectorRegistry
    private let watch: PipelineWatch
    private let logger: Logger

    /// Why the address could not be listened on.
    package struct CannotListen: Error, CustomStringConvertible {
        package var address: String
        package var reason: String
        package var description: String {
            "cannot serve metrics on \(address): \(reason); choose another address in metrics.listen"
        }
    }

    /// Listens on the configured address at once, so that a port in use stops `run` before it starts.
    package static func listen(
        _ config: MetricsConfig, registry: PrometheusCollectorRegistry, watch: PipelineWatch, logger: Logger
    ) async throws -> MetricsServer {
        let listener: HTTPListener
        do {
            listener = try await HTTPListener.bind(host: config.host, port: config.port)
        } catch {
            throw CannotListen(address: "\(config.host):\(config.port)", reason: error.reason)
        }
        let address = listener.localAddress.map { "\($0.ipAddress ?? config.host):\($0.port ?? config.port)" }
        logger.info(
            "serving /metrics and /healthz", metadata: ["address": "\(address ?? "\(config.host):\(config.port)")"])
        return MetricsServer(listener: listener, registry: registry, watch: watch, logger: logger)
    }

    /// The port listened on (the one chosen by the system when the configuration asked for port 0).
    package var port: Int? { listener.localAddress?.port }

    /// Serves until graceful shutdown, which closes the listening socket and ends the requests in progress.
    package func run() async throws {
        try await listener.run(logger: logger) { request, responder in
            let answer = await answer(request.head)
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: answer.contentType)
            headers.add(name: "Connection", value: "close")
            headers.add(name: "Cache-Control", value: "no-store")
            try await responder.send(answer.status, headers, body: ByteBuffer(bytes: answer.body))
            return false
        }
    }

    struct Answer {
        var status: HTTPResponseStatus
        var contentType = "text/plain; charset=utf-8"
        var body: [UInt8]
    }

    func answer(_ request: HTTPRequestHead) async -> Answer {
        guard request.method == .GET || request.method == .HEAD else {
            return Answer(status: .methodNotAllowed, body: Array("only GET and HEAD are served\n".utf8))
        }
        switch request.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? "" {
        case "/metrics":
            await watch.refreshMetrics()
            return Answer(status: .ok, contentType: "text/plain; version=0.0.4; charset=utf-8", body: registry.emitToBuffer())
        case "/healthz":
            let health = await watch.health()
            guard health.isHealthy else {
                return Answer(
                    status: .serviceUnavailable,
                    body: Array(health.problems.map { $0.split(whereSeparator: \.isNewline).joined(separator: " ") + "\n" }.joined().utf8))
            }
            return Answer(status: .ok, body: Array("ok\n".utf8))
        default:
            return Answer(status: .notFound, body: Array("not found; agenttail serves /metrics and /healthz\n".utf8))
        }
    }
}
