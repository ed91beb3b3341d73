import Foundation

/// Files agenttail ships in its resource folder, `agenttail_AgentTail.resources`, found next to the binary (through
/// symbolic links), in the bundle's folder, or, in a development checkout, beside the sources.
package enum BundledResource {
    /// The resource folder's name; it must sit next to the agenttail binary.
    package static let folderName = "agenttail_AgentTail.resources"

    /// The path of `relative` (`rules/mini-agent.yaml`) in the resource folder, or nil when it cannot be found.
    package static func path(_ relative: String) -> String? {
        var folders: [URL] = []
        if let executable = Bundle.main.executableURL?.resolvingSymlinksInPath() {
            folders.append(executable.deletingLastPathComponent())
        }
        folders.append(Bundle.main.bundleURL)
        folders.append(Bundle.main.bundleURL.deletingLastPathComponent())
        for folder in folders {
            let candidate = folder.appendingPathComponent("\(folderName)/\(relative)").path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
        }
        // A development checkout: the sources sit beside the build folder.
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Resources/\(relative)").path
        return FileManager.default.fileExists(atPath: source) ? source : nil
    }

    /// The resource `relative`, decoded by `decode`. A data file agenttail cannot work without: missing or broken, it
    /// stops the process with what to do (its tests read every one).
    package static func load<Value>(_ relative: String, _ decode: (Data) throws -> Value) -> Value {
        guard let path = path(relative), let data = FileManager.default.contents(atPath: path) else {
            preconditionFailure("\(relative) not found: the folder '\(folderName)' must sit next to the agenttail binary")
        }
        do {
            return try decode(data)
        } catch {
            preconditionFailure("\(path) cannot be read: \(error)")
        }
    }
}
