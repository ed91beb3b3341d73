import Foundation

/// What a source's path patterns find on disk now, and, for each pattern that finds nothing, why: the folder that
/// does not exist, or the pattern itself when its folder is there.
package struct SourceMatch: Sendable, Equatable {
    /// The files the source owns now, sorted.
    package var files: [String]
    /// One sentence per pattern that matches no file.
    package var misses: [String]

    package init(_ source: SourceConfig) {
        var files: Set<String> = []
        var misses: [String] = []
        for pattern in source.paths {
            let found = Self.files(matching: pattern, source)
            files.formUnion(found)
            if found.isEmpty { misses.append(Self.miss(pattern)) }
        }
        self.files = files.sorted()
        self.misses = misses
    }

    /// The files `pattern` matches that `source` owns (not excluded).
    static func files(matching pattern: String, _ source: SourceConfig) -> [String] {
        let folderPattern = Glob.parent(of: pattern)
        // The folder part is expanded by the directories; the name is matched against the file part.
        let filePattern = String(pattern.dropFirst(folderPattern == "/" ? 1 : folderPattern.count + 1))
        var result: [String] = []
        for directory in Glob.directories(of: pattern) {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { continue }
            for name in names where Glob.matches(filePattern, name) {
                let path = directory == "/" ? "/\(name)" : "\(directory)/\(name)"
                if !source.excludes(path) { result.append(path) }
            }
        }
        return result
    }

    /// Why `pattern` matches nothing: the first folder of its path that does not exist, or the pattern.
    static func miss(_ pattern: String) -> String {
        var folder = ""
        for component in Glob.parent(of: pattern).split(separator: "/") {
            if Glob.hasWildcard(component) { break }
            folder += "/\(component)"
            var isFolder: ObjCBool = false
            if !FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) {
                return "folder \(folder) does not exist (pattern \(pattern))"
            }
            if !isFolder.boolValue { return "\(folder) is not a folder (pattern \(pattern))" }
        }
        return "no file matches \(pattern) yet"
    }

    /// The first `count` files, and how many more there are: for a line of a log or of `check`.
    package func sample(_ count: Int = 3) -> String {
        let shown = files.prefix(count).joined(separator: ", ")
        return files.count > count ? "\(shown) and \(files.count - count) more" : shown
    }
}

extension SourceConfig {
    /// True when `path` belongs to this source: a pattern matches it and no exclusion does.
    func owns(_ path: String) -> Bool {
        paths.contains { Glob.matches($0, path) } && !excludes(path)
    }

    /// True when an exclusion pattern matches `path`.
    func excludes(_ path: String) -> Bool {
        exclude.contains { Glob.matches($0, path) }
    }
}
