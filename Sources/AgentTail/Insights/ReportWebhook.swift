import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Posts a report to a chat webhook as Slack's incoming webhooks take it: `{"text": "..."}` in JSON. Mattermost,
/// Rocket.Chat and others take the same.
///
/// The URL of such a webhook is its credential: it never appears in a message, only its host does.
package struct ReportWebhook: Sendable {
    /// Why the report did not reach the webhook.
    package struct Problem: Error, CustomStringConvertible {
        package var description: String

        package init(description: String) {
            self.description = description
        }
    }

    /// Slack cuts a message's text at 40,000 characters; stay below with room for the note.
    package static let textLimit = 39_000

    private let url: URL
    private let host: String

    /// Checks `address`: https, or http to this machine only.
    package init(_ address: String) throws(Problem) {
        let trimmed = address.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let url = URL(string: trimmed), let scheme = url.scheme?.lowercased(), let host = url.host,
            !host.isEmpty
        else {
            throw Problem(description: "the webhook is not a URL; give it as https://hooks.example.com/...")
        }
        let loopback = ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host.lowercased())
        guard scheme == "https" || (scheme == "http" && loopback) else {
            throw Problem(
                description: "the webhook at \(host) must be https: its URL is a credential and would cross the "
                    + "network in the clear")
        }
        self.url = url
        self.host = host
    }

    /// Posts `text` (cut to `textLimit` with a note) and returns when the webhook accepted it.
    package func post(_ text: String, timeout: TimeAmount = .seconds(30)) async throws(Problem) {
        var text = text
        if text.count > Self.textLimit {
            text = String(text.prefix(Self.textLimit)) + "\n\n… (cut: the whole report is longer than a chat message)"
        }
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        request.headers.add(name: "User-Agent", value: "agenttail/\(AgentTail.version)")
        let body: Data
        do {
            body = try JSONSerialization.data(withJSONObject: ["text": text], options: [.withoutEscapingSlashes])
        } catch {
            throw Problem(description: "the report could not be written as JSON: \(error)")
        }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response: HTTPClientResponse
        let answer: String
        do {
            response = try await HTTPClients.client(for: TLSSettings()).execute(request, timeout: timeout)
            answer = String(buffer: try await response.body.collect(upTo: 64 * 1024))
        } catch {
            throw Problem(
                description: "the webhook at \(host) could not be reached: \(HTTPExchange.describe(error))")
        }
        guard (200..<300).contains(response.status.code) else {
            let reason = ReportText.cut(ReportText.terminal(answer), to: 200)
            throw Problem(
                description: "the webhook at \(host) refused the report: HTTP \(response.status.code) \(reason)"
                    + (response.status.code == 404 || response.status.code == 403
                        ? "; the webhook may have been removed or its URL mistyped" : ""))
        }
    }
}
