import Foundation

/// Encodes normalized rows as JSON objects (the outbox payload, `parse` output and PostgREST body) and back.
///
/// JSON columns are embedded as JSON, not as strings, so a multi-megabyte `input` is copied, never re-escaped.
package enum RowCodec {
    /// The row as one JSON object; with `table`, a `"table"` member comes first.
    package static func encode(_ row: NormalizedRow, includeTable: Bool = false) -> [UInt8] {
        var writer = JSONWriter()
        write(row, into: &writer, includeTable: includeTable)
        return writer.bytes
    }

    package static func write(_ row: NormalizedRow, into writer: inout JSONWriter, includeTable: Bool = false) {
        writer.beginObject()
        if includeTable {
            writer.key("table")
            writer.string(row.table.rawValue)
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
            }
        }
        writer.endObject()
    }

    /// Reads a row of `table` back from the JSON object `bytes`.
    package static func decode(_ bytes: [UInt8], table: NormalizedTable) throws -> NormalizedRow {
        try bytes.withUnsafeBytes { raw in
            let scanner = JSONScanner(raw)
            let object = try scanner.value(in: 0..<raw.count)
            var values: [String: ColumnValue] = [:]
            var id: UUID?
            for (column, type) in table.schema {
                guard let slice = try scanner.member(column, of: object), slice.kind != .null else { continue }
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
                }
                values[column] = value
            }
            guard let id else { throw RowCodecError.badValue("id") }
            return NormalizedRow(table: table, id: id, values: values)
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
