import AgentTail
import AgentTailCore
import AgentTailTestSupport
import Foundation
import GRDB
import Testing

/// Three weeks of a busy agent, day by day: many sessions on weekdays, few at weekends, each with a few bash and
/// read_file runs and LLM calls, with noise. A scenario changes what happens on some days.
private struct Workload {
    /// The day the report covers: Monday 2026-11-30, after a quiet weekend.
    static let reportDay = "2026-11-30"
    static let firstDay = Report.timestamps.parse("2026-11-09T00:00:00Z")!

    var seed: UInt64 = 1
    /// Multiplies bash durations on a day (0 is the first day, 21 the report day).
    var bashSlowdown: (Int) -> Double = { _ in 1 }
    /// The failure rate of read_file on a day.
    var readFailureRate: (Int) -> Double = { _ in 0.02 }
    /// Multiplies the cost of sessions on a day.
    var costGrowth: (Int) -> Double = { _ in 1 }
    /// Sessions on a day, by weekday (0 is the first day, a Monday).
    var sessionsOnDay: (Int) -> Int = { day in day % 7 >= 5 ? 8 : 40 }

    func seed(into store: SeededStore) throws {
        var random = SeededGenerator(seed: seed)
        func noise(_ spread: Double) -> Double { exp(Double.random(in: -spread...spread, using: &random)) }
        try store.write { db in
            for day in 0...21 {
                let dayStart = Self.firstDay.addingTimeInterval(Double(day) * 86_400)
                for index in 0..<sessionsOnDay(day) {
                    let start = dayStart.addingTimeInterval(Double(index) * 600 + 60)
                    let session = "s-\(day)-\(index)"
                    let failed = Double.random(in: 0..<1, using: &random) < 0.05
                    try db.execute(
                        sql: """
                            INSERT INTO agent_sessions (id, agent, status, started_at, duration_ms, cost_usd)
                            VALUES (?, 'mini-agent', ?, ?, ?, ?)
                            """,
                        arguments: [
                            session, failed ? "failed" : "completed", start.rfc3339, Int(60_000 * noise(0.4)),
                            0.30 * costGrowth(day) * noise(0.3),
                        ])
                    for run in 0..<5 {
                        let bash = run < 3
                        let failure = Double.random(in: 0..<1, using: &random) < (bash ? 0.04 : readFailureRate(day))
                        let duration = bash ? 1000 * bashSlowdown(day) * noise(0.3) : 20 * noise(0.3)
                        try db.execute(
                            sql: """
                                INSERT INTO tool_executions (id, session_id, tool_name, category, success, started_at,
                                                             duration_ms)
                                VALUES (?, ?, ?, ?, ?, ?, ?)
                                """,
                            arguments: [
                                "\(session)-t\(run)", session, bash ? "bash" : "read_file", bash ? "shell" : "file",
                                !failure, start.addingTimeInterval(Double(run) * 10).rfc3339, Int(duration),
                            ])
                    }
                    for call in 0..<4 {
                        try db.execute(
                            sql: """
                                INSERT INTO llm_calls (id, session_id, seq, model, status, started_at, latency_ms)
                                VALUES (?, ?, ?, 'm-a', ?, ?, ?)
                                """,
                            arguments: [
                                "\(session)-c\(call)", session, call + 1,
                                Double.random(in: 0..<1, using: &random) < 0.01 ? "error" : "ok",
                                start.addingTimeInterval(Double(call) * 10 + 5).rfc3339, Int(3000 * noise(0.5)),
                            ])
                    }
                }
            }
        }
    }

    func report(day: String = Workload.reportDay) async throws -> Report {
        let folder = try TemporaryFolder()
        let store = try SeededStore(path: folder.file("events.sqlite"))
        try seed(into: store)
        let period = try ReportPeriod.day(day).resolve(now: Date())
        return try await LocalReportReader(path: store.path).report(ReportQuery(period: period))
    }
}

@Suite("Report anomalies")
struct ReportAnomalyTests {
    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func ordinaryDaysFlagNothing(seed: UInt64) async throws {
        // Noise, a quiet weekend before a busy Monday: nothing to flag, on the Monday nor on the Sunday.
        let workload = Workload(seed: seed)
        let monday = try await workload.report()
        #expect(monday.anomalies.isEmpty, "\(monday.anomalies.map(\.explanation))")
        let sunday = try await workload.report(day: "2026-11-29")
        #expect(sunday.anomalies.isEmpty, "\(sunday.anomalies.map(\.explanation))")
    }

