import AgentTailCore
import Foundation
import Yams

/// Loads rule packs from YAML, built-in or from disk, and checks everything a user can get wrong.
package enum RulePackLoader {
    /// The packs shipped inside agenttail.
    package static let builtinNames = ["mini-agent", "claude-code"]

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
        for node in recordNodes {
            let rule = try compileRecord(node, captures: captures, body: framing.body)
            if records.contains(where: { $0.name == rule.name }) {
                throw node.error("two record rules are named '\(rule.name)'")
            }
            records.append(rule)
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
        let map = try node.mapping(allowed: ["mode", "start", "head_end", "head_fields", "body", "max_record_size"])
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
        return Framing(
            mode: mode, start: start, headEnd: headEnd, headFields: headFields, body: body, maxRecordBytes: maxRecord)
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
    }

    private static func compileRecord(
        _ node: YAMLValue, captures: Set<String>, body: Framing.Body
    ) throws(ConfigError) -> RecordRule {
        let map = try node.mapping(allowed: ["name", "when", "each", "emit", "fields"])
        let kindNode = try map.required("emit")
        let kind = EmitKind(rawValue: try kindNode.oneOf(EmitKind.allCases.map(\.rawValue)))!
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
                if case .mapping = valueNode.node {
                    let regex = try pattern(try valueNode.mapping(allowed: ["matches"]).required("matches"))
                    conditions.append(RecordCondition(source: conditionSource, equals: [], matches: regex))
                    continue
                }
                let values = try valueNode.sequence(allowScalar: true).map { value throws(ConfigError) in
                    try value.string()
                }
                conditions.append(RecordCondition(source: conditionSource, equals: values))
            }
        }
        var fields: [String: FieldSpec] = [:]
        let allowed = kind == .ignore ? [:] : kind.fields.merging(EmitKind.sessionFields) { own, _ in own }
        if let fieldsNode = map.optional("fields") {
            if kind == .ignore { throw fieldsNode.error("'ignore' rules take no fields") }
            for (field, valueNode) in try fieldsNode.mapping(allowed: allowed.keys.sorted()).entries {
                if allowed[field] == .toolCalls {
                    fields[field] = try toolCalls(valueNode)
                } else {
                    fields[field] = .value(try fieldSource(valueNode, scope: &scope))
                }
            }
        }
        return RecordRule(
            name: name, conditions: conditions, each: each, kind: kind, fields: fields, pathLocations: scope.locations)
    }

    private static func toolCalls(_ node: YAMLValue) throws(ConfigError) -> FieldSpec {
        let map = try node.mapping(allowed: ["each", "fields"])
        let each = try jsonPath(try map.required("each"))
        let fieldMap = try map.required("fields").mapping(allowed: ["id", "name", "arguments"])
        let name = try jsonPath(try fieldMap.required("name"))
        let id = try fieldMap.optional("id").map { value throws(ConfigError) in try jsonPath(value) }
        let arguments = try fieldMap.optional("arguments").map { value throws(ConfigError) in try jsonPath(value) }
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
    /// `{sum: [sources]}`, or a list of these (the first that has a value).
    private static func fieldSource(_ node: YAMLValue, scope: inout RuleScope) throws(ConfigError) -> ValueSource {
        switch node.node {
        case .sequence:
            let items = try node.sequence()
            guard items.count >= 2 else { throw node.error("a list of sources needs at least two; write one alone") }
            return .firstOf(try fieldSources(items, scope: &scope))
        case .mapping:
            let map = try node.mapping(allowed: ["capture", "json", "value", "sum", "pattern"])
            if let patternNode = map.optional("pattern") {
                let regex = try pattern(patternNode)
                guard regex.captureNames.count == 1 else {
                    throw patternNode.error(
                        "a field's pattern needs exactly one named group, the part to keep, such as "
                            + "'working in: `(?<workspace>[^`]+)`'")
                }
                guard map.optional("sum") == nil, map.optional("value") == nil else {
                    throw patternNode.error("'pattern' reads what 'json' or 'capture' finds; give one of those with it")
                }
                let found = try source(in: map, captures: scope.captures, owner: node)
                if case .json(let path) = found { try note(path, at: try map.required("json"), scope: &scope) }
                return .extract(found, regex)
            }
            if let sumNode = map.optional("sum") {
                guard map.entries.count == 1 else { throw node.error("'sum' stands alone: give only the sources to add") }
                let items = try sumNode.sequence()
                guard !items.isEmpty else { throw sumNode.error("'sum' needs at least one source") }
                return .sum(try fieldSources(items, scope: &scope))
            }
            let found = try source(in: map, captures: scope.captures, owner: node)
            if case .json(let path) = found { try note(path, at: try map.required("json"), scope: &scope) }
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
