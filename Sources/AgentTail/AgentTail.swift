/// Namespace for facts about the library itself.
package enum AgentTail {
    /// The release.
    package static let version = "0.1.0"
    /// What `agenttail --version` prints: the release and the commit it was built from.
    package static var versionAndCommit: String { "\(version) (commit \(BuildInfo.commit))" }
}
