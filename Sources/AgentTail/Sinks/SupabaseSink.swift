import AgentTailCore
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Upserts rows into Supabase through its REST (PostgREST) API, one request per table and batch.
///
/// Every request is an idempotent upsert on `id` (`on_conflict=id`, `resolution=merge-duplicates`,
/// `return=minimal`), so a resend after a lost response or a crash changes nothing. A request refused because of
/// its rows (a 4xx other than 401/403/404/408/429) is split in halves until the offending rows are alone; only those
/// are rejected, the rest is delivered.
package final class SupabaseSink: Sink {
    package let name = "supabase"
    package let config: SupabaseSinkConfig
    private let client: HTTPClient
    private let logger: Logger
    private let delivery = HTTPDelivery()

    package init(config: SupabaseSinkConfig, client: HTTPClient? = nil, logger: Logger) {
        self.config = config
        self.client = client ?? HTTPClients.client(for: config.tls)
        var logger = logger
        logger[metadataKey: "sink.name"] = "supabase"
        self.logger = logger
    }

    package func send(_ rows: [NormalizedRow]) async throws(SinkError) -> [Rejection] {
        let capped = rows.map { FieldCap.apply(to: $0, limit: config.maxFieldBytes) }
        return try await delivery.send(capped) { pending in
            // One table per request, sessions first so that later rows refer to existing ones.
            NormalizedTable.allCases.sorted { $0.deliveryRank < $1.deliveryRank }.flatMap { table in
                batches(of: pending.filter { $0.table == table }).map { batch in batch.map { ($0, $0) } }
            }
        } post: { (batch: [NormalizedRow]) async throws(SinkError) in
            try await post(batch, to: batch[0].table)
        }
    }

    /// Cuts rows into request bodies of at most `batchSize` rows and `maxRequestBytes` bytes.
    private func batches(of rows: [NormalizedRow]) -> [[NormalizedRow]] {
        BatchSplitter.chunks(rows, maxCount: config.batchSize, maxBytes: config.maxRequestBytes, overhead: 2) {
            RowCodec.encode($0).count + 1
        }
    }

    private func post(
        _ rows: [NormalizedRow], to table: NormalizedTable
    ) async throws(SinkError) -> BatchSplitter.Answer {
        var writer = JSONWriter()
        writer.beginArray()
        for row in rows { RowCodec.write(row, into: &writer) }
        writer.endArray()
        let response: HTTPExchange.Response
        do {
            response = try await HTTPExchange.execute(upsertRequest(table, body: writer.bytes), client: client, timeout: config.timeout, logger: logger)
        } catch {
            throw SinkError.retryable("Supabase request for \(table.rawValue) failed: \(HTTPExchange.describe(error))")
        }
        let problem = response.problem
        switch response.status {
        case 200, 201, 204:
            logger.debug("rows upserted", metadata: ["table": "\(table.rawValue)", "batch.rows": "\(rows.count)"])
            return .accepted
        case 401, 403:
            throw SinkError.fatal(
                "Supabase refused \(config.key.kindDescription) (HTTP \(response.status)\(problem)); "
                    + "check sinks.supabase.\(config.key.field) and that Schema/ granted the service role its rights")
        case 404:
            throw SinkError.retryable("table \(table.rawValue) not found (HTTP 404\(problem)): apply Schema/ first")
        case 408, 429, 500...599:
            throw SinkError.retryable(
                "Supabase answered HTTP \(response.status)\(problem) for \(table.rawValue)", after: response.retryAfter)
        case 400 where response.code == "PGRST204":
            // A column the schema lacks is never one row's fault: every row has the same columns.
            throw SinkError.retryable(
                "table \(table.rawValue) lacks a column agenttail writes (HTTP 400\(problem)): apply the latest Schema/")
        default:
            return .refused("HTTP \(response.status)\(problem)")
        }
    }

    /// Checks that the URL answers, the key is accepted, and every table exists, is exposed to the Data API and takes
    /// writes.
    /// - Returns: one line per problem, empty when the sink is ready.
    package func verify() async -> [String] {
        var problems: [String] = []
        for table in NormalizedTable.allCases {
            do {
                // An empty batch writes nothing but is checked like a real one: table, columns, grants.
                let response = try await HTTPExchange.execute(
                    upsertRequest(table, body: Array("[]".utf8)), client: client, timeout: config.timeout, logger: logger)
                switch response.status {
                case 200, 201, 204:
                    continue
                case 401 where response.code == "42501", 403 where response.code == "42501":
                    // The key was taken; the table is not granted to the service role (new projects grant nothing
                    // by default).
                    problems.append(
                        "table \(table.rawValue) is not exposed to the Data API for the service role (permission "
                            + "denied): apply Schema/, whose migrations grant it select, insert and update")
                case 401, 403:
                    problems.append(
                        "Supabase refused \(config.key.kindDescription) for \(table.rawValue) "
                            + "(HTTP \(response.status)\(response.problem)); check sinks.supabase.\(config.key.field)")
                    return problems
                case 404:
                    problems.append("table \(table.rawValue) not found: apply Schema/ first")
                default:
                    problems.append(
                        "table \(table.rawValue) does not accept agenttail's rows (HTTP \(response.status)\(response.problem)); "
                            + "apply the latest Schema/")
                }
            } catch {
                problems.append("cannot reach Supabase at \(config.url): \(HTTPExchange.describe(error))")
                return problems
            }
        }
        return problems
    }

    /// An idempotent bulk upsert of `body` (a JSON array of rows) into `table`, as the contract describes: every
    /// column listed, conflicts on `id` merged, nothing echoed back. A secret key goes in `apikey` alone, a legacy
    /// JWT in both headers.
    private func upsertRequest(_ table: NormalizedTable, body: [UInt8]) -> HTTPClientRequest {
        let columns = table.columns.map { "%22\($0)%22" }.joined(separator: ",")
        var request = HTTPClientRequest(url: "\(config.url)/rest/v1/\(table.rawValue)?columns=\(columns)&on_conflict=id")
        request.method = .POST
        request.headers.add(name: "apikey", value: config.key.value.value)
        // An opaque key goes in `apikey` alone; a legacy JWT in both, as Supabase's client libraries send them.
        if config.key.kind == .legacyServiceRole {
            request.headers.add(name: "Authorization", value: "Bearer \(config.key.value.value)")
        }
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Prefer", value: "return=minimal,resolution=merge-duplicates")
        request.body = .bytes(body)
        return request
    }
}
