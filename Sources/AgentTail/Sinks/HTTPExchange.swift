import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// One HTTP request of a sink, with the answer read and summarized for error messages and retry decisions.
package enum HTTPExchange {
    /// A response with its body read (at most 64 KiB).
    package struct Response: Sendable {
        package var status: UInt
        package var body: [UInt8]
        /// The server's `Retry-After`, when given in seconds.
        package var retryAfter: Duration?

        /// The error code of a JSON error body (PostgREST's SQLSTATE or `PGRSTnnn`), when there is one.
        package var code: String? {
            guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else { return nil }
            return object["code"] as? String
        }

        /// `: CODE message` from a JSON error body, the start of any other body, or empty.
        package var problem: String {
            guard !body.isEmpty,
                let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]
            else { return body.isEmpty ? "" : ": " + String(decoding: body.prefix(200), as: UTF8.self) }
            let code = (object["code"] as? String).map { " \($0)" } ?? ""
            let text = (object["message"] as? String) ?? (object["error"] as? String)
            return code + (text.map { ": \($0)" } ?? "")
        }
    }

    /// What went wrong with a request that got no answer, in words that say what to do about TLS problems.
    package static func describe(_ error: any Error) -> String {
        let text = "\(error)"
        if text.contains("CERTIFICATE_VERIFY_FAILED") {
            return "the server's TLS certificate is not trusted (CERTIFICATE_VERIFY_FAILED); if a private CA signed "
                + "it, give that CA's PEM file as the sink's ca_file"
        }
        if text.contains("failedToValidateHostname") {
            return "the server's TLS certificate does not name this host; use the host name the certificate was made for"
        }
        if text.contains("Connection refused") || text.contains("errno: 111") {
            return "connection refused: nothing listens at that address; check the URL and that the server is up"
        }
        if text.contains("deadlineExceeded") || text.contains("readTimeout") || text.contains("connectTimeout") {
            return "no answer within the sink's timeout (\(text))"
        }
        return text
    }

    /// Sends `request` and reads the whole answer within `timeout`.
    ///
    /// The HTTP client logs at most at debug level: its trace level prints every response part, and answers may echo
    /// what was sent.
    package static func execute(
        _ request: HTTPClientRequest, client: HTTPClient, timeout: Duration, logger: Logger
    ) async throws -> Response {
        let seconds = max(1, timeout.components.seconds)
        var clientLogger = logger
        clientLogger.logLevel = max(logger.logLevel, .debug)
        let response = try await client.execute(request, timeout: .seconds(seconds), logger: clientLogger)
        let body = try await response.body.collect(upTo: 64 << 10)
        let retryAfter = response.headers.first(name: "Retry-After").flatMap { retryDelay($0, now: Date()) }
        return Response(status: response.status.code, body: Array(buffer: body), retryAfter: retryAfter)
    }

    /// The wait a `Retry-After` header asks for: delay-seconds or an HTTP date (RFC 9110), at most an hour.
    package static func retryDelay(_ header: String, now: Date) -> Duration? {
        let text = header.trimmingCharacters(in: .whitespaces)
        if let seconds = Int(text) {
            return seconds >= 0 ? .seconds(min(seconds, 3600)) : nil
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        guard let date = formatter.date(from: text) else { return nil }
        let seconds = max(0, min(3600, Int(date.timeIntervalSince(now).rounded(.up))))
        return .seconds(seconds)
    }
}
