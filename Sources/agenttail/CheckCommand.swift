import AgentTail
import ArgumentParser
import Foundation
import Logging

struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate the configuration and the rules it uses; exit 0 when everything is usable.",
        discussion: """
            Reports the first problem of the configuration file with its file:line:column, then compiles every \
            source's rules and runs the tests they carry (see `agenttail test-rules`), says which files each \
            source's patterns match (a warning names the folder that does not exist or the pattern that matches \
            nothing), checks that the state and store folders can be written, and that the configured sinks \
            accept agenttail's credentials. It creates and changes nothing on disk.
            """)

    @OptionGroup var common: CommonOptions
    @OptionGroup var configOption: ConfigOption

    func run() async throws {
        let logger = common.bootstrapLogging(default: .notice)
        let config = try configOption.load()
        var problems = 0
        for source in config.sources {
            do {
                let pack = try RulePackLoader.load(source.rules)
                print("ok: source '\(source.name)': rules \(pack.origin) (\(pack.records.count) record rules)")
                let results = RuleTestRunner.run(pack)
                for case let error? in results.map({ $0.error(origin: pack.origin) }) {
                    printDiagnostic(error.description)
                    problems += 1
                }
                for problem in RuleTestRunner.unmatchedPaths(pack) {
                    printDiagnostic(problem.description)
                    problems += 1
                }
                if !results.isEmpty, results.allSatisfy(\.passed) {
                    print("ok: source '\(source.name)': \(results.count) rule tests pass")
                }
            } catch {
                printDiagnostic(error.description)
                problems += 1
            }
            // Not a problem: the agent may not have written its first log yet, and agenttail waits for it.
            let match = SourceMatch(source)
            for miss in match.misses {
                print("warning: source '\(source.name)': \(miss); agenttail will follow files that appear there")
            }
            if !match.files.isEmpty {
                print("ok: source '\(source.name)': \(match.files.count) files match (\(match.sample()))")
            }
        }
        await reportPricing(config)
        var folders = [config.state.path]
        if let local = config.sinks.local { folders.append(local.path) }
        for path in folders {
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
            if let problem = Self.writableProblem(folder) {
                printError("\(path): \(problem)")
                problems += 1
            } else if FileManager.default.fileExists(atPath: folder) {
                print("ok: \(path) can be written")
            } else {
                print("ok: \(path) can be written (agenttail run creates the folder \(folder))")
            }
        }
        if let supabase = config.sinks.supabase {
            let sink = SupabaseSink(config: supabase, logger: logger)
            let found = await sink.verify()
            for problem in found { printError("sink supabase: \(problem)") }
            if found.isEmpty {
                print(
                    "ok: Supabase at \(supabase.url) exposes all four tables to the Data API and accepts rows in them "
                        + "with \(supabase.key.kindDescription)")
            }
            problems += found.count
        }
        if let langfuse = config.sinks.langfuse {
            let (version, found) = await OTLPExportSink.langfuse(langfuse, logger: logger).verify()
            for problem in found { printError("sink langfuse: \(problem)") }
            if found.isEmpty {
                print("ok: Langfuse \(version ?? "(version unknown)") at \(langfuse.host) accepts the keys")
            }
            problems += found.count
        }
        if let otlp = config.sinks.otlp {
            let (_, found) = await OTLPExportSink.collector(otlp, logger: logger).verify()
            for problem in found { printError("sink otlp: \(problem)") }
            if found.isEmpty { print("ok: \(otlp.endpoint) accepts OTLP exports") }
            problems += found.count
        }
        if problems > 0 { throw ExitCode(1) }
        print("ok: \(config.file) is valid")
    }

    /// Says where each source's model comes from when its log has none, and names the models agenttail cannot
    /// price (configured, or already seen in the local store): their calls get no cost until `pricing:` gives one.
    private func reportPricing(_ config: AgentTailConfig) async {
        let prices = ModelPrices.builtIn.overriding(config.pricing)
        var unpriced: [(model: String, origin: String)] = []
        for source in config.sources {
            guard let model = source.model else {
                let readsModel = (try? RulePackLoader.load(source.rules))?.records.contains { $0.fields["model"] != nil }
                if readsModel == false {
                    print(
                        "note: source '\(source.name)': its logs name no model, so its calls have none (Langfuse "
                            + "cannot price them); set `model:` on the source (README: Point it at your agent)")
                }
                continue
            }
            if let name = model.resolve(workspace: nil) {
                print("ok: source '\(source.name)': model \(name) (from \(model))")
                if prices.price(for: name) == nil { unpriced.append((name, "source '\(source.name)'")) }
            } else if case .file = model {
                print("note: source '\(source.name)': no model found in \(model) yet; calls stay without a model")
            }
        }
        if let local = config.sinks.local, FileManager.default.fileExists(atPath: local.path),
            let seen = try? await LocalStoreReport.unpricedModels(path: local.path)
        {
            for model in seen where prices.price(for: model.model) == nil {
                unpriced.append((model.model, "\(model.calls) calls in \(local.path)"))
            }
        }
        for (model, origin) in unpriced {
            print(
                "note: no price known for model '\(model)' (\(origin)): its calls get no cost; give its price under "
                    + "`pricing:` in the configuration, in US dollars per million tokens")
        }
    }

    /// Why files cannot be created in `folder`, or nil. Nothing is created: a folder that does not exist yet is
    /// judged by the nearest one above it that does, where `run` will create it.
    static func writableProblem(_ folder: String) -> String? {
        var existing = URL(fileURLWithPath: folder).standardizedFileURL.path
        while !FileManager.default.fileExists(atPath: existing), existing != "/" {
            existing = URL(fileURLWithPath: existing).deletingLastPathComponent().path
        }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: existing, isDirectory: &isFolder), isFolder.boolValue else {
            return "\(existing) is not a folder"
        }
        guard FileManager.default.isWritableFile(atPath: existing) else {
            return existing == folder
                ? "folder \(folder) is not writable by this user"
                : "cannot create folder \(folder): \(existing) is not writable by this user"
        }
        return nil
    }
}
