import Logging
import ServiceLifecycle

/// Delivers the outbox to the sinks as rows arrive: one `DeliveryLoop` per sink, side by side, each with its own
/// backoff, so that one sink's outage never delays another.
///
/// On graceful shutdown (which comes after the ingest service has stopped) each sink makes one last round and
/// returns; rows a sink could not take stay in the outbox for the next start.
package struct ShipperService: Service {
    package let shipper: Shipper
    package let outboxReady: Wakeup
    package let outboxDrained: Wakeup
    package let logger: Logger
    /// How long rows are gathered after a commit before a round starts (`delivery.batch_window`).
    package var batchWindow: Duration = .zero

    package init(shipper: Shipper, outboxReady: Wakeup, outboxDrained: Wakeup, logger: Logger) {
        self.shipper = shipper
        self.outboxReady = outboxReady
        self.outboxDrained = outboxDrained
        self.logger = logger
    }

    package func run() async throws {
        let ready = outboxReady
        let perSink = shipper.deliveries.map { _ in Wakeup() }
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    // Every sink hears of new rows; the input ends for all when the service shuts down.
                    for await _ in ready.stream { perSink.forEach { $0.poke() } }
                    perSink.forEach { $0.finish() }
                }
                for (delivery, wakeup) in zip(shipper.deliveries, perSink) {
                    let loop = DeliveryLoop(delivery: delivery, roundDone: outboxDrained, batchWindow: batchWindow)
                    group.addTask { _ = await loop.run(ready: wakeup.stream) }
                }
            }
        } onGracefulShutdown: {
            ready.finish()
        }
        outboxDrained.finish()
        logger.info("delivery stopped")
    }
}
