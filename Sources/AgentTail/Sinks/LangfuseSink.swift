import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Exports agent runs to Langfuse over OTLP/HTTP (`/api/public/otel/v1/traces`): a session is a trace, LLM calls
/// generations, tools tool observations, parser errors events.
///
/// Each span is sent once it is complete (a session's root span when the session ends) and always encodes to the
/// same bytes, so a resend after a crash or a retry is the same span, never a changed one. An export Langfuse refuses
/// with 400 is split until the bad span is alone; only that one is rejected.
package final class LangfuseSink: Sink {
    package let name = "langfuse"
    package let config: LangfuseSinkConfig
    private let client: HTTPClient
    private let logger: Logger
    private let mapper: LangfuseSpanMapper
    private let encoder = OTLPJSONEncoder()
    /// What this batch already got through, so that a retry sends only what is left.
    private let memory = DeliveryMemory()

    package init(config: LangfuseSinkConfig, client: HTTPClient = .shared, logger: Logger) {
        self.config = config
        self.client = client
        self.mapper = LangfuseSpanMapper(maxAttributeBytes: config.maxAttributeBytes)
        var logger = logger
        logger[metadataKey: "sink.name"] = "langfuse"
        self.logger = logger
    }

    package func send(_ rows: [NormalizedRow]) async throws(SinkError) -> [Rejection] {
        let (pending, known) = memory.unsettled(rows)
        var rejections = known
        var progressed = false
        let spans = pending.compactMap { row in mapper.span(for: row).map { (row, $0) } }
        for export in exports(of: spans) {
            do {
                rejections += try await BatchSplitter.deliver(
                    export, post: { (part) async throws(SinkError) in try await post(part.map(\.1)) },
                    settled: { accepted, refused in
                        progressed = true
                        memory.settle(accepted: accepted.map(\.0), refused: refused.map { ($0.item.0, $0.reason) })
                    }
                ).map { Rejection(id: $0.item.0.id, reason: $0.reason) }
            } catch .retryable(let message, let after, _) {
                throw .retryable(message, after: after, progressed: progressed)
            } catch {
                throw error
            }
        }
        memory.clear()
        return rejections
    }

    /// Cuts spans into exports of at most `batchSpans` spans and `maxRequestBytes` bytes.
    private func exports(of spans: [(NormalizedRow, OTLPSpan)]) -> [[(NormalizedRow, OTLPSpan)]] {
        var result: [[(NormalizedRow, OTLPSpan)]] = []
        var current: [(NormalizedRow, OTLPSpan)] = []
        var bytes = 512
        for span in spans {
            let size = OTLPJSONEncoder.size(of: span.1)
            if !current.isEmpty, current.count >= config.batchSpans || bytes + size > config.maxRequestBytes {
                result.append(current)
                current = []
                bytes = 512
            }
            current.append(span)
            bytes += size
        }
        if !current.isEmpty { result.append(current) }
        return result
    }

    private func post(_ spans: [OTLPSpan]) async throws(SinkError) -> BatchSplitter.Answer {
        let response: HTTPExchange.Response
        do {
            response = try await HTTPExchange.execute(
                exportRequest(encoder.encode(spans)), client: client, timeout: config.timeout, logger: logger)
        } catch {
            throw SinkError.retryable("Langfuse export failed: \(error)")
        }
        switch response.status {
        case 200...299:
            logger.debug("spans exported", metadata: ["batch.spans": "\(spans.count)"])
            return .accepted
        case 401, 403:
            throw SinkError.fatal(
                "Langfuse refused the keys (HTTP \(response.status)\(response.problem)); check sinks.langfuse.public_key, "
                    + "secret_key and host")
        case 400, 413:
            return .refused("HTTP \(response.status)\(response.problem)")
        case 404:
            throw SinkError.retryable(
                "no OTLP endpoint at \(config.host)/api/public/otel/v1/traces (HTTP 404); Langfuse 3.99 or newer is needed")
        default:
            throw SinkError.retryable(
                "Langfuse answered HTTP \(response.status)\(response.problem)", after: response.retryAfter)
        }
    }

    private func exportRequest(_ body: [UInt8]) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: "\(config.host)/api/public/otel/v1/traces")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Basic \(credentials)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "x-langfuse-ingestion-version", value: "4")
        request.body = .bytes(body)
        return request
    }

    private var credentials: String {
        Data("\(config.publicKey):\(config.secretKey.value)".utf8).base64EncodedString()
    }

    /// Asks the server's health endpoint for its version and checks that the keys are accepted.
    /// - Returns: the server version (when it says) and one line per problem.
    package func verify() async -> (version: String?, problems: [String]) {
        var version: String?
        do {
            var health = HTTPClientRequest(url: "\(config.host)/api/public/health")
            health.method = .GET
            let response = try await HTTPExchange.execute(health, client: client, timeout: config.timeout, logger: logger)
            guard response.status == 200 else {
                return (nil, ["Langfuse at \(config.host) is not healthy (HTTP \(response.status)\(response.problem))"])
            }
            if let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] {
                version = object["version"] as? String
            }
            // An empty export stores nothing but goes through authentication.
            let probe = try await HTTPExchange.execute(
                exportRequest(Array(#"{"resourceSpans":[]}"#.utf8)), client: client, timeout: config.timeout,
                logger: logger)
            switch probe.status {
            case 200...299: return (version, [])
            case 401, 403:
                return (version, ["Langfuse refused the keys (HTTP \(probe.status)\(probe.problem)); check public_key and secret_key"])
            default:
                return (version, ["Langfuse's OTLP endpoint answered HTTP \(probe.status)\(probe.problem)"])
            }
        } catch {
            return (version, ["cannot reach Langfuse at \(config.host): \(error)"])
        }
    }
}
