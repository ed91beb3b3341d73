import Foundation
import GRDB

/// The stretches of time one report reads, fixed before any row is: the period, the windows anomalies compare, and
/// the days of the timeline.
///
/// A pass over a table reads once from the earliest of them to the period's end and tells each row's place by its
/// start: the bounds cut time into segments, and each segment stands for the windows that hold it.
struct ReportPlan: Sendable {
    /// The period, the baseline before it, and (when the last week is not the period itself) the last seven days
    /// and the seven before: the drift anomalies compare.
    let windows: [Report.Period]
    /// The start of the timeline's first day: the baseline's start at midnight UTC.
    let firstDay: Date
    /// The earliest start any part reads from; the period's end is the end of all.
    let from: Date
    let to: Date
    private let cuts: [[UInt8]]
    private let segments: [WindowSet]

    init(_ query: ReportQuery) {
        let period = query.period
        let baseline = Report.Period(from: period.from.addingTimeInterval(-query.baselineSeconds), to: period.from)
        let week = 7 * 86_400.0
        let lastWeek = Report.Period(from: period.to.addingTimeInterval(-week), to: period.to)
        let weekBefore = Report.Period(from: lastWeek.from.addingTimeInterval(-week), to: lastWeek.from)
        // A week's report against a week's baseline is its own drift.
        let windows = lastWeek != period || weekBefore != baseline ? [period, baseline, lastWeek, weekBefore] : [period, baseline]
        self.windows = windows
        firstDay = ReportPeriod.calendar.startOfDay(for: baseline.from)
        from = min(firstDay, windows.map(\.from).min()!)
        to = period.to
        let bounds = Set(windows.flatMap { [$0.from, $0.to] }).sorted()
        cuts = bounds.map { Array($0.rfc3339.utf8) }
        segments = bounds.indices.dropLast().map { segment in
            WindowSet(windows.indices.filter { windows[$0].from <= bounds[segment] && bounds[segment + 1] <= windows[$0].to })
        }
    }

    var hasDrift: Bool { windows.count == 4 }

    /// `from` and `to` as the store writes times, for `started_at >= ? AND started_at < ?`.
    var span: StatementArguments { [from.rfc3339, to.rfc3339] }

    /// The text the timeline's first day starts with, for comparing with a start as the store writes it.
    var firstDayText: [UInt8] { Array(firstDay.rfc3339.utf8) }

    /// The windows a row that started at `started`, as the store writes times, falls in.
    func windows(at started: UnsafeRawBufferPointer) -> WindowSet {
        guard !cuts.isEmpty, Self.compare(started, cuts[0]) >= 0, Self.compare(started, cuts[cuts.count - 1]) < 0 else {
            return WindowSet([])
        }
        var low = 0  // cuts[low] <= started
        var high = cuts.count - 1  // started < cuts[high]
        while high - low > 1 {
            let middle = (low + high) / 2
            if Self.compare(started, cuts[middle]) >= 0 { low = middle } else { high = middle }
        }
        return segments[low]
    }

    /// Tells the windows of rows read in the order of their start, each from where the last one was: one
    /// comparison a row instead of a search.
    struct Walk {
        private let plan: ReportPlan
        /// The number of cuts at or before the last row's start.
        private var passed = 0

        init(_ plan: ReportPlan) {
            self.plan = plan
        }

        /// The windows a row that started at `started` (no earlier than the last row) falls in.
        mutating func windows(at started: UnsafeRawBufferPointer) -> WindowSet {
            let cuts = plan.cuts
            if passed > 0, ReportPlan.compare(started, cuts[passed - 1]) < 0 { return plan.windows(at: started) }
            while passed < cuts.count, ReportPlan.compare(started, cuts[passed]) >= 0 { passed += 1 }
            return passed == 0 || passed == cuts.count ? WindowSet([]) : plan.segments[passed - 1]
        }
    }

    /// Compares bytes as SQLite compares text: by bytes, then by length.
    static func compare(_ text: UnsafeRawBufferPointer, _ other: [UInt8]) -> Int {
        let common = min(text.count, other.count)
        let order = common == 0 ? 0 : other.withUnsafeBytes { memcmp(text.baseAddress!, $0.baseAddress!, common) }
        return order != 0 ? Int(order) : text.count - other.count
    }
}

/// Some of a plan's windows, by their indexes in `ReportPlan.windows` (0 is the period), as bits.
struct WindowSet: Sequence, Sendable {
    private let bits: Int

    init(_ indexes: [Int]) {
        bits = indexes.reduce(0) { $0 | 1 << $1 }
    }

    var isEmpty: Bool { bits == 0 }
    var holdsPeriod: Bool { bits & 1 != 0 }

    func makeIterator() -> Iterator { Iterator(rest: bits) }

    struct Iterator: IteratorProtocol {
        var rest: Int

        mutating func next() -> Int? {
            guard rest != 0 else { return nil }
            let index = rest.trailingZeroBitCount
            rest &= rest - 1
            return index
        }
    }
}
