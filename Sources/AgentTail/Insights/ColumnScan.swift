import Foundation
import GRDB
import GRDBSQLite

/// A pass over the rows of one query that reads each column in place, through SQLite's own accessors.
///
/// A report reads millions of rows; decoding each into a GRDB `Row` and its values costs several times what SQLite
/// spends finding them. Here numbers are read as they are, and the few distinct texts of a column (tool names,
/// models, days) are made into strings once each, through `TextNumbers`.
struct ColumnScan {
    private let statement: Statement
    private let cursor: RowCursor

    init(_ db: Database, sql: String, arguments: StatementArguments) throws {
        try self.init(db.makeStatement(sql: sql), arguments: arguments)
    }

    /// A pass over the rows `statement` gives for `arguments` (a statement is run again this way).
    init(_ statement: Statement, arguments: StatementArguments) throws {
        self.statement = statement
        cursor = try Row.fetchCursor(statement, arguments: arguments)
    }

    /// Steps to the next row; false at the end.
    func next() throws -> Bool { try cursor.next() != nil }

    private var handle: SQLiteStatement { statement.sqliteStatement }

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }

    func int(_ column: Int32) -> Int? { isNull(column) ? nil : Int(sqlite3_column_int64(handle, column)) }

    func double(_ column: Int32) -> Double? { isNull(column) ? nil : sqlite3_column_double(handle, column) }

    /// A column holding 0/1, nil when NULL.
    func bool(_ column: Int32) -> Bool? { isNull(column) ? nil : sqlite3_column_int64(handle, column) != 0 }

    func text(_ column: Int32) -> String? {
        guard let bytes = bytes(column) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The column's text as bytes, valid until the next step; nil when NULL.
    func bytes(_ column: Int32) -> UnsafeRawBufferPointer? {
        guard let pointer = sqlite3_column_text(handle, column) else { return nil }
        return UnsafeRawBufferPointer(start: pointer, count: Int(sqlite3_column_bytes(handle, column)))
    }

    /// The index of the one of `literals` the column holds exactly; nil when it holds none of them.
    func text(_ column: Int32, among literals: [StaticString]) -> Int? {
        guard let pointer = sqlite3_column_text(handle, column) else { return nil }
        let count = Int(sqlite3_column_bytes(handle, column))
        return literals.firstIndex { $0.utf8CodeUnitCount == count && memcmp(pointer, $0.utf8Start, count) == 0 }
    }

    /// The number `table` gives the column's text (the first `prefix` bytes of it, when given); nil when NULL.
    func text(_ column: Int32, in table: inout TextNumbers, prefix: Int = .max) -> Int? {
        guard let bytes = bytes(column) else { return nil }
        return table.number(of: UnsafeRawBufferPointer(rebasing: bytes.prefix(prefix)))
    }
}

/// Numbers for the distinct texts of a column, in the order they were first seen, and each text as a string.
///
/// A column a report groups by holds few distinct texts (tools, models, days): they are found by comparing bytes,
/// in a list while it is short and through a dictionary after that.
struct TextNumbers {
    private(set) var texts: [String] = []
    private var bytes: [[UInt8]] = []
    private var numbers: [String: Int] = [:]
    private var last = -1
    private static let listed = 32

    /// The number of `text`, given a new one the first time it is seen.
    mutating func number(of text: String) -> Int {
        var text = text
        return text.withUTF8 { number(of: UnsafeRawBufferPointer($0)) }
    }

    /// The number of `text`, given a new one the first time it is seen.
    mutating func number(of text: UnsafeRawBufferPointer) -> Int {
        if last >= 0, equal(bytes[last], text) { return last }
        last = lookUp(text)
        return last
    }

    private func equal(_ known: [UInt8], _ text: UnsafeRawBufferPointer) -> Bool {
        known.count == text.count
            && known.withUnsafeBytes { known in
                known.count == 0 || memcmp(known.baseAddress!, text.baseAddress!, known.count) == 0
            }
    }

    private mutating func lookUp(_ text: UnsafeRawBufferPointer) -> Int {
        if texts.count <= Self.listed {
            for (number, known) in bytes.enumerated() where equal(known, text) { return number }
        } else if let number = numbers[String(decoding: text, as: UTF8.self)] {
            return number
        }
        let string = String(decoding: text, as: UTF8.self)
        texts.append(string)
        bytes.append(Array(text))
        numbers[string] = texts.count - 1
        return texts.count - 1
    }

    subscript(number: Int) -> String { texts[number] }
}
