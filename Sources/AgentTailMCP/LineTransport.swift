import Foundation
import Logging
import MCP
import Synchronization

/// MCP's stdio transport: one JSON-RPC message per line on standard input, one per line on standard output.
///
/// Standard input is read by blocking reads on a thread of its own, so a server waiting for its client costs no CPU
/// (the SDK's stdio transport polls a non-blocking descriptor a hundred times a second). When the input ends, the
/// stream of messages ends only after every request read has been answered, so `echo REQUEST | agenttail mcp` gets
/// its answer.
actor LineTransport: Transport {
    nonisolated let logger: Logger
    private let input: Int32
    private let output: Int32
    private let messages: AsyncThrowingStream<Data, any Error>
    private let continuation: AsyncThrowingStream<Data, any Error>.Continuation
    private let progress = Progress()
    private var started = false

    /// Requests read and not yet answered, and whether the input has ended.
    private final class Progress: Sendable {
        private struct Counts {
            var unanswered = 0
            var inputEnded = false
        }
        private let counts = Mutex(Counts())

        /// Counts a request read.
        func read() { counts.withLock { $0.unanswered += 1 } }

        /// Counts an answer sent; whether it was the last one owed after the end of the input.
        func answered() -> Bool { counts.withLock { $0.unanswered -= 1; return $0.inputEnded && $0.unanswered <= 0 } }

        /// Notes the end of the input; whether no answer is owed.
        func ended() -> Bool { counts.withLock { $0.inputEnded = true; return $0.unanswered <= 0 } }
    }

    init(input: Int32 = STDIN_FILENO, output: Int32 = STDOUT_FILENO, logger: Logger) {
        self.input = input
        self.output = output
        self.logger = logger
        (messages, continuation) = AsyncThrowingStream.makeStream()
    }

    func connect() async throws {
        guard !started else { return }
        started = true
        let (input, continuation, progress, logger) = (self.input, self.continuation, self.progress, self.logger)
        // The thread hands each line over in the order read; it blocks in read(2) while the client says nothing.
        let thread = Thread {
            var pending = Data()
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { break }
                pending.append(contentsOf: buffer[..<count])
                while let end = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = Data(pending[pending.startIndex..<end])
                    pending = Data(pending[(end + 1)...])
                    guard line.contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\r") }) else { continue }
                    if Self.isRequest(line) { progress.read() }
                    continuation.yield(line)
                }
            }
            logger.debug("standard input ended")
            if progress.ended() { continuation.finish() }
        }
        thread.name = "agenttail mcp stdin"
        thread.start()
    }

    func disconnect() async {
        continuation.finish()
    }

    func send(_ data: Data) async throws {
        var line = data
        line.append(UInt8(ascii: "\n"))
        try line.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(output, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw MCPError.connectionClosed
                }
                offset += written
            }
        }
        if Self.isResponse(data), progress.answered() { continuation.finish() }
    }

    nonisolated func receive() -> AsyncThrowingStream<Data, any Error> {
        messages
    }

    /// A request expects an answer: it has a method and an id (a batch counts as one message).
    private static func isRequest(_ data: Data) -> Bool {
        messages(data).contains { $0["method"] != nil && $0["id"] != nil }
    }

    private static func isResponse(_ data: Data) -> Bool {
        messages(data).contains { $0["method"] == nil && $0["id"] != nil }
    }

    private static func messages(_ data: Data) -> [[String: Any]] {
        switch try? JSONSerialization.jsonObject(with: data) {
        case let object as [String: Any]: [object]
        case let batch as [[String: Any]]: batch
        default: []
        }
    }
}
