/// Exponential backoff with full jitter, from 0.5 s up to 30 s.
package struct RetryBackoff: Sendable {
    private var attempt = 0
    package var base: Duration = .milliseconds(500)
    package var cap: Duration = .seconds(30)

    package init() {}

    package mutating func next() -> Duration {
        let ceiling = min(cap, base * (1 << min(attempt, 16)))
        attempt += 1
        let millis = ceiling.components.seconds * 1000 + ceiling.components.attoseconds / 1_000_000_000_000_000
        return .milliseconds(Int64.random(in: (millis / 2)...max(millis / 2, millis)))
    }

    package mutating func reset() { attempt = 0 }
}
