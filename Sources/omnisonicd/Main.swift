import ArgumentParser
import CMalloc
import Glibc
import Indexer

/// `omnisonicd`: the command-line entry point.
@main
struct Omnisonicd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "omnisonicd",
        abstract: "A local-first music daemon: library, search, playback and sync.",
        version: "0.1.0",
        subcommands: [RunCommand.self, ProbeCommand.self, AnalyzeCommand.self, ScanCommand.self, SearchCommand.self,
                      StatusCommand.self, DoctorCommand.self, InstallServiceCommand.self, SyncServerCommand.self,
                      SubsonicCommand.self])

    static func main() async {
        // A file-size limit or a closed pipe must become an error we report, not a silent death.
        signal(SIGXFSZ, SIG_IGN)
        signal(SIGPIPE, SIG_IGN)
        // One malloc arena per thread a scan keeps busy at once (the main thread's, the writer's
        // and one per probe thread), not glibc's eight per core: fewer arenas made the probe
        // threads and the writer queue on each other's arena locks (with two, a scan of 10,000
        // files made ~12,000 context switches against ~1,400, for a fifth more CPU), more would
        // only add memory (decision 0040). Here, not in the unit, so it holds however the
        // daemon is started.
        _ = omni_malloc_set_arena_max(Int32(Indexer.defaultProbeThreads + 2))
        await main(nil)
    }
}
