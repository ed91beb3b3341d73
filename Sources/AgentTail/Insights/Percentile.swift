/// Percentiles as PostgreSQL's `percentile_cont` computes them, so that local and Supabase figures agree.
package enum Percentile {
    /// The `q` quantile (0...1) of `values` (in any order), interpolating linearly between the two nearest ranks;
    /// nil for no values. Rounded to a tenth.
    ///
    /// The two ranks are found by selection, in time linear in the count, rather than by sorting.
    package static func continuous(_ values: [Int], _ q: Double) -> Double? {
        guard let first = values.first else { return nil }
        guard values.count > 1 else { return Double(first) }
        let position = q * Double(values.count - 1)
        let lower = Int(position.rounded(.down))
        var ranked = values
        ranked.select(rank: lower)
        let below = ranked[lower]
        let above = lower + 1 < ranked.count ? ranked[(lower + 1)...].min()! : below
        let fraction = position - Double(lower)
        let value = Double(below) + fraction * Double(above - below)
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

extension Array where Element: Comparable {
    /// Reorders the array so that the element at `rank` is the one sorting would put there, with none greater
    /// before it and none smaller after it (Hoare's selection; a range that keeps splitting badly is sorted).
    mutating func select(rank: Int) {
        precondition(indices.contains(rank))
        var low = startIndex
        var high = endIndex - 1
        var rounds = 0
        while low < high {
            rounds += 1
            if rounds > 64 {
                self[low...high].sort()
                return
            }
            // The median of three as the pivot.
            let middle = low + (high - low) / 2
            if self[middle] < self[low] { swapAt(middle, low) }
            if self[high] < self[low] { swapAt(high, low) }
            if self[high] < self[middle] { swapAt(high, middle) }
            let pivot = self[middle]
            var left = low
            var right = high
            while left <= right {
                while self[left] < pivot { left += 1 }
                while pivot < self[right] { right -= 1 }
                if left <= right {
                    swapAt(left, right)
                    left += 1
                    right -= 1
                }
            }
            if rank <= right {
                high = right
            } else if rank >= left {
                low = left
            } else {
                return
            }
        }
    }
}
