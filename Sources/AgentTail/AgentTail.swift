/// Namespace for facts about the library itself.
package enum AgentTail {
    /// The version printed by `agenttail --version`.
    package static let version = "0.1.0"
}
