import Foundation
import Logging
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

/// Speaks systemd's notify protocol (`Type=notify`, `WatchdogSec=`): datagrams such as `READY=1` sent to the socket
/// `NOTIFY_SOCKET` names. Without that variable (not under systemd) there is nothing to tell.
package struct SystemdNotifier: Sendable {
    /// The socket's path; a leading `@` names an abstract socket.
    package let socketPath: String
    /// How often systemd expects `WATCHDOG=1`, when the unit sets `WatchdogSec=` for this process.
    package let watchdog: Duration?

    package init?(environment: [String: String] = ProcessInfo.processInfo.environment) {
        guard let path = environment["NOTIFY_SOCKET"], !path.isEmpty else { return nil }
        socketPath = path
        let forThisProcess = environment["WATCHDOG_PID"].map { Int32($0) == getpid() } ?? true
        if forThisProcess, let micros = environment["WATCHDOG_USEC"].flatMap(Int64.init), micros > 0 {
            watchdog = .microseconds(micros)
        } else {
            watchdog = nil
        }
    }

    /// Sends one message; false when it could not be sent.
    @discardableResult
    package func send(_ message: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var path = Array(socketPath.utf8)
        if path.first == UInt8(ascii: "@") { path[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + path.count + (path.first == 0 ? 0 : 1))
        let sent = Array(message.utf8).withUnsafeBytes { bytes in
            withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), $0, length)
                }
            }
        }
        return sent == message.utf8.count
    }
}

/// Tells systemd that `run` is ready once the first scan is committed, feeds its watchdog while tailing is not
/// stuck, and says when it stops.
///
/// The watchdog judges tailing only: a restart can unstick a tailer, not bring back a destination that is down,
/// which `/healthz` reports instead.
package struct SystemdService: Service {
    package let notifier: SystemdNotifier
    /// Ends (or yields) once the first scan is committed.
    package let ready: Wakeup
    /// Why tailing is stuck, or nil while it is not.
    package let stuck: @Sendable () async -> String?
    package let logger: Logger

    package init(
        notifier: SystemdNotifier, ready: Wakeup, logger: Logger, stuck: @escaping @Sendable () async -> String?
    ) {
        self.notifier = notifier
        self.ready = ready
        self.stuck = stuck
        self.logger = logger
    }

    package func run() async throws {
        await withGracefulShutdownHandler {
            var iterator = ready.stream.makeAsyncIterator()
            guard await iterator.next() != nil else { return }
            notifier.send("READY=1\nSTATUS=following the log files")
            logger.debug("told systemd the service is ready")
            guard let watchdog = notifier.watchdog else { return }
            var told: String?
            while !Task.isShuttingDownGracefully {
                if let reason = await stuck() {
                    if told != reason { logger.error("not feeding the watchdog: \(reason)") }
                    told = reason
                } else {
                    told = nil
                    notifier.send("WATCHDOG=1")
                }
                do {
                    try await cancelWhenGracefulShutdown { try await Task.sleep(for: watchdog / 2) }
                } catch {
                    break
                }
            }
        } onGracefulShutdown: {
            notifier.send("STOPPING=1")
        }
    }
}
