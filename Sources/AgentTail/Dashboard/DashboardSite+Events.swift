import Foundation
import GRDB

extension DashboardSite {
    /// Server-sent events that tell a live page to refresh: `change` when the store's rows changed (for
    /// `?session=ID`, when that session's did), and a comment now and then so that the connection stays open.
    ///
    /// `seen` is the signature the page was made from: a change committed between the page and this connection is
    /// told at once rather than missed.
    func events(_ request: DashboardRequest) async -> DashboardResponse {
        let session = request.query["session"]
        let ticks = await changes.listen()
        let reader = self.reader
        let (events, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(4))
        var seen = request.query["seen"]
        let producer = Task {
            continuation.yield("retry: 1000\n\n")
            func changed() async -> Bool {
                let now = try? await reader.signature(of: session)
                defer { if let now { seen = now } }
                return now != nil && now != seen  // a store that appeared after the page changed too
            }
            if await changed() { continuation.yield("event: change\ndata: \(session == nil ? "store" : "session")\n\n") }
            for await tick in ticks {
                switch tick {
                case .quiet:
                    continuation.yield(": quiet\n\n")
                case .changed:
                    if await changed() {
                        continuation.yield("event: change\ndata: \(session == nil ? "store" : "session")\n\n")
                    }
                }
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in producer.cancel() }
        return .events(events)
    }

    /// Where a live page listens, with the signature of what it shows.
    func liveAddress(session: String? = nil) async -> String {
        let seen = try? await reader.signature(of: session)
        return DashboardRequest.link("/events", [("session", session), ("seen", seen)])
    }
}

extension RecordReader {
    /// The signature of session `id`, or of the whole store when no session is named.
    package func signature(of session: String?) async throws -> String {
        if let session { try await signature(ofSession: session) } else { try await storeSignature() }
    }

    /// What changes when any row of the session does: its own row's revision and the count, the ends and the
    /// measured figures of its calls and tool runs.
    package func signature(ofSession id: String) async throws -> String {
        try await read { db in
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT (SELECT revision || '/' || coalesce(status, '') || '/' || coalesce(ended_at, '')
                            FROM agent_sessions WHERE id = ?1),
                           (SELECT count(*) || '/' || count(ended_at) || '/' || coalesce(max(ended_at), '')
                            FROM llm_calls WHERE session_id = ?1),
                           (SELECT count(*) || '/' || count(success) || '/' || total(peak_rss_bytes) || '/'
                                   || coalesce(max(ended_at), '')
                            FROM tool_executions WHERE session_id = ?1),
                           (SELECT count(*) || '' FROM agent_errors WHERE session_id = ?1)
                    """,
                arguments: [id.lowercased()])
            return (0..<4).map { (row?[$0] as String?) ?? "-" }.joined(separator: " ")
        }
    }

    /// What changes when rows are written anywhere in the store: the sessions' count and revisions, and the last
    /// row of the other tables (each read from the end of its table, in constant time).
    package func storeSignature() async throws -> String {
        try await read { db in
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT (SELECT count(*) || '/' || total(revision) FROM agent_sessions),
                           (SELECT coalesce(max(rowid), 0) || '' FROM llm_calls),
                           (SELECT coalesce(max(rowid), 0) || '' FROM tool_executions),
                           (SELECT coalesce(max(rowid), 0) || '' FROM agent_errors)
                    """)
            return (0..<4).map { (row?[$0] as String?) ?? "-" }.joined(separator: " ")
        }
    }
}
