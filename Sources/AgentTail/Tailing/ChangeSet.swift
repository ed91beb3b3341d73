/// What changed in the watched directories since the last change set a `DirectoryWatcher` handed out.
///
/// `paths` holds the absolute paths of entries that were created, modified, moved in or out, deleted or had their
/// attributes changed. When `rescan` is true the set is incomplete (the kernel queue overflowed, a watch was lost,
/// too many paths accumulated, a watched directory appeared, or the periodic safety rescan came due) and the caller
/// must look at everything it tracks, whatever `paths` holds.
package struct ChangeSet: Sendable, Equatable {
    /// Absolute paths of the entries that changed, reported under the directory path the caller gave.
    package var paths: Set<String>
    /// True when `paths` may be incomplete and the caller must look at everything.
    package var rescan: Bool

    /// True when nothing changed at all.
    package var isEmpty: Bool { paths.isEmpty && !rescan }

    /// Creates a change set from the given paths and rescan flag.
    package init(paths: Set<String> = [], rescan: Bool = false) {
        self.paths = paths
        self.rescan = rescan
    }
}
