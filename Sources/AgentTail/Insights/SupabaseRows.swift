import AgentTailCore
import AsyncHTTPClient
import Foundation
import GRDB
import NIOCore
import NIOHTTP1

/// Reads rows of a Supabase project through its Data API (with the caller's key, so that row-level security decides
/// what they see) into a store with the local schema: for reports from Supabase and for the dashboard's mirror.
struct SupabaseRows: Sendable {
    let config: SupabaseReadConfig
    /// Rows asked per request; Supabase answers at most its max rows (1,000 by default).
    var pageSize = 1000

    /// Reads the `columns` of every row of `table` that `filters` select, page by page in id order, into a store
    /// with the local schema; a row read again replaces the one read before. Returns the sessions the rows belong to.
    @discardableResult
    func copy(
        _ table: NormalizedTable, _ columns: [String], filters: [(String, String)], into scratch: DatabaseQueue,
        each: (([String: Any]) -> Void)? = nil
    ) async throws -> Set<String> {
        var sessions = Set<String>()
        let types = Dictionary(uniqueKeysWithValues: table.schema.map { ($0.name, $0.type) })
        let insert =
            "INSERT OR REPLACE INTO \(table.rawValue) (\(columns.joined(separator: ", "))) VALUES "
            + "(\(Array(repeating: "?", count: columns.count).joined(separator: ", ")))"
        var after: String?
        while true {
            var parameters = [("select", columns.joined(separator: ",")), ("order", "id.asc"), ("limit", "\(pageSize)")]
            parameters += filters
            if let after { parameters.append(("id", "gt.\(after)")) }
            let rows = try await get(table, parameters)
            let values: [[DatabaseValue]] = rows.map { row in
                columns.map { Self.storeValue(row[$0], types[$0]!)?.databaseValue ?? .null }
            }
            try await scratch.write { db in
                let statement = try db.cachedStatement(sql: insert)
                for row in values { try statement.execute(arguments: StatementArguments(row)) }
            }
            if let each { rows.forEach(each) }
            for row in rows {
                if let id = (table == .agentSessions ? row["id"] : row["session_id"]) as? String {
                    sessions.insert(id.lowercased())
                }
            }
            // The project may answer fewer rows than asked (its max rows): only an empty page is the end.
            guard let last = rows.last?["id"] as? String else { return sessions }
            after = last
        }
    }

    /// A value of the Data API's JSON as the local store keeps it.
    static func storeValue(_ value: Any?, _ type: ColumnType) -> (any DatabaseValueConvertible)? {
        guard let value, !(value is NSNull) else { return nil }
        switch type {
        case .text, .uuid:
            return value as? String
        case .int:
            return (value as? NSNumber)?.int64Value
        case .bool:
            return (value as? Bool).map { $0 ? 1 : 0 }
        case .usd:
            if let number = value as? NSNumber { return number.doubleValue }
            return (value as? String).flatMap(Double.init)
        case .timestamp:
            return (value as? String).flatMap { Report.timestamps.parse($0) }?.rfc3339
        case .json:
            guard JSONSerialization.isValidJSONObject(value) || value is String || value is NSNumber,
                let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys])
            else { return nil }
            return String(decoding: data, as: UTF8.self)
        }
    }

    func get(_ table: NormalizedTable, _ parameters: [(String, String)]) async throws(SupabaseReportReader.Problem)
        -> [[String: Any]]
    {
        var components = URLComponents(string: "\(config.url)/rest/v1/\(table.rawValue)")!
        components.queryItems = parameters.map { URLQueryItem(name: $0.0, value: $0.1) }
        // `+` in a time zone offset would read as a space.
        components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        var request = HTTPClientRequest(url: components.url!.absoluteString)
        request.method = .GET
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "apikey", value: config.apiKey.value)
        // A user's token is the bearer; else a JWT key is its own, and an opaque key (sb_...) goes in `apikey` alone,
        // as Supabase's client libraries send them.
        if let token = config.accessToken {
            request.headers.add(name: "Authorization", value: "Bearer \(token.value)")
        } else if !config.apiKey.value.hasPrefix("sb_") {
            request.headers.add(name: "Authorization", value: "Bearer \(config.apiKey.value)")
        }
        let status: UInt
        let body: ByteBuffer
        do {
            let seconds = max(1, config.timeout.components.seconds)
            let response = try await HTTPClients.client(for: config.tls).execute(request, timeout: .seconds(seconds))
            status = response.status.code
            body = try await response.body.collect(upTo: 256 << 20)
        } catch {
            throw SupabaseReportReader.Problem(description: "Supabase could not be read at \(config.url): \(HTTPExchange.describe(error))")
        }
        let text = String(buffer: body)
        switch status {
        case 200, 206:
            guard let rows = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [[String: Any]] else {
                throw SupabaseReportReader.Problem(description: "Supabase answered \(table.rawValue) with something that is not rows")
            }
            return rows
        case 401, 403:
            throw SupabaseReportReader.Problem(
                description: "Supabase refused to let these credentials read \(table.rawValue) (HTTP \(status) "
                    + "\(ReportText.cut(ReportText.terminal(text), to: 200))); give report.supabase.api_key the "
                    + "project's publishable key and access_token a user's token (role authenticated), or give "
                    + "api_key the project's secret key")
        case 404:
            throw SupabaseReportReader.Problem(description: "table \(table.rawValue) not found at \(config.url): apply Schema/ first")
        default:
            throw SupabaseReportReader.Problem(
                description: "Supabase answered HTTP \(status) for \(table.rawValue): "
                    + ReportText.cut(ReportText.terminal(text), to: 300))
        }
    }
}
