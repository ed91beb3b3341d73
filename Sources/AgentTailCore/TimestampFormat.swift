import Foundation

/// Turns the timestamps written in log records into instants.
///
/// Supports `iso8601` (with or without zone and fraction) and fixed patterns built from `yyyy MM dd HH mm ss`,
/// `S`...`SSSSSS` (fraction) and literal characters. Parsing is done by hand: `DateFormatter` is slow and
/// not safe to share.
package struct TimestampFormat: Sendable, CustomStringConvertible {
    private enum Token: Sendable, Equatable {
        case year, month, day, hour, minute, second
        case fraction(Int)
        case literal(UInt8)
    }

    private enum Kind: Sendable {
        case iso8601
        case pattern([Token])
    }

    private let kind: Kind
    /// The zone of timestamps written without one; nil means the host's local zone at parse time.
    package let timeZone: TimeZone?
    package let description: String

    /// - Parameter timeZone: `local`, `UTC` or an IANA name such as `Europe/Paris`.
    package init(format: String, timeZone zoneName: String) throws(TimestampFormatProblem) {
        description = format
        switch zoneName {
        case "local": timeZone = nil
        case "UTC", "utc", "Z": timeZone = TimeZone(identifier: "UTC")
        default:
            guard let zone = TimeZone(identifier: zoneName) else {
                throw TimestampFormatProblem("unknown time zone '\(zoneName)'; use local, UTC or an IANA name")
            }
            timeZone = zone
        }
        if format == "iso8601" {
            kind = .iso8601
            return
        }
        var tokens: [Token] = []
        var rest = Substring(format)
        let fields: [(String, Token)] = [
            ("yyyy", .year), ("MM", .month), ("dd", .day), ("HH", .hour), ("mm", .minute), ("ss", .second),
        ]
        outer: while let first = rest.first {
            for (text, token) in fields where rest.hasPrefix(text) {
                tokens.append(token)
                rest = rest.dropFirst(text.count)
                continue outer
            }
            if first == "S" {
                let digits = rest.prefix { $0 == "S" }.count
                guard digits <= 9 else { throw TimestampFormatProblem("at most 9 fraction digits (S) are supported") }
                tokens.append(.fraction(digits))
                rest = rest.dropFirst(digits)
                continue
            }
            guard first.isASCII, !first.isLetter, let byte = first.asciiValue else {
                throw TimestampFormatProblem(
                    "unsupported character '\(first)' in timestamp format '\(format)'; use yyyy MM dd HH mm ss S or iso8601")
            }
            tokens.append(.literal(byte))
            rest = rest.dropFirst()
        }
        guard tokens.contains(.year), tokens.contains(.month), tokens.contains(.day) else {
            throw TimestampFormatProblem("timestamp format '\(format)' needs at least yyyy, MM and dd")
        }
        kind = .pattern(tokens)
    }

    /// The instant `text` stands for, or nil when it does not fit the format.
    package func parse(_ text: String) -> Date? {
        var utf8 = Array(text.utf8)
        while let last = utf8.last, last == 0x20 || last == 0x0D { utf8.removeLast() }
        switch kind {
        case .pattern(let tokens): return parse(utf8, tokens: tokens)
        case .iso8601: return parseISO(utf8)
        }
    }

    private struct Fields {
        var year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0
        var nanos = 0
        var offsetSeconds: Int?
    }

    private func parse(_ bytes: [UInt8], tokens: [Token]) -> Date? {
        var fields = Fields()
        var index = 0
        func number(_ digits: Int) -> Int? {
            guard index + digits <= bytes.count else { return nil }
            var value = 0
            for offset in 0..<digits {
                let byte = bytes[index + offset]
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            index += digits
            return value
        }
        for token in tokens {
            switch token {
            case .year: guard let value = number(4) else { return nil }; fields.year = value
            case .month: guard let value = number(2) else { return nil }; fields.month = value
            case .day: guard let value = number(2) else { return nil }; fields.day = value
            case .hour: guard let value = number(2) else { return nil }; fields.hour = value
            case .minute: guard let value = number(2) else { return nil }; fields.minute = value
            case .second: guard let value = number(2) else { return nil }; fields.second = value
            case .fraction(let digits):
                guard let value = number(digits) else { return nil }
                var nanos = value
                for _ in digits..<9 { nanos *= 10 }
                fields.nanos = nanos
            case .literal(let byte):
                guard index < bytes.count, bytes[index] == byte else { return nil }
                index += 1
            }
        }
        guard index == bytes.count else { return nil }
        return instant(fields)
    }

    private func parseISO(_ bytes: [UInt8]) -> Date? {
        var fields = Fields()
        var index = 0
        func number(_ digits: Int) -> Int? {
            guard index + digits <= bytes.count else { return nil }
            var value = 0
            for offset in 0..<digits {
                let byte = bytes[index + offset]
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            index += digits
            return value
        }
        func expect(_ allowed: [UInt8]) -> Bool {
            guard index < bytes.count, allowed.contains(bytes[index]) else { return false }
            index += 1
            return true
        }
        guard let year = number(4), expect([0x2D]), let month = number(2), expect([0x2D]), let day = number(2),
            expect([0x54, 0x74, 0x20]), let hour = number(2), expect([0x3A]), let minute = number(2), expect([0x3A]),
            let second = number(2)
        else { return nil }
        fields.year = year
        fields.month = month
        fields.day = day
        fields.hour = hour
        fields.minute = minute
        fields.second = second
        if index < bytes.count, bytes[index] == 0x2E || bytes[index] == 0x2C {
            index += 1
            var digits = 0
            var nanos = 0
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                if digits < 9 { nanos = nanos * 10 + Int(bytes[index] - 0x30) }
                digits += 1
                index += 1
            }
            guard digits > 0 else { return nil }
            for _ in min(digits, 9)..<9 { nanos *= 10 }
            fields.nanos = nanos
        }
        if index < bytes.count {
            if bytes[index] == 0x5A || bytes[index] == 0x7A {
                fields.offsetSeconds = 0
                index += 1
            } else if bytes[index] == 0x2B || bytes[index] == 0x2D {
                let sign = bytes[index] == 0x2D ? -1 : 1
                index += 1
                guard let hours = number(2) else { return nil }
                _ = expect([0x3A])
                guard let minutes = number(2) else { return nil }
                fields.offsetSeconds = sign * (hours * 3600 + minutes * 60)
            }
        }
        guard index == bytes.count else { return nil }
        return instant(fields)
    }

    private func instant(_ fields: Fields) -> Date? {
        guard (1...12).contains(fields.month), (1...31).contains(fields.day), (0...23).contains(fields.hour),
            (0...59).contains(fields.minute), (0...60).contains(fields.second)
        else { return nil }
        let localSeconds =
            Self.daysFromCivil(year: fields.year, month: fields.month, day: fields.day) * 86_400 + fields.hour * 3600
            + fields.minute * 60 + fields.second
        let offset: Int
        if let explicit = fields.offsetSeconds {
            offset = explicit
        } else {
            let zone = timeZone ?? TimeZone.current
            // The offset at the local wall time: take it at the naive instant, then correct once across a change.
            let guess = zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(localSeconds)))
            offset = zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(localSeconds - guess)))
        }
        return Date(timeIntervalSince1970: TimeInterval(localSeconds - offset) + TimeInterval(fields.nanos) / 1e9)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}

/// A timestamp format or zone that cannot be used.
package struct TimestampFormatProblem: Error, Sendable, CustomStringConvertible {
    package let description: String
    init(_ description: String) { self.description = description }
}
