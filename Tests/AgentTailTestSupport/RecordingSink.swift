import AgentTail
import Foundation
import Synchronization

/// A sink that records what it receives and fails as told; tests await what it received.
package final class RecordingSink: Sink {
    package enum Behaviour: Sendable {
        case accept
        case reject(Set<UUID>, reason: String = "HTTP 400 23514: bad")
        case retry(reason: String = "down", after: Duration = .seconds(2))
        case fatal
    }

    package let name: String
    private let state: Mutex<State>

    private struct State {
        var received: [[NormalizedRow]] = []
        var behaviour: Behaviour
        var waiters: [(condition: @Sendable ([[NormalizedRow]]) -> Bool, continuation: CheckedContinuation<Void, Never>)] = []
    }

    package init(name: String, behaviour: Behaviour = .accept) {
        self.name = name
        state = Mutex(State(behaviour: behaviour))
    }

    /// Every batch received, in order.
    package var received: [[NormalizedRow]] { state.withLock { $0.received } }

    package func behave(_ behaviour: Behaviour) { state.withLock { $0.behaviour = behaviour } }

    /// Returns once what the sink received meets `condition`.
    package func received(where condition: @escaping @Sendable ([[NormalizedRow]]) -> Bool) async {
        await withCheckedContinuation { continuation in
            let met = state.withLock { state in
                if condition(state.received) { return true }
                state.waiters.append((condition, continuation))
                return false
            }
            if met { continuation.resume() }
        }
    }

    package func send(_ rows: [NormalizedRow]) async throws(SinkError) -> [Rejection] {
        let (behaviour, ready) = state.withLock { state in
            state.received.append(rows)
            let received = state.received
            let ready = state.waiters.filter { $0.condition(received) }.map(\.continuation)
            state.waiters.removeAll { $0.condition(received) }
            return (state.behaviour, ready)
        }
        ready.forEach { $0.resume() }
        switch behaviour {
        case .accept: return []
        case .reject(let ids, let reason): return rows.filter { ids.contains($0.id) }.map { Rejection(id: $0.id, reason: reason) }
        case .retry(let reason, let after): throw .retryable(reason, after: after)
        case .fatal: throw .fatal("key refused")
        }
    }
}
