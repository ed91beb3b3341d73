import Foundation
import PackagePlugin

/// Writes `BuildInfo.swift` before every build: the commit the sources were built from (with `-dirty` when they
/// differ from it), for `agenttail --version`. Outside a git checkout the commit is `unknown`.
@main
struct BuildInfo: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appending(path: "Generated")
        let root = context.package.directoryURL.path
        let script = """
            mkdir -p '\(output.path)'
            commit=$(git -C '\(root)' rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
            if [ "$commit" != unknown ] && ! git -C '\(root)' diff --quiet HEAD -- 2>/dev/null; then
                commit="$commit-dirty"
            fi
            text="/// Written at build time by the BuildInfo plugin.
            package enum BuildInfo { package static let commit = \\"$commit\\" }"
            # Rewritten only when it changes, so that an unchanged commit rebuilds nothing.
            if [ "$(cat '\(output.path)/BuildInfo.swift' 2>/dev/null)" != "$text" ]; then
                printf '%s\\n' "$text" > '\(output.path)/BuildInfo.swift'
            fi
            """
        return [
            .prebuildCommand(
                displayName: "Recording the commit for --version",
                executable: URL(fileURLWithPath: "/bin/sh"), arguments: ["-c", script], outputFilesDirectory: output)
        ]
    }
}
