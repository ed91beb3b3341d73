import Foundation

/// Compares a period with a baseline and keeps only what is both significant and large.
///
/// - Failure rates: the exact binomial tail of the period's failures at the baseline's rate (smoothed, so that a
///   baseline without failures is not a rate of zero) must be below `significance`, and the rate must have risen
///   by at least `minimumRateRise` and doubled.
/// - Durations and costs: medians of their logarithms, with the baseline's MAD as the spread; the period's median
///   must stand `minimumRobustZ` standard errors above the baseline's and be `minimumRatio` times it.
///
/// A subject with fewer than `minimumPeriodCount` cases in the period or `minimumBaselineCount` in the baseline is
/// not judged: it is reported as having too little data.
package struct AnomalyDetector: Sendable {
    /// What one subject did in one window.
    package struct Observations: Sendable, Equatable {
        /// Calls, runs or sessions that could fail.
        package var trials = 0
        package var failures = 0
        /// Durations in milliseconds.
        package var durations: [Double] = []
        /// Costs in dollars, one per session.
        package var costs: [Double] = []

        package init(trials: Int = 0, failures: Int = 0, durations: [Double] = [], costs: [Double] = []) {
            self.trials = trials
            self.failures = failures
            self.durations = durations
            self.costs = costs
        }
    }

    /// What is compared, and the words to tell it.
    package struct Subject: Sendable, Hashable {
        package enum Kind: String, Sendable {
            case agent, tool, model
        }

        package var kind: Kind
        package var name: String

        package init(_ kind: Kind, _ name: String) {
            self.kind = kind
            self.name = name
        }

        var id: String { "\(kind.rawValue):\(name)" }
        /// `calls`, `runs` or `sessions`.
        var trials: String {
            switch kind {
            case .agent: "sessions"
            case .tool: "runs"
            case .model: "calls"
            }
        }
        var durationMetric: String { kind == .model ? "p50_latency_ms" : "p50_duration_ms" }
        var durationWords: String {
            switch kind {
            case .agent: "\(name) sessions last"
            case .tool: "\(name) takes"
            case .model: "\(name) answers in"
            }
        }
    }

    /// Which comparison found it.
    package enum Comparison: Sendable {
        /// The report's period against the baseline before it.
        case period
        /// The last seven days against the seven before: a drift that no single day shows.
        case weekOverWeek
    }

    package var significance = 0.001
    package var minimumRateRise = 0.10
    package var minimumRobustZ = 4.0
    package var minimumRatio = 1.5
    /// The smaller rise a week of data must show to count as a drift.
    package var minimumDriftRatio = 1.25
    package var minimumDriftRateRise = 0.05
    package var minimumPeriodCount = 10
    package var minimumBaselineCount = 20
    /// Durations closer than this are never an anomaly (2 ms against 1 ms is not news).
    package var minimumDurationRiseMs = 100.0
    package var minimumCostRise = 0.01

    package init() {}

    /// The anomalies of `subject`, and whether there were too few cases to judge any of its figures.
    package func compare(
        _ subject: Subject,
        period: Observations,
        baseline: Observations,
        comparison: Comparison = .period
    ) -> (anomalies: [Report.Anomaly], tooLittleData: Bool) {
        var anomalies: [Report.Anomaly] = []
        var judged = false
        if period.trials >= minimumPeriodCount, baseline.trials >= minimumBaselineCount {
            judged = true
            if let anomaly = failureRate(subject, period, baseline, comparison) { anomalies.append(anomaly) }
        }
        if period.durations.count >= minimumPeriodCount, baseline.durations.count >= minimumBaselineCount {
            judged = true
            if let anomaly = typicalValue(
                subject, metric: subject.durationMetric, period.durations, baseline.durations, comparison,
                minimumRise: minimumDurationRiseMs, format: { ReportText.duration($0) },
                words: subject.durationWords, suffix: "")
            {
                anomalies.append(anomaly)
            }
        }
        if period.costs.count >= minimumPeriodCount, baseline.costs.count >= minimumBaselineCount {
            judged = true
            if let anomaly = typicalValue(
                subject, metric: "cost_per_session_usd", period.costs, baseline.costs, comparison,
                minimumRise: minimumCostRise, format: { ReportText.dollars($0) },
                words: "\(subject.name) sessions cost", suffix: " each")
            {
                anomalies.append(anomaly)
            }
        }
        return (anomalies, !judged)
    }

    private func failureRate(_ subject: Subject, _ period: Observations, _ baseline: Observations,
                             _ comparison: Comparison) -> Report.Anomaly?
    {
        let rate = Double(period.failures) / Double(period.trials)
        let baselineRate = Double(baseline.failures) / Double(baseline.trials)
        // One failure and one success added to the baseline: never a rate of exactly 0 or 1.
        let expected = (Double(baseline.failures) + 1) / (Double(baseline.trials) + 2)
        let rise = comparison == .period ? minimumRateRise : minimumDriftRateRise
        let factor = comparison == .period ? 2.0 : minimumDriftRatio
        guard rate - expected >= rise, rate >= factor * expected,
            RobustStatistics.binomialUpperTail(period.failures, period.trials, expected) < significance
        else { return nil }
        let failures = subject.kind == .agent ? "\(subject.name) failed sessions" : "\(subject.name) failures"
        let counts =
            "\(period.failures) of \(period.trials) \(subject.trials) "
            + "(baseline \(baseline.failures) of \(baseline.trials))"
        let explanation =
            switch comparison {
            case .period:
                "\(failures) \(ReportText.percent(rate)) vs \(ReportText.percent(baselineRate)) baseline, \(counts)"
            case .weekOverWeek:
                "\(failures) rose week over week: \(ReportText.percent(rate)) in the last 7 days vs "
                    + "\(ReportText.percent(baselineRate)) in the 7 before, \(counts)"
            }
        return Report.Anomaly(
            subject: subject.id, metric: "failure_rate", value: ReportRounding.rate(rate),
            baseline: ReportRounding.rate(baselineRate), explanation: explanation,
            comparison: comparison == .period ? "period" : "week_over_week")
    }

    // swiftlint:disable:next function_parameter_count
    private func typicalValue(
        _ subject: Subject, metric: String, _ period: [Double], _ baseline: [Double], _ comparison: Comparison,
        minimumRise: Double, format: (Double) -> String, words: String, suffix: String
    ) -> Report.Anomaly? {
        guard let median = RobustStatistics.median(period), let baselineMedian = RobustStatistics.median(baseline)
        else { return nil }
        let baselineLogs = baseline.map { log1p(max(0, $0)) }
        let baselineLogMedian = RobustStatistics.median(baselineLogs)!
        let logMedian = RobustStatistics.median(period.map { log1p(max(0, $0)) })!
        // A floor on the spread: a baseline of identical values would make any change infinitely significant.
        let mad = RobustStatistics.median(baselineLogs.map { abs($0 - baselineLogMedian) }) ?? 0
        let spread = max(mad, 0.05) * 1.4826
        // The standard error of a median is about 1.25 times that of a mean.
        let standardError = 1.2533 * spread / Double(period.count).squareRoot()
        let z = (logMedian - baselineLogMedian) / standardError
        let ratio = comparison == .period ? minimumRatio : minimumDriftRatio
        guard z >= minimumRobustZ, median >= ratio * baselineMedian, median - baselineMedian >= minimumRise
        else { return nil }
        let counts = "\(period.count) \(subject.trials) vs \(baseline.count)"
        let explanation =
            switch comparison {
            case .period:
                "\(words) \(format(median))\(suffix) at the median vs \(format(baselineMedian)) baseline (\(counts))"
            case .weekOverWeek:
                "\(words) \(format(median))\(suffix) at the median in the last 7 days vs \(format(baselineMedian)) "
                    + "in the 7 before (\(counts)): a week-over-week rise"
            }
        return Report.Anomaly(
            subject: subject.id, metric: metric,
            value: metric.hasSuffix("usd") ? ReportRounding.dollars(median) : (median * 10).rounded() / 10,
            baseline: metric.hasSuffix("usd") ? ReportRounding.dollars(baselineMedian) : (baselineMedian * 10).rounded() / 10,
            explanation: explanation, comparison: comparison == .period ? "period" : "week_over_week")
    }
}
