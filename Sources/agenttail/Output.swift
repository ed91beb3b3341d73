import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Direct writes to the standard streams, unbuffered for stderr.
enum FileHandleOutput {
    static func stderr(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(2, bytes.baseAddress! + offset, bytes.count - offset)
                if written <= 0 { return }
                offset += written
            }
        }
    }

    /// True when stderr is a terminal, so progress lines can be redrawn in place.
    static var stderrIsTerminal: Bool { isatty(2) != 0 }

    /// The width of the terminal standard output goes to; `COLUMNS`, or 100, when it is not a terminal.
    static var stdoutWidth: Int {
        var size = winsize()
        if isatty(1) != 0, ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return Int(ProcessInfo.processInfo.environment["COLUMNS"] ?? "") ?? 100
    }
}
