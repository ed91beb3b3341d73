import MCP

/// The small part of JSON Schema the tools' inputs and outputs are described with.
enum JSONSchema {
    static func object(
        _ properties: [String: Value], required: [String] = [], description: String? = nil, closed: Bool = true
    ) -> Value {
        var schema: [String: Value] = ["type": "object", "properties": .object(properties)]
        if !required.isEmpty { schema["required"] = .array(required.map { .string($0) }) }
        if closed { schema["additionalProperties"] = false }
        if let description { schema["description"] = .string(description) }
        return .object(schema)
    }

    static func string(_ description: String, choices: [String]? = nil) -> Value {
        var schema: [String: Value] = ["type": "string", "description": .string(description)]
        if let choices { schema["enum"] = .array(choices.map { .string($0) }) }
        return .object(schema)
    }

    static func integer(_ description: String, range: ClosedRange<Int>, default value: Int) -> Value {
        .object([
            "type": "integer", "description": .string(description), "minimum": .int(range.lowerBound),
            "maximum": .int(range.upperBound), "default": .int(value),
        ])
    }

    static func array(of items: Value) -> Value {
        .object(["type": "array", "items": items])
    }

    /// A value of one of the JSON `types` (such as "string" and "null").
    static func type(_ types: String...) -> Value {
        types.count == 1 ? .object(["type": .string(types[0])]) : .object(["type": .array(types.map { .string($0) })])
    }

    /// An object with these members at least (the answers may gain members in later versions). A member that may
    /// be null may also be absent: answers leave out what they do not know.
    static func record(_ members: [String: Value]) -> Value {
        let required = members.filter { _, schema in
            schema.objectValue?["type"]?.arrayValue?.contains(.string("null")) != true
        }
        return object(members, required: required.keys.sorted(), closed: false)
    }
}
