import AgentTailCore
import Foundation
import Yams

/// Loads rule packs from YAML, built-in or from disk, and checks everything a user can get wrong.
package enum RulePackLoader {
    /// The packs shipped inside agenttail.
    package static let builtinNames = ["mini-agent", "claude-code", "codex", "gemini-cli"]

    /// Loads the pack a source refers to.
    package static func load(_ reference: RulesReference) throws(ConfigError) -> RulePack {
        switch reference {
        case .file(let path):
            return try load(path: path, origin: path)
        case .builtin(let name):
            guard builtinNames.contains(name) else {
                var message = "there is no built-in rule pack '\(name)'"
                if let near = builtinNames.first(where: { $0.hasPrefix(name) }) ?? Suggestion.closest(to: name, in: builtinNames) {
                    message += " (did you mean 'builtin:\(near)'?)"
                }
                throw ConfigError.unknown(
                    reference: "builtin:\(name)",
                    message: message + "; the built-in ones are " + builtinNames.map { "builtin:\($0)" }.joined(separator: ", "))
            }
            guard let path = builtinPath(name) else {
                throw ConfigError.unreadable(
                    file: "builtin:\(name)",
                    reason: "built-in rule pack not found; agenttail's resource folder "
                        + "'\(BundledResource.folderName)' must sit next to the agenttail binary")
            }
            return try load(path: path, origin: "builtin:\(name)")
        }
    }

    /// Loads and compiles the rules file at `path`.
    package static func load(path: String, origin: String? = nil) throws(ConfigError) -> RulePack {
        guard let root = try YAMLValue.load(path: path) else {
            throw ConfigError.invalid(file: path, line: 1, column: 1, keyPath: "", message: "the rules file is empty")
        }
        return try compile(root, origin: origin ?? path, base: URL(fileURLWithPath: path).deletingLastPathComponent().path)
    }

    /// Compiles rules given as text (tests, `--rules` from other places).
    package static func compile(text: String, file: String) throws(ConfigError) -> RulePack {
        guard let root = try YAMLValue.parse(text, file: file) else {
            throw ConfigError.invalid(file: file, line: 1, column: 1, keyPath: "", message: "the rules file is empty")
        }
        return try compile(root, origin: file, base: URL(fileURLWithPath: file).deletingLastPathComponent().path)
    }

    static func builtinPath(_ name: String) -> String? {
        BundledResource.path("rules/\(name).yaml")
    }

    /// - Parameter base: the folder sample files of the pack's tests are relative to.
    static func compile(_ root: YAMLValue, origin: String, base: String) throws(ConfigError) -> RulePack {
        let top = try root.mapping(allowed: [
            "name", "agent", "framing", "timestamp", "session", "pairing", "records", "tool_categories", "tests",
        ])
        let name = try top.required("name").nonEmptyString()
        let agent = try top.optional("agent")?.nonEmptyString() ?? name
        let framing = try compileFraming(try top.required("framing"))
        let captures = Set(framing.start.flatMap(\.captureNames) + framing.headFields.flatMap(\.captureNames))

        let timestampMap = try top.required("timestamp").mapping(allowed: ["capture", "json", "format", "timezone"])
        let timestampSource = try source(in: timestampMap, captures: captures, owner: top.required("timestamp"))
        if case .json(let path) = timestampSource, path.isRelative {
            throw try timestampMap.required("json").error("the timestamp is read from the record's root: write '$...'")
        }
        let formatNode = try timestampMap.required("format")
        let format: TimestampFormat
        do {
            format = try TimestampFormat(
                format: try formatNode.nonEmptyString(),
                timeZone: try timestampMap.optional("timezone")?.nonEmptyString() ?? "local")
        } catch let error as TimestampFormatProblem {
            throw (timestampMap.optional("timezone") ?? formatNode).error(error.description)
        } catch {
            throw formatNode.error("\(error)")
        }

        var session = SessionRule(completeOn: .finalResponse)
        if let node = top.optional("session") {
            let map = try node.mapping(allowed: ["per", "complete_on"])
            if let per = map.optional("per") { _ = try per.oneOf(["file"]) }
            if let value = map.optional("complete_on") {
                session.completeOn = SessionRule.Completion(rawValue: try value.oneOf(["final_response", "never"]))!
            }
        }

        var pairing = ToolPairing.byOrder
        if let node = top.optional("pairing") {
            let map = try node.mapping(allowed: ["tool_results"])
            if let value = map.optional("tool_results") {
                pairing = ToolPairing(rawValue: try value.oneOf(["by_id", "by_order"]))!
            }
        }

        var records: [RecordRule] = []
        let recordNodes = try top.required("records").sequence()
        guard !recordNodes.isEmpty else { throw try top.required("records").error("needs at least one record rule") }
        var recalls: [(name: String, node: YAMLValue)] = []
        for node in recordNodes {
            let rule = try compileRecord(node, captures: captures, body: framing.body, recalls: &recalls)
            if records.contains(where: { $0.name == rule.name }) {
                throw node.error("two record rules are named '\(rule.name)'")
            }
            records.append(rule)
        }
        let remembered = Set(records.flatMap { $0.events.flatMap { $0.remember.map(\.name) } })
        for recall in recalls where !remembered.contains(recall.name) {
            var message = "'context.\(recall.name)' is remembered by no rule; a context rule keeps it with 'remember: { \(recall.name): ... }'"
            if let near = Suggestion.closest(to: recall.name, in: Array(remembered)) {
                message += " (did you mean 'context.\(near)'?)"
            }
            throw recall.node.error(message)
        }

        var categories: [ToolCategory] = []
        if let node = top.optional("tool_categories") {
            for (category, patternsNode) in try node.mapping(allowed: [
                "file", "shell", "memory", "skill", "mcp", "web", "search", "agent", "other",
            ]).entries {
                let patterns = try patternsNode.sequence(allowScalar: true).map { node throws(ConfigError) in
                    try node.nonEmptyString()
                }
                categories.append(ToolCategory(name: category, patterns: patterns))
            }
        }
        var pack = RulePack(
            origin: origin, name: name, agent: agent, framing: framing,
            timestamp: TimestampRule(source: timestampSource, format: format), session: session, pairing: pairing,
            records: records, toolCategories: categories)
        if let node = top.optional("tests") { pack.tests = try compileTests(node, base: base) }
        return pack
    }

    private static func compileFraming(_ node: YAMLValue) throws(ConfigError) -> Framing {
        let map = try node.mapping(allowed: [
            "mode", "start", "start_in_body", "head_end", "head_fields", "body", "max_record_size",
        ])
        let mode = Framing.Mode(rawValue: try map.optional("mode")?.oneOf(["multiline", "lines"]) ?? "multiline")!
        var start: [LinePattern] = []
        if let startNode = map.optional("start") {
            for patternNode in try startNode.sequence(allowScalar: true) {
                start.append(try pattern(patternNode))
            }
        }
        if mode == .multiline, start.isEmpty {
            throw (map["start"] ?? node).error("multiline framing needs 'start': the line pattern(s) that open a record")
        }
        let headEnd = try map.optional("head_end").map { value throws(ConfigError) in try pattern(value) }
        var headFields: [LinePattern] = []
        for fieldNode in try map.optional("head_fields")?.sequence(allowScalar: true) ?? [] {
            let compiled = try pattern(fieldNode)
            if compiled.captureNames.isEmpty {
                throw fieldNode.error("a head field pattern needs at least one named group such as (?<timestamp>.+)")
            }
            headFields.append(compiled)
        }
        let body = Framing.Body(rawValue: try map.optional("body")?.oneOf(["json", "text"]) ?? "json")!
        var maxRecord = 512 << 20
        if let value = map.optional("max_record_size") {
            maxRecord = try value.byteSize()
            guard maxRecord >= 1024 else { throw value.error("must be at least 1KiB") }
        }
        var framing = Framing(
            mode: mode, start: start, headEnd: headEnd, headFields: headFields, body: body, maxRecordBytes: maxRecord)
        if let node = map.optional("start_in_body"), try node.bool() {
            guard mode == .multiline, body == .json else {
                throw node.error("'start_in_body' is for multiline framing with a JSON body")
            }
            guard headEnd == nil, headFields.isEmpty else {
                throw node.error("the start lines are the body's own lines: a record then has no head ('head_end', 'head_fields')")
            }
            framing.startInBody = true
        }
        return framing
    }

    private static func pattern(_ node: YAMLValue) throws(ConfigError) -> LinePattern {
        let text = try node.nonEmptyString()
        do {
            return try LinePattern(text)
        } catch {
            throw node.error(error.description)
        }
    }

    /// What a record rule may read: the framing's named groups, the JSON body, and the element of its `each`.
    private struct RuleScope {
        var captures: Set<String>
        var body: Framing.Body
        var hasEach = false
        /// The JSON paths the rule's fields read, with their places in the file.
        var locations: [PathLocation] = []
        /// The remembered values (`context.NAME`) the rule reads, with where.
        var recalls: [(name: String, node: YAMLValue)] = []
    }

    private static func compileRecord(
        _ node: YAMLValue, captures: Set<String>, body: Framing.Body, recalls: inout [(name: String, node: YAMLValue)]
    ) throws(ConfigError) -> RecordRule {
        let map = try node.mapping(allowed: ["name", "when", "each", "emit", "call", "fields", "remember", "also"])
        let kind = try emitKind(try map.required("emit"))
        let name = try map.optional("name")?.nonEmptyString() ?? kind.rawValue
        var scope = RuleScope(captures: captures, body: body)
        var each: JSONPath?
        if let eachNode = map.optional("each") {
            guard body == .json else { throw eachNode.error("'each' reads the JSON body, but the framing body is text") }
            let path = try jsonPath(eachNode)
            guard !path.isRelative else { throw eachNode.error("'each' starts at the record's root: write '$...'") }
            if kind == .ignore { throw eachNode.error("'ignore' rules take no 'each'") }
            each = path
            scope.hasEach = true
        }
        var conditions: [RecordCondition] = []
        if let whenNode = map.optional("when") {
            guard case .mapping(let mapping) = whenNode.node else {
                throw whenNode.error("expected a mapping of capture names or JSON paths to values")
            }
            let keys = Array(mapping.keys.compactMap(\.string))
            var whenScope = scope
            whenScope.hasEach = false
            for (key, valueNode) in try whenNode.mapping(allowed: keys).entries {
                let conditionSource = try valueSource(key, at: valueNode, scope: &whenScope)
                conditions.append(RecordCondition(source: conditionSource, tests: try conditionTests(valueNode)))
            }
            recalls += whenScope.recalls
        }
        let event = try eventSpec(
            kind, fields: map.optional("fields"), call: map.optional("call"), remember: map.optional("remember"),
            scope: &scope)
        var also: [EventSpec] = []
        if let alsoNode = map.optional("also") {
            if kind == .ignore { throw alsoNode.error("'ignore' rules make no events; 'also' adds events to a rule's own") }
            if let eachNode = map.optional("each") {
                throw eachNode.error("a rule with 'also' takes no 'each': give the per-element events a rule of their own")
            }
            let items = try alsoNode.sequence()
            guard !items.isEmpty else { throw alsoNode.error("'also' needs at least one event") }
            for item in items {
                let itemMap = try item.mapping(allowed: ["emit", "call", "fields", "remember"])
                let itemKind = try emitKind(try itemMap.required("emit"))
                if itemKind == .ignore { throw try itemMap.required("emit").error("an event of 'also' cannot be 'ignore'") }
                also.append(
                    try eventSpec(
                        itemKind, fields: itemMap.optional("fields"), call: itemMap.optional("call"),
                        remember: itemMap.optional("remember"), scope: &scope))
            }
        }
        recalls += scope.recalls
        let mark = node.node.mark
        return RecordRule(
            name: name, conditions: conditions, each: each, event: event, also: also, pathLocations: scope.locations,
            location: RuleLocation(
                file: node.file, line: mark?.line ?? 1, column: mark?.column ?? 1, keyPath: node.keyPath))
    }

    private static func emitKind(_ node: YAMLValue) throws(ConfigError) -> EmitKind {
        EmitKind(rawValue: try node.oneOf(EmitKind.allCases.map(\.rawValue)))!
    }

    /// One event of a rule: its kind, its fields and, for responses, how it joins its call.
    private static func eventSpec(
        _ kind: EmitKind, fields fieldsNode: YAMLValue?, call callNode: YAMLValue?, remember rememberNode: YAMLValue?,
        scope: inout RuleScope
    ) throws(ConfigError) -> EventSpec {
        var spec = EventSpec(kind: kind, fields: [:])
        if let rememberNode {
            guard kind == .context else {
                throw rememberNode.error("only 'context' rules remember values; this event is '\(kind.rawValue)'")
            }
            guard case .mapping(let mapping) = rememberNode.node else {
                throw rememberNode.error("expected a mapping of names to the values to remember")
            }
            let names = Array(mapping.keys.compactMap(\.string))
            for (name, valueNode) in try rememberNode.mapping(allowed: names).entries {
                guard name.range(of: "^[A-Za-z_][A-Za-z0-9_]*$", options: .regularExpression) != nil else {
                    throw valueNode.error("'\(name)' is no name to remember: use letters, digits and '_'")
                }
                spec.remember.append((name, try fieldSource(valueNode, scope: &scope)))
            }
        }
        if let callNode {
            guard kind == .llmResponse else {
                throw callNode.error("'call' says how a response joins its LLM call; this event is '\(kind.rawValue)'")
            }
            spec.call = CallPart(rawValue: try callNode.oneOf(CallPart.allCases.map(\.rawValue)))!
        }
        let allowed = kind == .ignore ? [:] : kind.fields.merging(EmitKind.sessionFields) { own, _ in own }
        if let fieldsNode {
            if kind == .ignore { throw fieldsNode.error("'ignore' rules take no fields") }
            for (field, valueNode) in try fieldsNode.mapping(allowed: allowed.keys.sorted()).entries {
                if allowed[field] == .toolCalls {
                    spec.fields[field] = try toolCalls(valueNode, scope: scope)
                } else {
                    spec.fields[field] = .value(try fieldSource(valueNode, scope: &scope))
                }
            }
        }
        return spec
    }

    /// The tests of one `when` entry: a literal or a list of them (equals one), or a mapping of `matches`, `not`,
    /// `exists`, `gt`, `gte`, `lt` and `lte` (all must hold).
    private static func conditionTests(_ node: YAMLValue) throws(ConfigError) -> [RecordCondition.Test] {
        guard case .mapping = node.node else { return [.oneOf(try literals(node))] }
        let map = try node.mapping(allowed: ["matches", "not", "exists", "gt", "gte", "lt", "lte"])
        guard !map.entries.isEmpty else {
            throw node.error("give a test: a value, or one of matches, not, exists, gt, gte, lt, lte")
        }
        var tests: [RecordCondition.Test] = []
        for (key, value) in map.entries {
            switch key {
            case "matches": tests.append(.matches(try pattern(value)))
            case "not": tests.append(.noneOf(try literals(value)))
            case "exists": tests.append(.exists(try value.bool()))
            default:
                let text = try value.string()
                guard let bound = Double(text), bound.isFinite else {
                    throw value.error("'\(key)' compares numbers; '\(text)' is not a number")
                }
                tests.append(.compare(RecordCondition.Comparison(rawValue: key)!, bound))
            }
        }
        return tests
    }

    /// A literal, or a list of them: texts (numbers and booleans as written) and `null`.
    private static func literals(_ node: YAMLValue) throws(ConfigError) -> [RecordCondition.Literal] {
        try node.sequence(allowScalar: true).map { value throws(ConfigError) in
            if value.isNull { return .null }
            if case .mapping = value.node { throw value.error("expected a value to compare with, or a list of them") }
            return .text(try value.string())
        }
    }

    /// `tool_calls`: the calls `each` selects, with their id, name and arguments read from each call in any of the
    /// forms other fields take.
    private static func toolCalls(_ node: YAMLValue, scope: RuleScope) throws(ConfigError) -> FieldSpec {
        let map = try node.mapping(allowed: ["each", "fields"])
        let eachNode = try map.required("each")
        let each: FieldSpec.Elements
        if case .mapping = eachNode.node {
            // Calls listed in JSON text the record holds.
            var eachScope = scope
            _ = try eachNode.mapping(allowed: ["json", "capture", "decode"])
            guard case .decode(let source, let path) = try fieldSource(eachNode, scope: &eachScope) else {
                throw eachNode.error(
                    "'each' is a JSON path, or {json: PATH, decode: PATH} for calls listed in JSON held in a string")
            }
            each = .decoded(source, path)
        } else {
            let path = try jsonPath(eachNode)
            if path.isRelative, !scope.hasEach {
                throw eachNode.error(
                    "'\(path)' reads the element of the rule's 'each', but this rule has no 'each'; write '$...'")
            }
            each = .path(path)
        }
        let fieldMap = try map.required("fields").mapping(allowed: ["id", "name", "arguments"])
        // The call's own fields read from the call, whether written with '$' or '@'; their paths are judged apart.
        var callScope = RuleScope(captures: scope.captures, body: scope.body, hasEach: true)
        let name = try fieldSource(try fieldMap.required("name"), scope: &callScope)
        let id = try fieldMap.optional("id").map { value throws(ConfigError) in try fieldSource(value, scope: &callScope) }
        let arguments = try fieldMap.optional("arguments").map { value throws(ConfigError) in
            try fieldSource(value, scope: &callScope)
        }
        return .each(each, id: id, name: name, arguments: arguments)
    }

    private static func jsonPath(_ node: YAMLValue) throws(ConfigError) -> JSONPath {
        do {
            return try JSONPath(try node.nonEmptyString())
        } catch let error as JSONError {
            throw node.error(error.description)
        } catch let error as ConfigError {
            throw error
        } catch {
            throw node.error("\(error)")
        }
    }

    /// A field given as `'$.path'`, `'@.path'`, a capture name, `{capture: name}`, `{json: path}`, `{value: text}`,
    /// `{sum: [sources]}`, or a list of these (the first that has a value). A capture or path may go on with
    /// `decode` (a path into the JSON text it holds), then `pattern` (a regex's one group), then `equals` (a bool).
    private static func fieldSource(_ node: YAMLValue, scope: inout RuleScope) throws(ConfigError) -> ValueSource {
        switch node.node {
        case .sequence:
            let items = try node.sequence()
            guard items.count >= 2 else { throw node.error("a list of sources needs at least two; write one alone") }
            return .firstOf(try fieldSources(items, scope: &scope))
        case .mapping:
            let map = try node.mapping(allowed: [
                "capture", "json", "value", "sum", "decode", "join", "pattern", "equals",
            ])
            if let sumNode = map.optional("sum") {
                guard map.entries.count == 1 else { throw node.error("'sum' stands alone: give only the sources to add") }
                let items = try sumNode.sequence()
                guard !items.isEmpty else { throw sumNode.error("'sum' needs at least one source") }
                return .sum(try fieldSources(items, scope: &scope))
            }
            var found = try source(in: map, captures: scope.captures, owner: node)
            if case .json(let path) = found { try note(path, at: try map.required("json"), scope: &scope) }
            let readsValue = map.optional("value") != nil
            if let decodeNode = map.optional("decode") {
                guard !readsValue else { throw decodeNode.error("'decode' reads the JSON text 'json' or 'capture' finds; give one of those with it") }
                let path = try jsonPath(decodeNode)
                guard !path.isRelative else {
                    throw decodeNode.error("'decode' reads from the root of the decoded JSON: write '$...'")
                }
                found = .decode(found, path)
            }
            if let joinNode = map.optional("join") {
                guard !readsValue, map.optional("capture") == nil || map.optional("decode") != nil else {
                    throw joinNode.error("'join' joins every value a JSON path selects: give 'json' (and 'decode') with it")
                }
                found = .joined(found, separator: try joinNode.string())
            }
            if let patternNode = map.optional("pattern") {
                guard !readsValue else {
                    throw patternNode.error("'pattern' reads what 'json' or 'capture' finds; give one of those with it")
                }
                let regex = try pattern(patternNode)
                guard regex.captureNames.count == 1 else {
                    throw patternNode.error(
                        "a field's pattern needs exactly one named group, the part to keep, such as "
                            + "'working in: `(?<workspace>[^`]+)`'")
                }
                found = .extract(found, regex)
            }
            if let equalsNode = map.optional("equals") {
                found = .equals(found, try literals(equalsNode))
            }
            return found
        default:
            return try valueSource(try node.nonEmptyString(), at: node, scope: &scope)
        }
    }

    private static func fieldSources(_ items: [YAMLValue], scope: inout RuleScope) throws(ConfigError) -> [ValueSource] {
        var sources: [ValueSource] = []
        for item in items { sources.append(try fieldSource(item, scope: &scope)) }
        return sources
    }

    /// Checks where a JSON path may read, and remembers where it is written.
    private static func note(_ path: JSONPath, at node: YAMLValue, scope: inout RuleScope) throws(ConfigError) {
        guard scope.body == .json else { throw node.error("JSON path '\(path)' used, but the framing body is text") }
        if path.isRelative, !scope.hasEach {
            throw node.error("'\(path)' reads the element of 'each', but this rule has no 'each'; write '$...'")
        }
        let mark = node.node.mark
        scope.locations.append(
            PathLocation(
                path: path, file: node.file, line: mark?.line ?? 1, column: mark?.column ?? 1, keyPath: node.keyPath))
    }

    private static func valueSource(
        _ text: String, at node: YAMLValue, scope: inout RuleScope
    ) throws(ConfigError) -> ValueSource {
        if text.hasPrefix("context.") {
            let name = String(text.dropFirst("context.".count))
            scope.recalls.append((name, node))
            return .remembered(name)
        }
        if text.hasPrefix("$") || text.hasPrefix("@") {
            let path: JSONPath
            do {
                path = try JSONPath(text)
            } catch {
                throw node.error("\(error)")
            }
            try note(path, at: node, scope: &scope)
            return .json(path)
        }
        guard scope.captures.contains(text) else {
            throw node.error(
                "'\(text)' is neither a JSON path (starting with '$') nor a named group of the framing patterns"
                    + (scope.captures.isEmpty ? "" : " (\(scope.captures.sorted().joined(separator: ", ")))"))
        }
        return .capture(text)
    }

    private static func source(
        in map: YAMLMapping, captures: Set<String>, owner: YAMLValue
    ) throws(ConfigError) -> ValueSource {
        let given = map.entries.filter { ["capture", "json", "value"].contains($0.key) }
        guard given.count == 1, let (key, value) = given.first else {
            throw owner.error("give exactly one of 'capture', 'json' or 'value'")
        }
        switch key {
        case "capture":
            let name = try value.nonEmptyString()
            guard captures.contains(name) else {
                throw value.error(
                    "no named group '\(name)' in the framing patterns"
                        + (captures.isEmpty ? "" : " (there are: \(captures.sorted().joined(separator: ", ")))"))
            }
            return .capture(name)
        case "json":
            return .json(try jsonPath(value))
        default:
            return .constant(try value.string())
        }
    }
}
