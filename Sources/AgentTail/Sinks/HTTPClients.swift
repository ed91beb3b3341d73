import AsyncHTTPClient
import NIOCore
import NIOSSL
import Synchronization

/// The HTTP clients of the sinks: one per trust configuration, kept for the life of the process.
///
/// Certificates and host names are always verified. Redirects are never followed: a sink talks to the URL it was
/// given, and its credentials are never replayed to another host.
package enum HTTPClients {
    private static let clients = Mutex<[TLSSettings: HTTPClient]>([:])

    /// The client for servers verified as `tls` says.
    package static func client(for tls: TLSSettings) -> HTTPClient {
        clients.withLock { clients in
            if let client = clients[tls] { return client }
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .fullVerification
            if let caFile = tls.caFile { configuration.trustRoots = .file(caFile) }
            let client = HTTPClient(
                eventLoopGroup: HTTPClient.defaultEventLoopGroup,
                configuration: HTTPClient.Configuration(
                    tlsConfiguration: configuration, redirectConfiguration: .disallow,
                    timeout: .init(connect: .seconds(10)), connectionPool: .init(idleTimeout: .seconds(60))))
            clients[tls] = client
            return client
        }
    }
}
