// swift-tools-version:6.1
//
// omnisonicd: a local-first music daemon for Linux.
// Module map and dependency rules: docs/decisions/0001-modules.md (and ../shared/DESIGN.md).
import PackageDescription

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
]

let package = Package(
    name: "omnisonicd",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "omnisonicd", targets: ["omnisonicd"]),
        // What bench/fuzz/ (a nested package) builds its libFuzzer targets against.
        .library(name: "OmnisonicFuzzable", targets: ["OmniModel", "MediaIO", "LocalStore", "Indexer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        // Already in the graph through Hummingbird; named for the sync client's transport (0030).
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.30.0"),
    ],
    targets: [
        // Value types shared by every module: identities, tags, errors.
        .target(name: "OmniModel", dependencies: ["CCrypto"], swiftSettings: strict),

        // FFmpeg (libavformat, libavcodec, libavutil, libswresample, libswscale) as a C system library.
        .systemLibrary(
            name: "CFFmpeg",
            pkgConfig: "libavformat",
            providers: [.apt(["libavformat-dev", "libavcodec-dev", "libavutil-dev", "libswresample-dev", "libswscale-dev"])]),

        // OpenSSL's libcrypto, for a hardware-accelerated SHA-256 (track identity, artwork addresses).
        .systemLibrary(
            name: "CCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]),

        // glibc's malloc tuning (<malloc.h>: arena cap at start, trim after a scan; decision 0037).
        .systemLibrary(name: "CMalloc"),

        // ALSA's libasound as a C system library (the player's output).
        .systemLibrary(
            name: "CALSA",
            pkgConfig: "alsa",
            providers: [.apt(["libasound2-dev"])]),

        // Debian's libqrencode as a C system library (QR codes for pairing screens).
        .systemLibrary(
            name: "CQREncode",
            pkgConfig: "libqrencode",
            providers: [.apt(["libqrencode-dev"])]),

        // QR codes as SVG for the sync admin page and Subsonic pairing (Sources/QRCode).
        .target(name: "QRCode", dependencies: ["OmniModel", "CQREncode"], swiftSettings: strict),

        // libavutil's av_fourcc_make_string without snprintf, in the executable so that it takes
        // the library's place (the MP4 demuxer's trace arguments; decision 0039).
        .target(name: "CFourCC"),

        // Tag reader, stream properties, artwork and audio identity (libavformat + own ID3/APE parsers).
        .target(
            name: "MediaIO",
            dependencies: [
                "OmniModel", "CFFmpeg", "CCrypto", "CFourCC",
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["README.md"],
            swiftSettings: strict),

        // What is on disk: directory walking, the inotify watcher and the change coalescer.
        .target(
            name: "Watcher",
            dependencies: ["OmniModel", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),

        // The SQLite library: schema, migrations, writes, FTS5 search.
        .target(
            name: "LocalStore",
            dependencies: [
                "OmniModel",
                "Analysis",  // key notations for the search language's key: filter (Analysis/AnalysisSearch.swift)
                .product(name: "GRDB", package: "GRDB.swift"),
                // sqlite3_step/bind for the scan's hot statements (DirectStatement.swift)
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            exclude: ["README.md"],
            swiftSettings: strict),

        // Scan orchestration: walk, diff against the library, probe in parallel, write in batches.
        .target(
            name: "Indexer",
            dependencies: [
                "OmniModel", "MediaIO", "Watcher", "LocalStore",
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["README.md"],
            swiftSettings: strict),

        // The server-side player: queue, libavcodec decoding, ALSA output thread, gapless (Sources/Player/README.md).
        .target(
            name: "Player",
            dependencies: [
                "OmniModel", "MediaIO", "LocalStore", "CALSA",
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["README.md"],
            swiftSettings: strict),

        // libchromaprint (AcoustID fingerprints) as a C system library.
        .systemLibrary(
            name: "CChromaprint",
            pkgConfig: "libchromaprint",
            providers: [.apt(["libchromaprint-dev"])]),

        // Listening to the music: tempo, key, EBU R128 loudness, fingerprint, feature vector
        // (Sources/Analysis/README.md, docs/decisions/0027-analysis.md).
        .target(
            name: "Analysis",
            dependencies: ["CChromaprint"],
            exclude: ["README.md"],
            // Always optimised: its DSP loops run ~10× slower unoptimised, which would make the
            // debug test run (and a debug daemon's background analysis) needlessly slow.
            swiftSettings: strict + [.unsafeFlags(["-O"])]),

        // The daemon's parts, as a library so tests start them in-process: configuration,
        // the background scan service, and the wiring of services into one ServiceGroup.
        .target(
            name: "Daemon",
            dependencies: [
                "OmniModel", "MediaIO", "LocalStore", "Indexer", "Watcher", "Player",
                "Analysis",  // the background analysis (Daemon/Analysis, decision 0031)
                "CMalloc",  // malloc_trim after a scan (decision 0037)
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "TOMLKit", package: "TOMLKit"),  // config.toml (service issue)
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),  // SIGHUP reloads
            ],
            exclude: ["README.md"],
            swiftSettings: strict),

        // The HTTP server: JSON API, SSE events, static web/, security checks (Sources/WebUI/README.md).
        .target(
            name: "WebUI",
            dependencies: [
                "OmniModel", "LocalStore", "Indexer", "MediaIO",
                "Analysis",  // key names of analysed tracks (Handlers+Analysis.swift)
                .product(name: "Hummingbird", package: "hummingbird"),
                // HTTPMount's peer-address handler sits in Hummingbird's NIO pipeline.
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            exclude: ["README.md"],
            swiftSettings: strict),

        // Multi-device sync: the sync server (per-user operation streams over HTTP(S), SQLite or
        // PostgreSQL) and
        // the daemon's client service (Sources/Sync/README.md, docs/decisions/0013-sync.md).
        .target(
            name: "Sync",
            dependencies: [
                "OmniModel", "LocalStore", "QRCode",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                // The client's own HTTP/1.1 transport, reading only what its bounds allow (0030).
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            exclude: ["README.md"],
            swiftSettings: strict),

        // The MPD protocol front door: a thin translation onto the library and player (Sources/MPDProtocol/README.md).
        .target(
            name: "MPDProtocol",
            dependencies: [
                "OmniModel", "LocalStore", "Player", "Indexer",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            exclude: ["README.md"],
            swiftSettings: strict),

        // The OpenSubsonic API front door, served under /rest/ by WebUI's server (Sources/Subsonic/README.md).
        .target(
            name: "Subsonic",
            dependencies: [
                "OmniModel", "LocalStore", "Indexer", "MediaIO", "WebUI", "CCrypto", "QRCode",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["README.md"],
            swiftSettings: strict),

        // The command-line entry point.
        .executableTarget(
            name: "omnisonicd",
            dependencies: [
                "OmniModel", "MediaIO", "Analysis", "LocalStore", "Indexer", "Watcher", "Daemon", "WebUI", "Sync", "MPDProtocol", "Subsonic",
                "CMalloc",  // the malloc arena cap at start (decision 0037)
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict,
            // Release link (docs/decisions/0037-scan-footprint-levers.md): lld packs the ~150,000
            // relative relocations (DT_RELR, glibc ≥ 2.36) instead of a 3.5 MB table read at every
            // start, and the executable exports no symbols (-static-stdlib's -export-dynamic put
            // 53,000 in its dynamic table, looked up by every FFmpeg library's relocations).
            // 6.5 MiB less at a scan's peak, 10 MiB idle; debug and test builds link as before.
            // The functions a scan runs come first, packed, in the order scripts/link-order
            // wrote from a profile (a first touch maps 64 KiB of code); names the list has and
            // the build does not are skipped silently, so a stale list only packs less.
            linkerSettings: [.unsafeFlags(["-use-ld=lld", "-Xlinker", "--no-export-dynamic",
                                           "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs",
                                           "-Xlinker", "--symbol-ordering-file=\(Context.packageDirectory)/scripts/omnisonicd.order",
                                           "-Xlinker", "--no-warn-symbol-ordering"],
                                          .when(platforms: [.linux], configuration: .release))]),

        // Search latency on a synthetic 100,000-track library (docs/decisions/0005-search.md).
        .executableTarget(
            name: "SearchBench",
            dependencies: ["LocalStore", .product(name: "GRDB", package: "GRDB.swift")],
            path: "bench/SearchBench",
            swiftSettings: strict),

        // Tag-reader speed per format on a folder (bench/probe/run.sh).
        .executableTarget(
            name: "ProbeBench",
            dependencies: ["MediaIO", "OmniModel"],
            path: "bench/ProbeBench",
            swiftSettings: strict),

        // Sync server ingest, bytes per operation, bootstrap of a new device (bench/sync/run.sh).
        .executableTarget(
            name: "SyncBench",
            dependencies: ["Sync", "LocalStore", "OmniModel", .product(name: "Logging", package: "swift-log")],
            path: "bench/SyncBench",
            swiftSettings: strict),

        // The player's CPU, latency and memory (bench/player/run.sh).
        .executableTarget(
            name: "PlayerBench",
            dependencies: ["Player", "Indexer", "LocalStore", "OmniModel", .product(name: "Logging", package: "swift-log")],
            path: "bench/PlayerBench",
            swiftSettings: strict),

        // Transcoding speed and cached artwork sizes (bench/transcode/run.sh).
        .executableTarget(
            name: "TranscodeBench",
            dependencies: ["MediaIO", "Indexer", "LocalStore", "OmniModel"],
            path: "bench/TranscodeBench",
            swiftSettings: strict),

        // Tempo/key/loudness speed and accuracy on a synthetic set, beside essentia (bench/analysis/run.sh).
        .executableTarget(
            name: "AnalysisBench",
            dependencies: ["Analysis", "TestSupport"],
            path: "bench/AnalysisBench",
            swiftSettings: strict),

        // Test helpers: temporary folders, corpus generation, fixtures made with ffmpeg.
        .target(
            name: "TestSupport",
            dependencies: ["OmniModel"],
            path: "Tests/TestSupport",
            swiftSettings: strict),
        // The shared library fixture (copy a corpus, open a library, scan it), apart from
        // TestSupport so the targets that need no library (AnalysisBench, MediaIOTests) do not link one.
        .target(
            name: "LibraryTestSupport",
            dependencies: ["TestSupport", "Indexer", "LocalStore", "OmniModel", .product(name: "Logging", package: "swift-log")],
            path: "Tests/LibraryTestSupport",
            swiftSettings: strict),

        .testTarget(name: "OmniModelTests", dependencies: ["OmniModel"], swiftSettings: strict),
        .testTarget(name: "WatcherTests", dependencies: ["Watcher", "TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "IndexerTests",
            dependencies: [
                "Indexer", "LocalStore", "MediaIO", "Watcher", "TestSupport", "LibraryTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "LocalStoreTests",
            dependencies: ["LocalStore", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict),
        // Runs the real `omnisonicd` binary (a test target may depend on an executable target,
        // which makes `swift test` build it first).
        .testTarget(
            name: "CLITests",
            dependencies: ["omnisonicd", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict),
        .testTarget(
            name: "DaemonTests",
            dependencies: [
                "Daemon", "Player", "Analysis", "Indexer", "LocalStore", "MediaIO", "OmniModel", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "WebUITests",
            dependencies: [
                "WebUI", "Indexer", "Player", "LocalStore", "MediaIO", "OmniModel", "TestSupport", "LibraryTestSupport",
                "Daemon", "Subsonic", "Analysis",  // analysed files, the Subsonic door and keys (SimilarAPITests)
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "SyncTests",
            dependencies: [
                "Sync", "LocalStore", "OmniModel", "TestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "MPDProtocolTests",
            dependencies: [
                "MPDProtocol", "Player", "Indexer", "LocalStore", "OmniModel", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .testTarget(name: "QRCodeTests", dependencies: ["QRCode"], swiftSettings: strict),
        .testTarget(name: "AnalysisTests", dependencies: ["Analysis", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "MediaIOTests", dependencies: ["MediaIO", "TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "PlayerTests",
            dependencies: [
                "Player", "Indexer", "LocalStore", "MediaIO", "OmniModel", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
    ]
)
