import Foundation
import GRDB

extension DashboardSite {
    /// Server-sent events that tell a live page to refresh: `change` when the store changed (for `?session=ID`, when
    /// that session's rows did), and a comment now and then so that the connection stays open.
    func events(_ request: DashboardRequest) async -> DashboardResponse {
        let session = request.query["session"]
        let ticks = await changes.listen()
        let reader = self.reader
        let (events, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(4))
        let producer = Task {
            continuation.yield("retry: 1000\n\n")
            var seen: String?
            if let session { seen = try? await reader.signature(ofSession: session) }
            for await tick in ticks {
                switch tick {
                case .quiet:
                    continuation.yield(": quiet\n\n")
                case .changed:
                    guard let session else {
                        continuation.yield("event: change\ndata: store\n\n")
                        continue
                    }
                    let now = try? await reader.signature(ofSession: session)
                    if now != seen {
                        seen = now
                        continuation.yield("event: change\ndata: session\n\n")
                    }
                }
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in producer.cancel() }
        return .events(events)
    }
}

extension RecordReader {
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
}
