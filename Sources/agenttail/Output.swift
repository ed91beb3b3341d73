import AgentTail
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What the standard streams are connected to.
enum FileHandleOutput {
    /// True when stderr is a terminal, so progress lines can be redrawn in place.
    static var stderrIsTerminal: Bool { isatty(2) != 0 }

    /// The width of the terminal standard output goes to; `COLUMNS`, or 100, when it is not a terminal.
    static var stdoutWidth: Int {
        var size = winsize()
        if isatty(1) != 0, ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return Int(ProcessInfo.processInfo.environment["COLUMNS"] ?? "") ?? 100
    }
}
