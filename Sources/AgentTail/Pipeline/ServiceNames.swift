/// How the services of `run` are named in the service group's own log lines (by default a struct prints all its
/// fields, configuration included).
extension Daemon: CustomStringConvertible {
    package var description: String { "agenttail" }
}

extension IngestService: CustomStringConvertible {
    package var description: String { "tailing" }
}

extension ShipperService: CustomStringConvertible {
    package var description: String { "delivery" }
}

extension RulesReloadService: CustomStringConvertible {
    package var description: String { "rules reload" }
}

extension MetricsServer: CustomStringConvertible {
    package var description: String { "metrics" }
}

extension ActivitySummaryService: CustomStringConvertible {
    package var description: String { "activity summary" }
}

extension SystemdService: CustomStringConvertible {
    package var description: String { "systemd notify" }
}
