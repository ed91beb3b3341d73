import AgentTailCore
import Foundation

/// What `agenttail status` shows: per file how far it was read, per sink what waits and what failed.
package struct StatusReport: Sendable {
    package struct FileLine: Sendable {
        package var source: String
        package var path: String
        package var offset: Int64
        /// Size now, or nil when the file is gone.
        package var size: Int64?
        package var session: String
        package var lastError: String?

        package var lag: Int64 { max(0, (size ?? offset) - offset) }
    }

    package struct SinkLine: Sendable {
        package var name: String
        package var outboxDepth: Int
        package var deadLetters: Int
        package var lastError: String?
    }

    package var files: [FileLine]
    package var sinks: [SinkLine]

    package static func make(config: AgentTailConfig) async throws -> StatusReport {
        let store = try StateStore(path: config.state.path, readOnly: true)
        let files = try await store.allCheckpoints().map { checkpoint in
            FileLine(
                source: checkpoint.source, path: checkpoint.path, offset: checkpoint.offset,
                size: FileStatus.of(path: checkpoint.path)?.size, session: checkpoint.session.status.rawValue,
                lastError: checkpoint.lastError)
        }
        var sinks: [SinkLine] = []
        for name in config.sinks.names {
            // The local store is written with each commit: nothing ever waits for it in the outbox.
            guard name != "local" else {
                sinks.append(SinkLine(name: name, outboxDepth: 0, deadLetters: 0, lastError: nil))
                continue
            }
            let status = try await store.sinkStatus(name)
            sinks.append(
                SinkLine(
                    name: name, outboxDepth: try await store.outboxDepth(for: name), deadLetters: status.deadLetters,
                    lastError: status.lastError))
        }
        return StatusReport(files: files, sinks: sinks)
    }

    package var text: String {
        var lines: [String] = []
        lines.append("files (\(files.count)):")
        for file in files {
            let size = file.size.map(String.init) ?? "gone"
            var line = "  \(file.source)  \(file.path)  offset \(file.offset)  size \(size)  lag \(file.lag)  session \(file.session)"
            if let error = file.lastError { line += "  last error: \(error)" }
            lines.append(line)
        }
        lines.append("sinks:")
        for sink in sinks {
            var line = "  \(sink.name)  outbox \(sink.outboxDepth)  dead letters \(sink.deadLetters)"
            if let error = sink.lastError { line += "  last error: \(error)" }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    package var json: String {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("files")
        writer.beginArray()
        for file in files {
            writer.beginObject()
            writer.key("source"); writer.string(file.source)
            writer.key("path"); writer.string(file.path)
            writer.key("offset"); writer.int(Int(file.offset))
            writer.key("size")
            if let size = file.size { writer.int(Int(size)) } else { writer.null() }
            writer.key("lag"); writer.int(Int(file.lag))
            writer.key("session"); writer.string(file.session)
            writer.key("last_error")
            if let error = file.lastError { writer.string(error) } else { writer.null() }
            writer.endObject()
        }
        writer.endArray()
        writer.key("sinks")
        writer.beginArray()
        for sink in sinks {
            writer.beginObject()
            writer.key("name"); writer.string(sink.name)
            writer.key("outbox_depth"); writer.int(sink.outboxDepth)
            writer.key("dead_letters"); writer.int(sink.deadLetters)
            writer.key("last_error")
            if let error = sink.lastError { writer.string(error) } else { writer.null() }
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return String(decoding: writer.bytes, as: UTF8.self)
    }
}
