import Foundation

/// An amount of US dollars, counted exactly in billionths so that sums never drift.
package struct USDAmount: Sendable, Equatable, Codable, Comparable, AdditiveArithmetic {
    /// Billionths of a dollar.
    package var nanos: Int
    package static let scale = 9

    package init(nanos: Int) { self.nanos = nanos }

    /// The amount nearest to `dollars`.
    package init(dollars: Double) { nanos = Int((dollars * 1e9).rounded()) }

    package var dollars: Double { Double(nanos) / 1e9 }

    /// The exact decimal text, as JSON and SQL numbers write it: 1234 nanos is `0.000001234`.
    package var decimalText: String {
        let digits = String(nanos.magnitude)
        let padded = String(repeating: "0", count: max(0, Self.scale + 1 - digits.count)) + digits
        let split = padded.index(padded.endIndex, offsetBy: -Self.scale)
        return (nanos < 0 ? "-" : "") + padded[..<split] + "." + padded[split...]
    }

    /// Reads the decimal text of a JSON or SQL number (at most nine decimals are kept, rounding half away).
    package init?(decimalText text: String) {
        guard let value = Decimal(string: text), !value.isNaN else { return nil }
        var scaled = value * Decimal(sign: .plus, exponent: Self.scale, significand: 1)
        var rounded = Decimal()
        NSDecimalRound(&rounded, &scaled, 0, .plain)
        guard let nanos = Int(exactly: NSDecimalNumber(decimal: rounded).int64Value) else { return nil }
        self.nanos = nanos
    }

    package static var zero: USDAmount { USDAmount(nanos: 0) }
    package static func + (a: USDAmount, b: USDAmount) -> USDAmount { USDAmount(nanos: a.nanos + b.nanos) }
    package static func - (a: USDAmount, b: USDAmount) -> USDAmount { USDAmount(nanos: a.nanos - b.nanos) }
    package static func < (a: USDAmount, b: USDAmount) -> Bool { a.nanos < b.nanos }

    /// `$0.004215`-style text for people, with at least two decimals.
    package var formatted: String {
        var text = decimalText
        while text.hasSuffix("0"), let dot = text.firstIndex(of: "."), text.distance(from: dot, to: text.endIndex) > 3 {
            text.removeLast()
        }
        return "$" + text
    }
}
