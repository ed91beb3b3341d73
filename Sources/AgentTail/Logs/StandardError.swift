#if canImport(Glibc)
import Glibc
#endif

/// Stderr, written directly and unbuffered: a log line or a progress line goes out whole, in as few writes as the
/// kernel takes. Also a stream for `print(_:to:)`.
package struct StandardError: TextOutputStream {
    package init() {}

    package mutating func write(_ string: String) {
        Self.write(string)
    }

    package static func write(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(2, bytes.baseAddress! + offset, bytes.count - offset)
                if written <= 0 { return }
                offset += written
            }
        }
    }
}
