import Foundation
import GRDB
import Testing

@testable import AgentTail
import AgentTailTestSupport

/// A store written by an earlier agenttail keeps its rows and gains the new columns when opened.
struct LocalStoreMigrationTests {
    @Test func aStoreFromBeforeCostAndWorkspaceGainsTheirColumns() async throws {
        let folder = try TemporaryFolder()
        let path = folder.file("events.sqlite")
        // The store as the two earlier migrations left it, with one session row.
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
                    INSERT INTO grdb_migrations VALUES ('v1'), ('v2: session revisions');
                    CREATE TABLE agent_sessions (id TEXT PRIMARY KEY NOT NULL, agent TEXT, host TEXT, source_path TEXT,
                        started_at TEXT, ended_at TEXT, status TEXT, task TEXT, final_output TEXT, llm_calls INTEGER,
                        tool_calls INTEGER, tool_errors INTEGER, duration_ms INTEGER, metadata TEXT, revision INTEGER);
                    CREATE TABLE llm_calls (id TEXT PRIMARY KEY NOT NULL, session_id TEXT, seq INTEGER, started_at TEXT,
                        ended_at TEXT, latency_ms INTEGER, model TEXT, input TEXT, output TEXT, thinking TEXT,
                        tool_call_count INTEGER, finish_reason TEXT, status TEXT, prompt_tokens INTEGER,
                        completion_tokens INTEGER, metadata TEXT);
                    CREATE TABLE tool_executions (id TEXT PRIMARY KEY NOT NULL, session_id TEXT, llm_call_id TEXT,
                        tool_call_id TEXT, tool_name TEXT, category TEXT, arguments TEXT, success INTEGER, result TEXT,
                        error TEXT, started_at TEXT, ended_at TEXT, duration_ms INTEGER, metadata TEXT);
                    CREATE TABLE agent_errors (id TEXT PRIMARY KEY NOT NULL, session_id TEXT, source TEXT,
                        tool_name TEXT, message TEXT, fingerprint TEXT, occurred_at TEXT, related_id TEXT, metadata TEXT);
                    INSERT INTO agent_sessions (id, agent, host, status, llm_calls, tool_calls, tool_errors, metadata,
                        revision) VALUES ('00000000-0000-0000-0000-000000000001', 'mini-agent', 'h', 'completed', 2, 1, 0,
                        '{}', 8);
                    """)
        }
        try queue.close()

        let store = try LocalStore(path: path)
        let old = try await store.dump(.agentSessions)
        #expect(old.count == 1 && old[0]["status"] == #""completed""# && old[0]["cost_usd"] == "NULL")
        let call = NormalizedRow(
            table: .llmCalls, id: UUID(),
            values: [
                "session_id": .uuid(UUID()), "seq": .int(1), "status": .text("interrupted"), "prompt_tokens": .int(1104),
                "cache_read_tokens": .int(1000), "cache_creation_tokens": .int(100),
                "cost_usd": .usd(USDAmount(nanos: 1_287_000)), "metadata": .json("{}"),
            ])
        try store.writeBlocking([call])
        let calls = try await store.dump(.llmCalls)
        #expect(calls.map { [$0["status"], $0["cache_read_tokens"], $0["cache_creation_tokens"], $0["cost_usd"]] }
            == [[#""interrupted""#, "1000", "100", "0.001287"]])
    }
}
