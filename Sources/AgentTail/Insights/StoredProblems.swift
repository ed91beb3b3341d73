import Foundation
import GRDB

/// The problems each ended session shows by itself, kept in the embedded store from when the session ends.
///
/// A report over months would otherwise read every tool run of the period again to look for loops, rereads and
/// failing streaks. The store finds them once, in the transaction that writes a session's rows, and again whenever
/// rows of an ended session change; a session still running is looked at by the report itself. A check records the
/// finder's version, so that what an older version found is not trusted.
package enum StoredProblems {
    /// The tables, created by a migration of the store. Both carry the session's start, so that a report finds
    /// what was kept for the sessions of its period by a range of an index, in the order it lists them.
    static let schema = """
        CREATE TABLE session_problem_checks (
            session_id TEXT PRIMARY KEY NOT NULL, started_at TEXT, finder INTEGER NOT NULL) WITHOUT ROWID;
        CREATE INDEX session_problem_checks_started ON session_problem_checks (started_at, session_id, finder);
        CREATE TABLE session_problems (
            session_id TEXT NOT NULL, ordinal INTEGER NOT NULL, started_at TEXT, kind TEXT NOT NULL,
            explanation TEXT NOT NULL, evidence TEXT NOT NULL, PRIMARY KEY (session_id, ordinal)) WITHOUT ROWID;
        CREATE INDEX session_problems_started ON session_problems (started_at);
        """

    /// Looks again at the sessions `ids` after their rows were written: an ended one is checked and its problems
    /// kept; one still running (or not yet written) loses what was kept for it.
    static func refresh(_ ids: some Sequence<String>, in db: Database) throws {
        var rows = try ProblemSessionRows(db)
        let finder = ProblemFinder()
        for id in ids {
            try db.cachedStatement(sql: "DELETE FROM session_problems WHERE session_id = ?").execute(arguments: [id])
            guard let (found, start) = try rows.session(id), found.status != "running" else {
                try db.cachedStatement(sql: "DELETE FROM session_problem_checks WHERE session_id = ?")
                    .execute(arguments: [id])
                continue
            }
            var session = found
            try rows.addTools(to: &session)
            if finder.needsCalls(session) { try rows.addCalls(to: &session) }
            for (ordinal, problem) in finder.sessionProblems(in: session).enumerated() {
                try db.cachedStatement(
                    sql: """
                        INSERT INTO session_problems (session_id, ordinal, started_at, kind, explanation, evidence)
                        VALUES (?, ?, ?, ?, ?, ?)
                        """
                ).execute(arguments: [
                    id, ordinal, start, problem.kind, problem.explanation, try Self.json(problem.evidence),
                ])
            }
            try db.cachedStatement(
                sql: """
                    INSERT INTO session_problem_checks (session_id, started_at, finder) VALUES (?, ?, ?)
                    ON CONFLICT(session_id) DO UPDATE SET started_at = excluded.started_at, finder = excluded.finder
                    """
            ).execute(arguments: [id, start, ProblemFinder.version])
        }
    }

    /// Checks the ended sessions that have no check of this version (the sessions of a store written before
    /// problems were kept, or by an older finder), a thousand per transaction; the number checked.
    static func backfill(_ writer: any DatabaseWriter) throws -> Int {
        var checked = 0
        while true {
            let done = try writer.write { db in
                let ids = try String.fetchAll(
                    db,
                    sql: """
                        SELECT s.id FROM agent_sessions AS s
                        LEFT JOIN session_problem_checks AS c ON c.session_id = s.id AND c.finder = ?
                        WHERE c.session_id IS NULL AND s.status <> 'running' LIMIT 1000
                        """,
                    arguments: [ProblemFinder.version])
                try refresh(ids, in: db)
                return ids.count
            }
            checked += done
            if done < 1000 { return checked }
        }
    }

    /// The sessions that started in `window` and were checked by this version of the finder, by id.
    static func checked(_ window: LocalReportReader.Window, _ db: Database) throws -> Set<String> {
        try String.fetchSet(
            db,
            sql: """
                SELECT session_id FROM session_problem_checks
                WHERE started_at >= ? AND started_at < ? AND finder = ?
                """,
            arguments: [window.from, window.to, ProblemFinder.version])
    }

    /// The problems kept for the sessions that started in `window`, each session's in order; only those of
    /// sessions `checked` holds count.
    static func read(_ window: LocalReportReader.Window, _ db: Database) throws -> [String: [Report.Problem]] {
        var problems: [String: [Report.Problem]] = [:]
        let rows = try Row.fetchCursor(
            db,
            sql: """
                SELECT session_id, kind, explanation, evidence FROM session_problems
                WHERE started_at >= ? AND started_at < ? ORDER BY session_id, ordinal
                """,
            arguments: [window.from, window.to])
        let decoder = JSONDecoder()
        while let row = try rows.next() {
            let id: String = row[0]
            let evidence = try decoder.decode([String].self, from: Data((row[3] as String).utf8))
            problems[id, default: []].append(
                Report.Problem(kind: row[1], sessionId: id, explanation: row[2], evidence: evidence))
        }
        return problems
    }

    private static func json(_ ids: [String]) throws -> String {
        String(decoding: try JSONEncoder().encode(ids), as: UTF8.self)
    }
}
