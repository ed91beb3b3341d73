import AgentTailCore
import Foundation

/// Encodes normalized rows as JSON objects (the outbox payload, `parse` output and PostgREST body) and back.
///
/// JSON columns are embedded as JSON, not as strings, so a multi-megabyte `input` is copied, never re-escaped.
package enum RowCodec {
    /// The row as one JSON object; with `includeTable`, a `"table"` member comes first; with `includeTrace`, the
    /// row's trace context follows its columns as a `"_trace"` member (the outbox keeps it for tracing sinks).
    package static func encode(_ row: NormalizedRow, includeTable: Bool = false, includeTrace: Bool = false) -> [UInt8] {
        var writer = JSONWriter()
        write(row, into: &writer, includeTable: includeTable, includeTrace: includeTrace)
        return writer.bytes
    }

    package static func write(
        _ row: NormalizedRow, into writer: inout JSONWriter, includeTable: Bool = false, includeTrace: Bool = false
    ) {
        writer.beginObject()
        if includeTable {
            writer.key("table")
            writer.string(row.table.rawValue)
        }
        defer {
            if includeTrace, let trace = row.trace {
                writer.key(traceMember)
                writer.beginObject()
                for (name, value) in trace.fields {
                    writer.key(name)
                    writer.string(value)
                }
                writer.endObject()
            }
            writer.endObject()
        }
        for (column, value) in zip(row.table.columns, row.values) {
            writer.key(column)
            switch value {
            case .null: writer.null()
            case .text(let text): writer.string(text)
            case .int(let number): writer.int(number)
            case .bool(let flag): writer.bool(flag)
            case .timestamp(let date): writer.string(date.rfc3339)
            case .uuid(let id): writer.string(id.lowercased)
            case .json(let text): writer.raw(text)
            case .usd(let amount): writer.raw(amount.decimalText)
            }
        }
    }

    private static let traceMember = "_trace"

    /// Reads a row of `table` back from the JSON object `bytes`.
    package static func decode(_ bytes: [UInt8], table: NormalizedTable) throws -> NormalizedRow {
        try bytes.withUnsafeBytes { raw in
            let scanner = JSONScanner(raw)
            let object = try scanner.value(in: 0..<raw.count)
            // One pass over the members: looking each column up would skip the long values once per column.
            var members: [String: JSONSlice] = [:]
            for (key, slice) in try scanner.members(of: object) where members[key] == nil { members[key] = slice }
            var values: [String: ColumnValue] = [:]
            var id: UUID?
            for (column, type) in table.schema {
                guard let slice = members[column], slice.kind != .null else { continue }
                let value: ColumnValue
                switch type {
                case .text:
                    value = .text(slice.kind == .string ? try scanner.string(slice) : scanner.rawText(slice))
                case .int:
                    guard let number = scanner.int(slice) else { throw RowCodecError.badValue(column) }
                    value = .int(number)
                case .bool:
                    value = .bool(try scanner.bool(slice))
                case .timestamp:
                    guard let date = Self.timestampFormat.parse(try scanner.string(slice)) else {
                        throw RowCodecError.badValue(column)
                    }
                    value = .timestamp(date)
                case .uuid:
                    guard let uuid = UUID(uuidString: try scanner.string(slice)) else { throw RowCodecError.badValue(column) }
                    value = .uuid(uuid)
                    if column == "id" { id = uuid }
                case .json:
                    value = .json(scanner.rawText(slice))
                case .usd:
                    guard slice.kind == .number, let amount = USDAmount(decimalText: scanner.rawText(slice)) else {
                        throw RowCodecError.badValue(column)
                    }
                    value = .usd(amount)
                }
                values[column] = value
            }
            guard let id else { throw RowCodecError.badValue("id") }
            var trace: TraceContext?
            if let member = members[traceMember], member.kind == .object {
                var fields: [String: String] = [:]
                for (key, slice) in try scanner.members(of: member) where slice.kind == .string {
                    fields[key] = try scanner.string(slice)
                }
                if let agent = fields["agent"], let host = fields["host"] {
                    trace = TraceContext(
                        agent: agent, host: host, workspace: fields["workspace"], gitBranch: fields["git_branch"],
                        agentVersion: fields["agent_version"])
                }
            }
            return NormalizedRow(table: table, id: id, values: values, trace: trace)
        }
    }

    private static let timestampFormat = try! TimestampFormat(format: "iso8601", timeZone: "UTC")
}

/// A stored row that does not decode; only a corrupted state file produces it.
package enum RowCodecError: Error, CustomStringConvertible {
    case badValue(String)

    package var description: String {
        switch self {
        case .badValue(let column): return "stored row has an unreadable '\(column)' value"
        }
    }
}