    @Test func aSlowToolIsFlagged() async throws {
        let report = try await Workload(bashSlowdown: { $0 == 21 ? 3 : 1 }).report()
        let anomaly = try #require(report.anomalies.first { $0.subject == "tool:bash" })
        #expect(anomaly.metric == "p50_duration_ms")
        #expect(anomaly.comparison == "period")
        #expect(anomaly.value > 2.5 * anomaly.baseline)
        #expect(anomaly.explanation.hasPrefix("bash takes "))
        #expect(anomaly.explanation.contains("120 runs vs"))
        #expect(report.anomalies.count == 1, "\(report.anomalies.map(\.explanation))")
    }

    @Test func aToolStartingToFailIsFlaggedWithItsReason() async throws {
        let report = try await Workload(readFailureRate: { $0 == 21 ? 0.3 : 0.02 }).report()
        let anomaly = try #require(report.anomalies.first { $0.subject == "tool:read_file" })
        #expect(anomaly.metric == "failure_rate")
        #expect(anomaly.value >= 0.2)
        #expect(anomaly.baseline < 0.05)
        // "read_file failures 31.3% vs 2.1% baseline, 25 of 80 runs (baseline 4 of 192)"
        let reason = try Regex(#"^read_file failures \d+\.\d% vs \d\.\d% baseline, \d+ of 80 runs \(baseline \d+ of \d+\)$"#)
        #expect(anomaly.explanation.wholeMatch(of: reason) != nil, "\(anomaly.explanation)")
        #expect(report.anomalies.count == 1, "\(report.anomalies.map(\.explanation))")
    }

    @Test func aSlowDriftIsFlaggedWeekOverWeek() async throws {
        // 4% dearer every day: no day stands out from the week before it, but this week against the last does.
        let report = try await Workload(costGrowth: { pow(1.04, Double($0)) }).report()
        #expect(report.anomalies.map(\.subject) == ["agent:mini-agent"], "\(report.anomalies.map(\.explanation))")
        let anomaly = try #require(report.anomalies.first)
        #expect(anomaly.metric == "cost_per_session_usd")
        #expect(anomaly.comparison == "week_over_week")
        #expect(anomaly.explanation.contains("week-over-week rise"))
    }

    @Test func smallSamplesAreNotJudged() async throws {
        // A nearly idle agent whose every read_file fails on the report day: two runs prove nothing.
        let workload = Workload(readFailureRate: { $0 == 21 ? 1 : 0.02 }, sessionsOnDay: { $0 == 21 ? 1 : 3 })
        let report = try await workload.report()
        #expect(report.anomalies.isEmpty, "\(report.anomalies.map(\.explanation))")
        #expect(report.notes.contains { $0.hasPrefix("Too little data to judge") })
    }

    @Test func binomialTailMatchesKnownValues() {
        // P(X >= 3) for Binomial(10, 0.5) = 968/1024.
        #expect(abs(RobustStatistics.binomialUpperTail(3, 10, 0.5) - 968.0 / 1024) < 1e-12)
        // P(X >= 12) for Binomial(39, 0.04) = 2.3835206e-8 (summed exactly in Python).
        let tail = RobustStatistics.binomialUpperTail(12, 39, 0.04)
        #expect(abs(tail - 2.3835206361089183e-08) < 1e-15)
        #expect(RobustStatistics.binomialUpperTail(0, 5, 0.1) == 1)
        #expect(RobustStatistics.median([3, 1, 2, 10]) == 2.5)
        var generator = SystemRandomNumberGenerator()
        for count in [1, 2, 7, 1_000, 1_001] {
            let values = (0..<count).map { _ in Double(Int.random(in: 0..<50, using: &generator)) / 4 }
            let sorted = values.sorted()
            let expected = count % 2 == 1 ? sorted[count / 2] : (sorted[count / 2 - 1] + sorted[count / 2]) / 2
            #expect(RobustStatistics.median(values) == expected, "\(count) values")
        }
        #expect(RobustStatistics.mad([1, 2, 3, 4, 100]) == 1)
    }
}
