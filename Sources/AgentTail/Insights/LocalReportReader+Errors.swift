import AgentTailCore
import GRDB

extension LocalReportReader {
    /// What the errors tell a report.
    struct ErrorFacts: Sendable {
        /// The period's most frequent patterns, each with its latest message.
        var patterns: [Report.ErrorPattern] = []
        /// Occurrences of each pattern (keyed `SOURCE FINGERPRINT`) by day of the timeline (`YYYY-MM-DD`).
        var byDay: [String: [String: Int]] = [:]
    }

    /// One pass over the errors from the timeline's first day to the period's end, in the covering index's order.
    static func errors(_ query: ReportQuery, _ plan: ReportPlan, _ db: Database) throws -> ErrorFacts {
        /// A pattern's occurrences in the period.
        struct Tally {
            var count = 0
            var sessions = Set<String>()
            var firstSeen: String?
            var lastSeen: String?
        }
        struct Pattern: Hashable {
            var source: Int?
            var fingerprint: Int?
        }
        var sources = TextNumbers()
        var fingerprints = TextNumbers()
        var days = TextNumbers()
        var tallies: [Pattern: Tally] = [:]
        var byDay: [[Pattern: Int]] = []  // by day number
        let periodFrom = Array(query.period.from.rfc3339.utf8)
        let rows = try ColumnScan(
            db,
            sql: """
                SELECT occurred_at, source, fingerprint, session_id FROM agent_errors
                WHERE occurred_at >= ? AND occurred_at < ? ORDER BY occurred_at
                """,
            arguments: [plan.firstDay.rfc3339, query.period.to.rfc3339])
        while try rows.next() {
            guard let occurred = rows.bytes(0), let day = rows.text(0, in: &days, prefix: 10) else { continue }
            let pattern = Pattern(source: rows.text(1, in: &sources), fingerprint: rows.text(2, in: &fingerprints))
            if day == byDay.count { byDay.append([:]) }
            byDay[day][pattern, default: 0] += 1
            guard ReportPlan.compare(occurred, periodFrom) >= 0 else { continue }
            let time = String(decoding: occurred, as: UTF8.self)
            tallies[pattern, default: Tally()].count += 1
            if let session = rows.text(3) { tallies[pattern]!.sessions.insert(session) }
            // In the index's order: the first seen is the first read, the last seen the last.
            if tallies[pattern]!.firstSeen == nil { tallies[pattern]!.firstSeen = time }
            tallies[pattern]!.lastSeen = time
        }
        func source(_ pattern: Pattern) -> String { pattern.source.map { sources[$0] } ?? "" }
        func fingerprint(_ pattern: Pattern) -> String? { pattern.fingerprint.map { fingerprints[$0] } }
        var facts = ErrorFacts()
        for (day, counts) in byDay.enumerated() {
            facts.byDay[days[day]] = Dictionary(
                uniqueKeysWithValues: counts.map { ("\(source($0.key)) \(fingerprint($0.key) ?? "")", $0.value) })
        }
        // As SQL orders them: by count, then source and fingerprint by their bytes, no fingerprint first.
        let top = tallies.sorted { left, right in
            if left.value.count != right.value.count { return left.value.count > right.value.count }
            let (leftSource, rightSource) = (source(left.key), source(right.key))
            if leftSource != rightSource { return leftSource.utf8.lexicographicallyPrecedes(rightSource.utf8) }
            guard let rightPrint = fingerprint(right.key) else { return false }
            guard let leftPrint = fingerprint(left.key) else { return true }
            return leftPrint.utf8.lexicographicallyPrecedes(rightPrint.utf8)
        }.prefix(query.errorLimit)
        // The example: the latest message (the first by id among those logged at the same moment).
        let example = try db.makeStatement(
            sql: """
                SELECT message FROM agent_errors WHERE occurred_at = ? AND source IS ? AND fingerprint IS ?
                ORDER BY id LIMIT 1
                """)
        facts.patterns = try top.map { pattern, tally in
            let message = try String.fetchOne(
                example,
                arguments: [tally.lastSeen, pattern.source.map { sources[$0] }, fingerprint(pattern)])
            return Report.ErrorPattern(
                source: source(pattern), fingerprint: fingerprint(pattern) ?? "", count: tally.count,
                sessions: tally.sessions.count, example: ReportText.cut(message ?? "", to: query.textLimit),
                firstSeen: tally.firstSeen.flatMap(Report.timestamps.parse),
                lastSeen: tally.lastSeen.flatMap(Report.timestamps.parse))
        }
        return facts
    }
}
