/// Percentiles as PostgreSQL's `percentile_cont` computes them, so that local and Supabase figures agree.
package enum Percentile {
    /// The `q` quantile (0...1) of `sorted` (ascending), interpolating linearly between the two nearest ranks;
    /// nil for no values. Rounded to a tenth.
    package static func continuous(_ sorted: [Int], _ q: Double) -> Double? {
        guard let first = sorted.first else { return nil }
        guard sorted.count > 1 else { return Double(first) }
        let position = q * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = min(lower + 1, sorted.count - 1)
        let fraction = position - Double(lower)
        let value = Double(sorted[lower]) + fraction * Double(sorted[upper] - sorted[lower])
        return (value * 10).rounded() / 10
    }
}

/// Rounding for the figures of a report, the same for every source.
package enum ReportRounding {
    /// Dollars to the nano-dollar, the precision costs are stored in.
    package static func dollars(_ value: Double) -> Double { (value * 1e9).rounded() / 1e9 }

    /// A rate to four decimals, as the Supabase views round it.
    package static func rate(_ value: Double) -> Double { (value * 10_000).rounded() / 10_000 }
}
