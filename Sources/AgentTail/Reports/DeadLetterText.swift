import AgentTailCore
import Foundation

/// How `agenttail dead-letters` prints dead letters and what a retry did with them.
package enum DeadLetterText {
    /// One line per dead letter, aligned, the reason cut to fit `width` columns.
    package static func table(_ letters: [StateStore.DeadLetter], width: Int, now: Date = Date()) -> String {
        let header = ["ID", "SINK", "TABLE", "AGE", "REASON"]
        let rows = letters.map { letter in
            [
                "\(letter.id)", letter.sink, letter.table, letter.createdAt.map { age(now.timeIntervalSince($0)) } ?? "?",
                ReportText.terminal(letter.reason),
            ]
        }
        let widths = (0..<4).map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        let reasonWidth = max(20, width - widths.reduce(0, +) - 8)
        return ([header] + rows).map { cells in
            (0..<4).map { cells[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
                + "  " + ReportText.cut(cells[4], to: reasonWidth)
        }.joined(separator: "\n")
    }

    /// A JSON array of the dead letters, indented; with `withRows`, each carries its row as it was sent.
    package static func json(_ letters: [StateStore.DeadLetter], withRows: Bool) -> String {
        let objects = letters.map { letter -> [String: Any] in
            var object: [String: Any] = [
                "id": letter.id, "sink": letter.sink, "table": letter.table, "event_id": letter.eventID,
                "reason": letter.reason, "created_at": letter.createdAt.map { $0.rfc3339 } ?? NSNull(),
            ]
            if withRows {
                // Stored as the outbox's JSON; anything else is shown as text rather than breaking the output.
                object["row"] =
                    (try? JSONSerialization.jsonObject(with: Data(letter.payload)))
                    ?? String(decoding: letter.payload, as: UTF8.self)
            }
            return object
        }
        let data =
            (try? JSONSerialization.data(
                withJSONObject: objects, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// What a retry did, sink by sink.
    package static func outcomes(_ outcomes: [DeadLetterRetry.Outcome], orphans: [StateStore.DeadLetter]) -> String {
        var lines: [String] = []
        for outcome in outcomes {
            let total = outcome.delivered.count + outcome.refused.count + outcome.waiting.count
            lines.append(
                "\(outcome.sink): \(total) row\(total == 1 ? "" : "s") retried: \(outcome.delivered.count) delivered, "
                    + "\(outcome.refused.count) refused again, \(outcome.waiting.count) still waiting")
            for (row, reason) in outcome.refused {
                lines.append("  refused again: \(row.letter.table) \(row.letter.eventID): \(ReportText.terminal(reason))")
            }
            if !outcome.waiting.isEmpty {
                lines.append(
                    "  still waiting: the sink failed"
                        + (outcome.lastError.map { " (\(ReportText.terminal($0)))" } ?? "")
                        + "; `agenttail run` delivers them once it is back")
            }
        }
        if !orphans.isEmpty {
            let sinks = Set(orphans.map(\.sink)).sorted().joined(separator: ", ")
            lines.append(
                "\(orphans.count) dead letter\(orphans.count == 1 ? " is" : "s are") for \(sinks), no longer "
                    + "configured: left as they are (purge them with `dead-letters purge --sink NAME --yes`)")
        }
        return lines.joined(separator: "\n")
    }

    /// An age as people say it: `45s`, `12m`, `3h`, `2d`.
    static func age(_ seconds: Double) -> String {
        let whole = max(0, Int(seconds))
        switch whole {
        case ..<60: return "\(whole)s"
        case ..<3600: return "\(whole / 60)m"
        case ..<86_400: return "\(whole / 3600)h"
        default: return "\(whole / 86_400)d"
        }
    }
}
