import Foundation

/// The statistics anomaly detection rests on: medians and median absolute deviations, which a few outliers do not
/// move, and the exact binomial tail for failure counts.
package enum RobustStatistics {
    /// The median of `values` (the mean of the two middle ones for an even count); nil for none. Found by
    /// selection, in time linear in the count.
    package static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        var ranked = values
        let middle = ranked.count / 2
        ranked.select(rank: middle)
        guard ranked.count % 2 == 0 else { return ranked[middle] }
        return (ranked[..<middle].max()! + ranked[middle]) / 2
    }

    /// The median absolute deviation from the median; nil for none.
    package static func mad(_ values: [Double]) -> Double? {
        guard let center = median(values) else { return nil }
        return median(values.map { abs($0 - center) })
    }

    /// P(X ≥ k) for X ~ Binomial(n, p): how likely `k` or more failures in `n` tries are at failure rate `p`.
    package static func binomialUpperTail(_ k: Int, _ n: Int, _ p: Double) -> Double {
        guard k > 0 else { return 1 }
        guard k <= n else { return 0 }
        guard p > 0 else { return 0 }
        guard p < 1 else { return 1 }
        let logP = log(p)
        let logQ = log1p(-p)
        let logGamma: (Double) -> Double = lgamma
        let logN = logGamma(Double(n) + 1)
        var total = 0.0
        for i in k...n {
            let term = logN - logGamma(Double(i) + 1) - logGamma(Double(n - i) + 1) + Double(i) * logP
                + Double(n - i) * logQ
            let value = exp(term)
            total += value
            // Terms fall off quickly past the mode; stop once they no longer count.
            if Double(i) > Double(n) * p, value < total * 1e-16 { break }
        }
        return min(1, total)
    }
}
