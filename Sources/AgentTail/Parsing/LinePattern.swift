import Foundation

/// A regular expression applied to one line of a log file, with its named groups.
///
/// Lines are tested against a literal prefix first (taken from the start of the pattern), so the regex engine only
/// runs on lines that can match: most lines of a multi-megabyte JSON body are rejected by one byte comparison.
package struct LinePattern: Sendable, CustomStringConvertible {
    /// What compiling the pattern made, in one object: the framer hands patterns around for every line, and a copy
    /// then costs one reference count instead of one per part.
    private final class Compiled: Sendable {
        let source: String
        let captureNames: [String]
        let literalPrefix: [UInt8]
        let regex: SendableRegex
        let bytes: BytePattern?

        init(source: String, captureNames: [String], literalPrefix: [UInt8], regex: SendableRegex, bytes: BytePattern?) {
            self.source = source
            self.captureNames = captureNames
            self.literalPrefix = literalPrefix
            self.regex = regex
            self.bytes = bytes
        }
    }

    private let compiled: Compiled
    /// The pattern as written in the rules file.
    package var source: String { compiled.source }
    /// Names of the `(?<name>...)` groups, in order.
    package var captureNames: [String] { compiled.captureNames }
    /// Bytes every matching line starts with (may be empty).
    package var literalPrefix: [UInt8] { compiled.literalPrefix }
    private var regex: SendableRegex { compiled.regex }
    /// The same pattern matched on bytes, when it is simple enough (see `BytePattern`).
    private var bytes: BytePattern? { compiled.bytes }

    /// Compiles `source`; the error text is the regex engine's own message.
    package init(_ source: String) throws(RegexProblem) {
        do {
            _ = try Regex(source)
        } catch {
            throw RegexProblem(pattern: source, message: "\(error)")
        }
        let regex: NSRegularExpression
        do {
            regex = try NSRegularExpression(pattern: source, options: [])
        } catch {
            throw RegexProblem(pattern: source, message: "the regex engine rejected it: \(error.localizedDescription)")
        }
        let captureNames = Self.groupNames(in: source)
        compiled = Compiled(
            source: source, captureNames: captureNames, literalPrefix: Array(Self.literalPrefix(of: source).utf8),
            regex: SendableRegex(regex), bytes: BytePattern(source).flatMap { $0.groupNames == captureNames ? $0 : nil })
    }

    /// True when lines are matched on their bytes, without the regex engine (for tests).
    var matchesBytes: Bool { bytes != nil }

    package var description: String { source }

    /// Matches a whole line (without its newline) and returns the named groups, or nil when it does not match.
    package func match(_ line: UnsafeRawBufferPointer) -> [String: String]? {
        let literalPrefix = compiled.literalPrefix
        guard line.count >= literalPrefix.count else { return nil }
        for index in 0..<literalPrefix.count where line[index] != literalPrefix[index] {
            return nil
        }
        if let bytes, BytePattern.canMatch(line) { return bytes.match(line) }
        return match(String(decoding: line, as: UTF8.self))
    }

    /// Matches a line given as text.
    package func match(_ line: String) -> [String: String]? {
        let range = NSRange(line.startIndex..<line.endIndex, in: line)
        guard let result = regex.value.firstMatch(in: line, options: [], range: range) else { return nil }
        var captures: [String: String] = [:]
        for name in captureNames {
            let groupRange = result.range(withName: name)
            if groupRange.location != NSNotFound, let swiftRange = Range(groupRange, in: line) {
                captures[name] = String(line[swiftRange])
            }
        }
        return captures
    }

    private static func groupNames(in pattern: String) -> [String] {
        var names: [String] = []
        var rest = pattern[...]
        while let open = rest.range(of: "(?<") {
            let after = rest[open.upperBound...]
            // `(?<=` and `(?<!` are look-behinds, not names.
            if let first = after.first, first != "=", first != "!", let close = after.firstIndex(of: ">") {
                names.append(String(after[..<close]))
            }
            rest = after
        }
        return names
    }

    /// The literal text a match must begin with: the characters after `^` up to the first special one.
    static func literalPrefix(of pattern: String) -> String {
        guard pattern.hasPrefix("^"), !pattern.contains("|") else { return "" }
        var literal: [Character] = []
        var index = pattern.index(after: pattern.startIndex)
        while index < pattern.endIndex {
            var character = pattern[index]
            var next = pattern.index(after: index)
            if character == "\\" {
                guard next < pattern.endIndex else { break }
                let escaped = pattern[next]
                guard "[](){}.*+?^$|\\/-".contains(escaped) else { break }
                character = escaped
                next = pattern.index(after: next)
            } else if "[](){}.*+?^$|".contains(character) {
                break
            }
            if next < pattern.endIndex {
                let following = pattern[next]
                if following == "?" || following == "*" || (following == "{" && pattern[next...].hasPrefix("{0")) {
                    break
                }
                if following == "+" || following == "{" {
                    literal.append(character)
                    break
                }
            }
            literal.append(character)
            index = next
        }
        return String(literal)
    }
}

/// A pattern that does not compile.
package struct RegexProblem: Error, Sendable, CustomStringConvertible {
    package let pattern: String
    package let message: String
    package var description: String { "invalid regex '\(pattern)': \(message)" }
}

/// `NSRegularExpression` is immutable after creation and documented as safe to share across threads.
package final class SendableRegex: @unchecked Sendable {
    package let value: NSRegularExpression
    package init(_ value: NSRegularExpression) { self.value = value }
}
