import Foundation

/// Making text from logs safe to print, and figures short to read.
///
/// Everything in a report came from logs an agent wrote, so it is untrusted: control characters and escape
/// sequences must not reach a terminal, pipes must not break a Markdown table, markup must stay text.
package enum ReportText {
    /// `text` cut to at most `limit` characters, with `…` marking a cut.
    package static func cut(_ text: String, to limit: Int) -> String {
        guard text.count > limit else { return text }
        return String(text.prefix(max(0, limit - 1))) + "…"
    }

    /// One line for a terminal: line breaks and tabs become spaces, other control characters (escape sequences
    /// included) and bidirectional overrides become visible symbols.
    package static func terminal(_ text: String) -> String {
        var result = ""
        result.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x09, 0x0A, 0x0D: result.unicodeScalars.append(" ")
            case 0x00..<0x20: result.unicodeScalars.append(Unicode.Scalar(0x2400 + scalar.value)!)
            case 0x7F: result.unicodeScalars.append("\u{2421}")
            case 0x80..<0xA0, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: result.unicodeScalars.append("\u{FFFD}")
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// One line for a Markdown table cell or paragraph: terminal-safe, and with Markdown and HTML syntax escaped.
    package static func markdown(_ text: String) -> String {
        var result = ""
        for character in terminal(text) {
            switch character {
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "&": result += "&amp;"
            case "|", "\\", "`", "*", "_", "[", "]", "#", "~", "!": result += "\\" + String(character)
            default: result.append(character)
            }
        }
        return result
    }

    /// Milliseconds for people: `850 ms`, `4.2 s`, `3m 10s`, `2h 05m`.
    package static func duration(_ ms: Double?) -> String {
        guard let ms else { return "-" }
        if ms < 1000 { return "\(Int(ms.rounded())) ms" }
        let seconds = ms / 1000
        if seconds < 60 { return String(format: "%.1f s", seconds) }
        let whole = Int(seconds.rounded())
        if whole < 3600 { return "\(whole / 60)m \(String(format: "%02d", whole % 60))s" }
        return "\(whole / 3600)h \(String(format: "%02d", whole % 3600 / 60))m"
    }

    /// Bytes for people: `850 KB`, `12 MB`, `1.4 GB` (powers of 1,000).
    package static func bytes(_ value: Double?) -> String {
        guard let value else { return "-" }
        if value < 1e6 { return "\(Int((value / 1e3).rounded())) KB" }
        if value < 1e9 { return "\(Int((value / 1e6).rounded())) MB" }
        return String(format: "%.1f GB", value / 1e9)
    }

    /// Dollars for people: `$12.34`, `$0.05`, `$0.0042`.
    package static func dollars(_ value: Double?) -> String {
        guard let value else { return "-" }
        if value == 0 { return "$0" }
        return value >= 0.01 ? String(format: "$%.2f", value) : String(format: "$%.4f", value)
    }

    /// `text` broken at spaces into lines of at most `width` characters, the lines after the first indented.
    package static func wrap(_ text: String, width: Int, indent: String) -> String {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: false) {
            let prefix = lines.isEmpty ? "" : indent
            if !line.isEmpty, prefix.count + line.count + 1 + word.count > width {
                lines.append(prefix + line)
                line = String(word)
            } else {
                line = line.isEmpty ? String(word) : line + " " + word
            }
        }
        lines.append((lines.isEmpty ? "" : indent) + line)
        return lines.joined(separator: "\n")
    }

    /// A model's cost: dollars, `no price` when its calls counted tokens the price list cannot price, `-` when they
    /// counted none (the agent's log has no token counts).
    package static func cost(of model: Report.ModelUsage) -> String {
        if let cost = model.costUsd { return dollars(cost) }
        return model.promptTokens + model.completionTokens > 0 ? "no price" : "-"
    }

    /// A count with thousands separators: `1,234,567`.
    package static func count(_ value: Int?) -> String {
        guard let value else { return "-" }
        let digits = String(value.magnitude)
        var grouped = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { grouped.append(",") }
            grouped.append(digit)
        }
        return (value < 0 ? "-" : "") + grouped
    }

    /// A rate as a percentage: `12.5%`.
    package static func percent(_ rate: Double?) -> String {
        guard let rate else { return "-" }
        return String(format: "%.1f%%", rate * 100)
    }

    /// A time in UTC to the minute: `2026-12-02 14:05`.
    package static func minute(_ date: Date?) -> String {
        guard let date else { return "-" }
        let text = date.rfc3339
        return String(text.prefix(10)) + " " + String(text.dropFirst(11).prefix(5))
    }
}
