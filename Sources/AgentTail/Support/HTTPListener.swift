import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// A listening HTTP/1.1 socket served through NIO's async channels: what `/metrics` and `agenttail mcp --http` share.
package struct HTTPListener: Sendable {
    package typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>
    private let channel: NIOAsyncChannel<Connection, Never>

    /// Where to listen, as `HOST:PORT`, `[IPv6]:PORT` or `PORT` (on 127.0.0.1) is written.
    package struct Address: Sendable, Equatable, CustomStringConvertible {
        package var host: String
        package var port: Int

        /// Nil when `text` is not an address.
        package init?(_ text: String) {
            var host = "127.0.0.1"
            var portText = text
            if let colon = text.lastIndex(of: ":") {
                host = String(text[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
                portText = String(text[text.index(after: colon)...])
            }
            guard let port = Int(portText), (0...65_535).contains(port), !host.isEmpty else { return nil }
            self.host = host == "localhost" ? "127.0.0.1" : host
            self.port = port
        }

        /// Whether only this machine can reach it.
        package var isLoopback: Bool { host.hasPrefix("127.") || host == "::1" }

        package var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    /// Why the address could not be listened on, as the system says it (`Address already in use`).
    package struct CannotBind: Error {
        package var reason: String
    }

    /// Listens at once, so that a port in use is reported before anything starts.
    package static func bind(host: String, port: Int) async throws(CannotBind) -> HTTPListener {
        do {
            let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .bind(host: host, port: port) { child in
                    child.eventLoop.makeCompletedFuture {
                        try child.pipeline.syncOperations.configureHTTPServerPipeline()
                        return try Connection(wrappingChannelSynchronously: child)
                    }
                }
            return HTTPListener(channel: channel)
        } catch {
            throw CannotBind(reason: (error as? IOError).map { String(cString: strerror($0.errnoCode)) } ?? "\(error)")
        }
    }

    /// The address listened on (with the port the system chose for port 0).
    package var localAddress: SocketAddress? { channel.channel.localAddress }

    /// One request, read whole.
    package struct Request: Sendable {
        package var head: HTTPRequestHead
        /// The body; nil when it was longer than the limit `run` was given.
        package var body: ByteBuffer?
        /// Who sent it.
        package var peer: SocketAddress?
    }

    /// Writes the answer to one request.
    package struct Responder {
        let writer: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>
        let request: HTTPRequestHead

        /// A whole answer, with its length; its body is left out for HEAD.
        package func send(_ status: HTTPResponseStatus, _ headers: HTTPHeaders, body: ByteBuffer) async throws {
            var headers = headers
            headers.replaceOrAdd(name: "Content-Length", value: "\(body.readableBytes)")
            try await writer.write(.head(HTTPResponseHead(version: request.version, status: status, headers: headers)))
            if request.method != .HEAD, body.readableBytes > 0 { try await writer.write(.body(.byteBuffer(body))) }
            try await writer.write(.end(nil))
        }

        /// An answer whose body is sent (chunked) as `chunks` come, until they end; a source that fails ends the
        /// answer where it stands.
        package func stream<Chunks: AsyncSequence>(_ status: HTTPResponseStatus, _ headers: HTTPHeaders, _ chunks: Chunks)
            async throws where Chunks.Element == ByteBuffer
        {
            try await writer.write(.head(HTTPResponseHead(version: request.version, status: status, headers: headers)))
            var iterator = chunks.makeAsyncIterator()
            while let chunk = try? await iterator.next() { try await writer.write(.body(.byteBuffer(chunk))) }
            try await writer.write(.end(nil))
        }
    }

    /// Serves the requests of each connection in turn, connections side by side, until graceful shutdown closes the
    /// socket. Bodies longer than `bodyLimit` bytes are not kept. A connection is closed after a request that did not
    /// ask to keep it, or when `respond` returns false.
    package func run(
        bodyLimit: Int = 0, logger: Logger,
        _ respond: @escaping @Sendable (Request, Responder) async throws -> Bool
    ) async throws {
        try await serveConnections { connection in
            let peer = connection.channel.remoteAddress
            do {
                try await connection.executeThenClose { parts, writer in
                    var head: HTTPRequestHead?
                    var body = ByteBuffer()
                    var tooLarge = false
                    for try await part in parts {
                        switch part {
                        case .head(let request):
                            head = request
                            body.clear()
                            tooLarge = false
                        case .body(var chunk):
                            if body.readableBytes + chunk.readableBytes > bodyLimit {
                                tooLarge = true
                            } else {
                                body.writeBuffer(&chunk)
                            }
                        case .end:
                            guard let request = head else { return }
                            let goOn = try await respond(
                                Request(head: request, body: tooLarge ? nil : body, peer: peer),
                                Responder(writer: writer, request: request))
                            if !goOn || !request.isKeepAlive { return }
                        }
                    }
                }
            } catch {
                logger.debug("HTTP connection ended", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Serves each connection with `serve`, side by side, until graceful shutdown closes the socket.
    private func serveConnections(_ serve: @escaping @Sendable (Connection) async -> Void) async throws {
        do {
            try await cancelWhenGracefulShutdown {
                try await channel.executeThenClose { connections in
                    try await withThrowingDiscardingTaskGroup { group in
                        for try await connection in connections {
                            group.addTask { await serve(connection) }
                        }
                    }
                }
            }
        } catch is CancellationError {
            // Shutting down: a normal end.
        }
    }
}
