import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// A listening HTTP/1.1 socket served through NIO's async channels: what `/metrics` and `agenttail mcp --http` share.
package struct HTTPListener: Sendable {
    package typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>
    private let channel: NIOAsyncChannel<Connection, Never>

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
