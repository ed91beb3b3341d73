import Foundation
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

    /// Serves each connection with `serve`, side by side, until graceful shutdown closes the socket.
    package func run(_ serve: @escaping @Sendable (Connection) async -> Void) async throws {
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
