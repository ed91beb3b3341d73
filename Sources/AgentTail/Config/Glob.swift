#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Shell-style path patterns (`*`, `?`, `[...]`) as used in `sources[].paths` and `exclude`.
package enum Glob {
    /// Why a pattern cannot be used, or nil when it can.
    package static func problem(in pattern: String) -> String? {
        if pattern.contains("**") { return "'**' is not supported; list each directory level with '*'" }
        if pattern.hasSuffix("/") { return "a path pattern must name files, not end in '/'" }
        return nil
    }

    /// True when `path` matches `pattern`; `*` and `?` never match '/'.
    package static func matches(_ pattern: String, _ path: String) -> Bool {
        fnmatch(pattern, path, FNM_PATHNAME | FNM_PERIOD) == 0
    }

    /// True when the text holds a wildcard character.
    package static func hasWildcard(_ text: some StringProtocol) -> Bool {
        text.contains { "*?[".contains($0) }
    }

    /// The existing directories that files matching `pattern` can be in.
    package static func directories(of pattern: String) -> [String] {
        let directory = parent(of: pattern)
        guard hasWildcard(directory) else { return [directory] }
        var result = glob_t()
        defer { globfree(&result) }
        guard glob(directory, GLOB_ONLYDIR, nil, &result) == 0 else { return [] }
        return (0..<Int(result.gl_pathc)).compactMap { index in
            result.gl_pathv[index].map { String(cString: $0) }
        }
    }

    /// The folder part of a path.
    package static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let parent = String(path[..<slash])
        return parent.isEmpty ? "/" : parent
    }
}
