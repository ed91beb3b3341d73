import AgentTail
import NIOCore
import NIOHTTP1
import Testing

@Suite("Who may look at the dashboard")
struct DashboardAccessTests {
    private func request(_ uri: String, _ headers: [String: String]) -> DashboardRequest {
        DashboardRequest(method: "GET", uri: uri, headers: headers)
    }

    @Test func thisMachineOnlyAndOnlyByALocalName() throws {
        let local = try SocketAddress(ipAddress: "127.0.0.1", port: 50_000)
        for host in ["127.0.0.1:8377", "localhost", "localhost:8377", "[::1]:8377", "127.0.0.2"] {
            #expect(DashboardAccess.loopback.refusal(request("/", ["host": host]), peer: local) == nil, "\(host)")
        }
        for host in ["evil.example", "127.0.0.1.evil.example", "", "0.0.0.0:8377"] {
            #expect(DashboardAccess.loopback.refusal(request("/", ["host": host]), peer: local)?.status == .forbidden, "\(host)")
        }
        let other = try SocketAddress(ipAddress: "192.0.2.9", port: 50_000)
        #expect(DashboardAccess.loopback.refusal(request("/", ["host": "127.0.0.1"]), peer: other)?.status == .forbidden)
    }

    @Test func otherMachinesShowTheTokenOnceAndKeepItInACookie() throws {
        let access = DashboardAccess.token("s3cret-token-0123456789")
        let peer = try SocketAddress(ipAddress: "192.0.2.9", port: 50_000)
        #expect(access.refusal(request("/", [:]), peer: peer)?.status == .unauthorized)
        #expect(access.refusal(request("/", ["authorization": "Bearer s3cret-token-0123456789"]), peer: peer) == nil)
        #expect(access.refusal(request("/", ["authorization": "Bearer s3cret-token-012345678"]), peer: peer)?.status == .unauthorized)
        #expect(access.refusal(request("/", ["cookie": "a=b; agenttail_ui=s3cret-token-0123456789"]), peer: peer) == nil)
        let opened = try #require(access.refusal(request("/sessions?token=s3cret-token-0123456789&status=failed", [:]), peer: peer))
        #expect(opened.status == .seeOther)
        #expect(opened.headers.first { $0.0 == "Location" }?.1 == "/sessions?status=failed")
        let cookie = try #require(opened.headers.first { $0.0 == "Set-Cookie" }?.1)
        #expect(cookie.hasPrefix("agenttail_ui=s3cret-token-0123456789;") && cookie.contains("HttpOnly"))
    }

    @Test func pathsAndQueriesAreDecodedAndEmptyValuesDropped() {
        let parsed = request("/sessions/a%20b?text=x+y&status=&q=%3Cs%3E&broken=%E0%A4", [:])
        #expect(parsed.path == ["sessions", "a b"])
        #expect(parsed.query == ["text": "x y", "q": "<s>", "broken": "%E0%A4"])
        #expect(DashboardRequest.link("/errors", [("fingerprint", "File not found: <path>"), ("source", nil)])
            == "/errors?fingerprint=File%20not%20found%3A%20%3Cpath%3E")
    }
}
