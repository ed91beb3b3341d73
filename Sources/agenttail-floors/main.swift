// The decoding floors of the benchmark (scripts/bench/bench.py): how fast every Mini-Agent entry's JSON body decodes
// with Foundation, and with agenttail's own scanner, on the same files. Prints one JSON object per measure.
//
//     agenttail-floors FILE...

import AgentTail
import AgentTailCore
import Foundation

/// The JSON bodies of one file: from the `{` that follows an entry's "LLM Request:", "LLM Response:" or
/// "Tool Execution:" line to the `}` that closes it (Mini-Agent indents its JSON, so the closing brace is the first
/// one at the start of a line). Located once, before anything is timed.
func bodies(in bytes: [UInt8]) -> [Range<Int>] {
    let heads = ["LLM Request:\n", "LLM Response:\n", "Tool Execution:\n"].map { Array($0.utf8) }
    var ranges: [Range<Int>] = []
    var lineStart = 0
    while lineStart < bytes.count {
        let lineEnd = bytes[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
        if lineEnd < bytes.count, heads.contains(where: { bytes[lineStart...lineEnd].elementsEqual($0) }),
            let open = bytes[lineEnd...].firstIndex(of: UInt8(ascii: "{"))
        {
            var close = open
            while close + 1 < bytes.count, !(bytes[close] == UInt8(ascii: "\n") && bytes[close + 1] == UInt8(ascii: "}")) {
                close += 1
            }
            ranges.append(open..<(close + 2))
            lineStart = close + 2
            continue
        }
        lineStart = lineEnd + 1
    }
    return ranges
}

/// Runs `body` and returns the CPU seconds it used (user and system).
func cpuSeconds(_ body: () throws -> Void) rethrows -> Double {
    var before = rusage()
    var after = rusage()
    getrusage(RUSAGE_SELF.rawValue, &before)
    try body()
    getrusage(RUSAGE_SELF.rawValue, &after)
    func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
    return seconds(after.ru_utime) - seconds(before.ru_utime) + seconds(after.ru_stime) - seconds(before.ru_stime)
}

func report(_ name: String, seconds: Double, bytes: Int, entries: Int) {
    print(#"{"name": "\#(name)", "seconds": \#(seconds), "bytes": \#(bytes), "entries": \#(entries)}"#)
}

let paths = Array(CommandLine.arguments.dropFirst())
guard !paths.isEmpty else {
    FileHandle.standardError.write(Data("usage: agenttail-floors FILE...\n".utf8))
    exit(2)
}
let files = try paths.map { path in [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }
let located = files.map(bodies(in:))
let bodyBytes = zip(files, located).reduce(0) { total, pair in total + pair.1.reduce(0) { $0 + $1.count } }
let fileBytes = files.reduce(0) { $0 + $1.count }
let entries = located.reduce(0) { $0 + $1.count }

// Foundation: every body decoded fully into Foundation objects.
var decoded = 0
let foundation = try cpuSeconds {
    for (bytes, ranges) in zip(files, located) {
        for range in ranges {
            let object = try JSONSerialization.jsonObject(with: Data(bytes[range]))
            if object is [String: Any] { decoded += 1 }
        }
    }
}
precondition(decoded == entries, "Foundation decoded \(decoded) of \(entries) bodies")
report("Foundation JSONSerialization", seconds: foundation, bytes: bodyBytes, entries: entries)

// agenttail's scanner: every body validated in place (the step that touches every byte; lookups then skip).
let scanned = try cpuSeconds {
    for (bytes, ranges) in zip(files, located) {
        try bytes.withUnsafeBytes { raw in
            let scanner = JSONScanner(raw)
            for range in ranges { try scanner.validate(range) }
        }
    }
}
report("agenttail JSON scanner", seconds: scanned, bytes: bodyBytes, entries: entries)

// agenttail's whole parse: framing, the rules' lookups, correlation and masking, as `agenttail parse` does.
let rules = try RulePackLoader.load(.builtin("mini-agent"))
var rows = 0
let parsed = try cpuSeconds {
    for path in paths { rows += try FileParser.rows(path: path, rules: rules, host: "bench").count }
}
report("agenttail parse (rules, masking)", seconds: parsed, bytes: fileBytes, entries: entries)

// Masking alone: every body's strings scanned for secrets, by the built-in detectors without and with the provider
// rules (the bodies of a request repeat the history, which `agenttail run` scans once; here each is scanned whole).
for (name, redactor) in [
    ("agenttail masking, detectors", Redactor(kinds: Set(SecretKind.allCases).subtracting([.providerFormats]))),
    ("agenttail masking, detectors and provider rules", Redactor()),
] {
    var masked = 0
    let seconds = cpuSeconds {
        for (bytes, ranges) in zip(files, located) {
            for range in ranges {
                let body = String(decoding: bytes[range], as: UTF8.self)
                masked += redactor.redact(json: body)?.1 ?? 0
            }
        }
    }
    report(name, seconds: seconds, bytes: bodyBytes, entries: entries)
}
