import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Exports agent runs as OpenTelemetry traces over OTLP/HTTP: to Langfuse (`/api/public/otel/v1/traces`, with its
/// attributes) or to any collector (with OpenTelemetry's GenAI semantic conventions). A session is a trace, LLM calls
/// generations, tools tool spans, parser errors events.
///
/// Each span is sent once it is complete (a session's root span when the session ends) and always encodes to the
/// same bytes, so a resend after a crash or a retry is the same span, never a changed one. An export the server
/// refuses with 400 is split until the bad span is alone; only that one is rejected.
package final class OTLPExportSink: Sink {
    /// Where spans go and how they are labelled.
    package struct Target: Sendable {
        package var name: String
        /// The full URL exports are POSTed to.
        package var url: String
        /// Extra request headers (authentication); their values are secrets.
        package var headers: [(name: String, value: Secret)]
        package var flavor: SpanMapper.Flavor
        /// A fixed `session.id` for every span; nil for one session per run.
        package var sessionID: String? = nil
        /// The `user.id` every span carries, when configured.
        package var userID: String? = nil
        package var batchSpans: Int
        package var maxRequestBytes: Int
        package var maxAttributeBytes: Int
        package var timeout: Duration
        /// Where `check` asks for the server's version, when the server has such an endpoint.
        package var healthURL: String?
        package var tls = TLSSettings()
    }

    package var name: String { target.name }
    package let target: Target
    private let client: HTTPClient
    private let logger: Logger
    private let mapper: SpanMapper
    private let encoder = OTLPJSONEncoder()
    private let delivery = HTTPDelivery()

    package init(target: Target, client: HTTPClient? = nil, logger: Logger) {
        self.target = target
        self.client = client ?? HTTPClients.client(for: target.tls)
        self.mapper = SpanMapper(
            flavor: target.flavor, maxAttributeBytes: target.maxAttributeBytes, fixedSessionID: target.sessionID,
            userID: target.userID)
        var logger = logger
        logger[metadataKey: "sink.name"] = "\(target.name)"
        self.logger = logger
    }

    /// Langfuse's OTLP route, with Basic authentication and its ingestion version header.
    package static func langfuse(_ config: LangfuseSinkConfig, logger: Logger) -> OTLPExportSink {
        let credentials = Data("\(config.publicKey):\(config.secretKey.value)".utf8).base64EncodedString()
        return OTLPExportSink(
            target: Target(
                name: "langfuse", url: "\(config.host)/api/public/otel/v1/traces",
                headers: [("Authorization", Secret("Basic \(credentials)")), ("x-langfuse-ingestion-version", Secret("4"))],
                flavor: .langfuse, sessionID: config.sessionID, userID: config.userID, batchSpans: config.batchSpans,
                maxRequestBytes: config.maxRequestBytes,
                maxAttributeBytes: config.maxAttributeBytes, timeout: config.timeout,
                healthURL: "\(config.host)/api/public/health", tls: config.tls),
            logger: logger)
    }

    /// Any OTLP/HTTP collector (Jaeger, Tempo, Phoenix, an OpenTelemetry Collector).
    package static func collector(_ config: OTLPSinkConfig, logger: Logger) -> OTLPExportSink {
        OTLPExportSink(
            target: Target(
                name: "otlp", url: config.endpoint, headers: config.headers, flavor: .openTelemetry,
                batchSpans: config.batchSpans, maxRequestBytes: config.maxRequestBytes,
                maxAttributeBytes: config.maxAttributeBytes, timeout: config.timeout, healthURL: nil, tls: config.tls),
            logger: logger)
    }

    package func send(_ rows: [NormalizedRow]) async throws(SinkError) -> [Rejection] {
        try await delivery.send(rows) { pending in
            exports(of: pending.compactMap { row in mapper.span(for: row).map { (row, $0) } })
        } post: { (spans: [OTLPSpan]) async throws(SinkError) in
            try await post(spans)
        }
    }

    /// Cuts spans into exports of at most `batchSpans` spans and `maxRequestBytes` bytes.
    private func exports(of spans: [(row: NormalizedRow, payload: OTLPSpan)]) -> [[(row: NormalizedRow, payload: OTLPSpan)]] {
        BatchSplitter.chunks(spans, maxCount: target.batchSpans, maxBytes: target.maxRequestBytes, overhead: 512) {
            OTLPJSONEncoder.size(of: $0.payload)
        }
    }

    private func post(_ spans: [OTLPSpan]) async throws(SinkError) -> BatchSplitter.Answer {
        let response: HTTPExchange.Response
        do {
            response = try await HTTPExchange.execute(
                exportRequest(encoder.encode(spans)), client: client, timeout: target.timeout, logger: logger)
        } catch {
            throw SinkError.retryable("export to \(target.url) failed: \(HTTPExchange.describe(error))")
        }
        switch response.status {
        case 200...299:
            logger.debug("spans exported", metadata: ["batch.spans": "\(spans.count)"])
            return .accepted
        case 401, 403:
            throw SinkError.fatal(
                "\(target.flavor == .langfuse ? "Langfuse" : target.url) refused the credentials (HTTP \(response.status)"
                    + "\(response.problem)); check the keys or headers of sinks.\(target.name)")
        case 400, 413:
            return .refused("HTTP \(response.status)\(response.problem)")
        case 404:
            throw SinkError.retryable(
                "no OTLP endpoint at \(target.url) (HTTP 404)"
                    + (target.flavor == .langfuse ? "; Langfuse 3.99 or newer is needed" : ""))
        default:
            throw SinkError.retryable(
                "\(target.url) answered HTTP \(response.status)\(response.problem)", after: response.retryAfter)
        }
    }

    private func exportRequest(_ body: [UInt8]) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: target.url)
        request.method = .POST
        for (name, value) in target.headers { request.headers.add(name: name, value: value.value) }
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(body)
        return request
    }

    /// Asks the server's health endpoint (if any) for its version and checks that the credentials are accepted.
    /// - Returns: the server version (when it says) and one line per problem.
    package func verify() async -> (version: String?, problems: [String]) {
        var version: String?
        do {
            if let healthURL = target.healthURL {
                var health = HTTPClientRequest(url: healthURL)
                health.method = .GET
                let response = try await HTTPExchange.execute(health, client: client, timeout: target.timeout, logger: logger)
                guard response.status == 200 else {
                    return (nil, ["\(healthURL) says the server is not healthy (HTTP \(response.status)\(response.problem))"])
                }
                if let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] {
                    version = object["version"] as? String
                }
            }
            // An empty export stores nothing but goes through authentication.
            let probe = try await HTTPExchange.execute(
                exportRequest(Array(#"{"resourceSpans":[]}"#.utf8)), client: client, timeout: target.timeout,
                logger: logger)
            switch probe.status {
            case 200...299: return (version, [])
            case 401, 403:
                return (version, ["the server refused the credentials (HTTP \(probe.status)\(probe.problem))"])
            default:
                return (version, ["\(target.url) answered HTTP \(probe.status)\(probe.problem)"])
            }
        } catch {
            return (version, ["cannot reach \(target.url): \(HTTPExchange.describe(error))"])
        }
    }
}
