import Foundation
import NIOCore
import NIOHTTP1

/// Who may look at the dashboard: this machine only, or whoever presents the token.
package enum DashboardAccess: Sendable, Equatable {
    /// Requests from loopback addresses, naming a loopback host (so that a web page cannot reach the dashboard
    /// through the browser by rebinding a name of its own to 127.0.0.1).
    case loopback
    /// Any address, with the token: as `Authorization: Bearer TOKEN`, as the cookie that opening `/?token=TOKEN`
    /// sets, or in that query itself.
    case token(String)

    /// The cookie that carries the token after the first visit.
    static let cookie = "agenttail_ui"

    /// Nil when `request` from `peer` may be answered; otherwise the refusal.
    package func refusal(_ request: DashboardRequest, peer: SocketAddress?) -> DashboardResponse? {
        switch self {
        case .loopback:
            guard let peer, Self.isLoopback(peer) else {
                return .text(
                    "agenttail ui answers this machine only; start it with --allow-remote and a token to open it to "
                        + "others", status: .forbidden)
            }
            let host = request.headers["host"] ?? ""
            guard Self.isLoopbackHost(host) else {
                return .text("agenttail ui answers requests for localhost only, not for '\(host)'", status: .forbidden)
            }
            return nil
        case .token(let token):
            if let bearer = request.headers["authorization"], bearer.hasPrefix("Bearer "),
                Self.same(String(bearer.dropFirst(7)), token)
            {
                return nil
            }
            if Self.cookies(request.headers["cookie"])[Self.cookie].map({ Self.same($0, token) }) == true { return nil }
            if let given = request.query["token"], Self.same(given, token) {
                // Keep it in a cookie the browser sends back, and take it out of the address bar.
                var rest = request.query
                rest["token"] = nil
                let target = DashboardRequest.link(
                    "/" + request.path.map(DashboardRequest.encode).joined(separator: "/"),
                    rest.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
                var response = DashboardResponse.text("opening \(target)", status: .seeOther)
                response.headers = [
                    ("Location", target),
                    ("Set-Cookie", "\(Self.cookie)=\(token); HttpOnly; SameSite=Strict; Path=/"),
                ]
                return response
            }
            var response = DashboardResponse.text(
                "agenttail ui needs its token: open /?token=TOKEN once, or send Authorization: Bearer TOKEN",
                status: .unauthorized)
            response.headers = [("WWW-Authenticate", "Bearer")]
            return response
        }
    }

    static func isLoopback(_ address: SocketAddress) -> Bool {
        guard let ip = address.ipAddress else { return address.protocol == .unix }
        return ip.hasPrefix("127.") || ip == "::1" || ip.hasPrefix("::ffff:127.")
    }

    /// `Host` names this machine: 127.x.x.x, localhost or [::1], with or without a port.
    static func isLoopbackHost(_ host: String) -> Bool {
        var name = host.lowercased()
        if name.hasPrefix("[") {
            name = String(name.dropFirst().prefix { $0 != "]" })
        } else if let colon = name.firstIndex(of: ":") {
            name = String(name[..<colon])
        }
        return name == "localhost" || name == "::1" || (name.hasPrefix("127.") && name.split(separator: ".").count == 4)
    }

    /// The cookies of a `Cookie` header, by name.
    static func cookies(_ header: String?) -> [String: String] {
        var cookies: [String: String] = [:]
        for part in (header ?? "").split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { continue }
            cookies[pair[0].trimmingCharacters(in: .whitespaces)] = pair[1].trimmingCharacters(in: .whitespaces)
        }
        return cookies
    }

    /// Compares in time that depends on the lengths only, so that timing tells nothing of the token.
    static func same(_ given: String, _ token: String) -> Bool {
        let a = Array(given.utf8)
        let b = Array(token.utf8)
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
