import NIOHTTP1

/// What the dashboard answers: a page, an asset, an error, or a stream of server-sent events.
package struct DashboardResponse: Sendable {
    package var status: HTTPResponseStatus
    package var contentType: String
    package var body: [UInt8]
    package var headers: [(String, String)] = []
    /// For `text/event-stream`: the events, each already framed (`event: ...\ndata: ...\n\n`).
    package var events: AsyncStream<String>?

    package static func html(_ text: String, status: HTTPResponseStatus = .ok) -> DashboardResponse {
        DashboardResponse(status: status, contentType: "text/html; charset=utf-8", body: Array(text.utf8))
    }

    package static func text(_ text: String, status: HTTPResponseStatus) -> DashboardResponse {
        DashboardResponse(status: status, contentType: "text/plain; charset=utf-8", body: Array((text + "\n").utf8))
    }

    package static func events(_ stream: AsyncStream<String>) -> DashboardResponse {
        DashboardResponse(status: .ok, contentType: "text/event-stream", body: [], events: stream)
    }

    /// The headers every answer carries: no script, style or image but the dashboard's own, no framing, no
    /// sniffing, nothing kept in caches.
    static let common: [(String, String)] = [
        (
            "Content-Security-Policy",
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
                + "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
        ),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "no-referrer"),
        ("Cache-Control", "no-store"),
    ]
}
