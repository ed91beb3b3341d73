/// A small JSONPath: `$`, `.name`, `['name']`, `[n]` (negative counts from the end), `[*]` and filters
/// `[?(@.key=='value')]` / `[?(@.a.b!=3)]`.
package struct JSONPath: Sendable, Equatable, CustomStringConvertible {
    enum Step: Sendable, Equatable {
        case member(String)
        case index(Int)
        case wildcard
        case filter(path: [String], equal: Bool, literal: Literal)
    }

    enum Literal: Sendable, Equatable {
        case string(String)
        case number(Double)
        case bool(Bool)
        case null
    }

    let steps: [Step]
    package let description: String

    /// Parses a path expression.
    package init(_ text: String) throws(JSONError) {
        description = text
        var parser = Parser(text: text)
        steps = try parser.parse()
    }

    /// True when the path names at most one value (no wildcard or filter).
    package var isDefinite: Bool {
        !steps.contains { step in
            switch step {
            case .wildcard, .filter: return true
            default: return false
            }
        }
    }

    /// The first value the path reaches, stopping as soon as it is found.
    package func first(in scanner: JSONScanner, root: JSONSlice) throws(JSONError) -> JSONSlice? {
        var result: JSONSlice?
        try walk(scanner, root, step: 0) { slice in
            result = slice
            return false
        }
        return result
    }

    /// Every value the path reaches, in document order.
    package func all(in scanner: JSONScanner, root: JSONSlice) throws(JSONError) -> [JSONSlice] {
        var result: [JSONSlice] = []
        try walk(scanner, root, step: 0) { slice in
            result.append(slice)
            return true
        }
        return result
    }

    /// Visits matches; `visit` returns false to stop. Returns false when stopped.
    @discardableResult
    private func walk(
        _ scanner: JSONScanner, _ node: JSONSlice, step: Int, _ visit: (JSONSlice) -> Bool
    ) throws(JSONError) -> Bool {
        guard step < steps.count else { return visit(node) }
        switch steps[step] {
        case .member(let name):
            guard let child = try scanner.member(name, of: node) else { return true }
            return try walk(scanner, child, step: step + 1, visit)
        case .index(let position):
            guard node.kind == .array else { return true }
            let elements = try scanner.elements(of: node)
            let index = position < 0 ? elements.count + position : position
            guard elements.indices.contains(index) else { return true }
            return try walk(scanner, elements[index], step: step + 1, visit)
        case .wildcard:
            let children: [JSONSlice]
            switch node.kind {
            case .array: children = try scanner.elements(of: node)
            case .object: children = try scanner.members(of: node).map(\.value)
            default: children = []
            }
            for child in children where try !walk(scanner, child, step: step + 1, visit) { return false }
            return true
        case .filter(let path, let equal, let literal):
            guard node.kind == .array else { return true }
            for element in try scanner.elements(of: node) {
                var target: JSONSlice? = element
                for name in path {
                    guard let current = target else { break }
                    target = try scanner.member(name, of: current)
                }
                let matches = try target.map { slice throws(JSONError) in try Self.equals(scanner, slice, literal) } ?? false
                if matches == equal, try !walk(scanner, element, step: step + 1, visit) { return false }
            }
            return true
        }
    }

    private static func equals(_ scanner: JSONScanner, _ slice: JSONSlice, _ literal: Literal) throws(JSONError) -> Bool {
        switch (slice.kind, literal) {
        case (.string, .string(let text)): return try scanner.string(slice) == text
        case (.number, .number(let value)): return scanner.double(slice) == value
        case (.bool, .bool(let value)): return try scanner.bool(slice) == value
        case (.null, .null): return true
        default: return false
        }
    }

    private struct Parser {
        let text: String
        let characters: [Character]
        var position = 0

        init(text: String) {
            self.text = text
            self.characters = Array(text)
        }

        func fail(_ message: String) -> JSONError { .path(text: text, position: position, message: message) }

        var current: Character? { position < characters.count ? characters[position] : nil }

        mutating func expect(_ character: Character) throws(JSONError) {
            guard current == character else { throw fail("expected '\(character)'") }
            position += 1
        }

        mutating func parse() throws(JSONError) -> [Step] {
            try expect("$")
            var steps: [Step] = []
            while let character = current {
                if character == "." {
                    position += 1
                    if current == "*" {
                        position += 1
                        steps.append(.wildcard)
                    } else {
                        steps.append(.member(try name()))
                    }
                } else if character == "[" {
                    position += 1
                    steps.append(try bracket())
                } else {
                    throw fail("expected '.' or '['")
                }
            }
            return steps
        }

        mutating func name() throws(JSONError) -> String {
            let start = position
            while let character = current, character.isLetter || character.isNumber || character == "_" || character == "-" {
                position += 1
            }
            guard position > start else { throw fail("expected a member name") }
            return String(characters[start..<position])
        }

        mutating func bracket() throws(JSONError) -> Step {
            guard let character = current else { throw fail("expected ']'") }
            let step: Step
            switch character {
            case "*":
                position += 1
                step = .wildcard
            case "'", "\"":
                step = .member(try quoted())
            case "?":
                position += 1
                step = try filter()
            default:
                let start = position
                if current == "-" { position += 1 }
                while let digit = current, digit.isNumber { position += 1 }
                guard let index = Int(String(characters[start..<position])) else { throw fail("expected an index, '*', a quoted name or a filter") }
                step = .index(index)
            }
            try expect("]")
            return step
        }

        mutating func quoted() throws(JSONError) -> String {
            guard let quote = current else { throw fail("expected a quote") }
            position += 1
            var value = ""
            while let character = current, character != quote {
                if character == "\\" {
                    position += 1
                    guard let escaped = current else { break }
                    value.append(escaped)
                } else {
                    value.append(character)
                }
                position += 1
            }
            try expect(quote)
            return value
        }

        mutating func filter() throws(JSONError) -> Step {
            try expect("(")
            try expect("@")
            var path: [String] = []
            while current == "." {
                position += 1
                path.append(try name())
            }
            guard !path.isEmpty else { throw fail("expected '@.name' in the filter") }
            skipSpaces()
            let equal: Bool
            if characters[position...].starts(with: ["=", "="]) {
                equal = true
            } else if characters[position...].starts(with: ["!", "="]) {
                equal = false
            } else {
                throw fail("expected '==' or '!='")
            }
            position += 2
            skipSpaces()
            let literal: Literal
            switch current {
            case "'", "\"": literal = .string(try quoted())
            case "t" where characters[position...].starts(with: Array("true")):
                position += 4
                literal = .bool(true)
            case "f" where characters[position...].starts(with: Array("false")):
                position += 5
                literal = .bool(false)
            case "n" where characters[position...].starts(with: Array("null")):
                position += 4
                literal = .null
            default:
                let start = position
                while let character = current, character.isNumber || "-+.eE".contains(character) { position += 1 }
                guard let number = Double(String(characters[start..<position])) else {
                    throw fail("expected a quoted text, a number, true, false or null")
                }
                literal = .number(number)
            }
            skipSpaces()
            try expect(")")
            return .filter(path: path, equal: equal, literal: literal)
        }

        mutating func skipSpaces() {
            while current == " " { position += 1 }
        }
    }
}
