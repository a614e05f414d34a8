// swift-tools-version:6.1
//
// libFuzzer targets for the readers of untrusted bytes (SECURITY.md, bench/fuzz/run.sh).
// A package of its own so the normal build and `scripts/test` never compile it; build with
//   swift build --package-path bench/fuzz --scratch-path .build-fuzz \
//     -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -enable-testing
// (`-enable-testing` lets the targets reach the internal parsers with `@testable import`).
import PackageDescription

let fuzzable: [Target.Dependency] = [.product(name: "OmnisonicFuzzable", package: "omnisonicd")]

func fuzzTarget(_ name: String) -> Target {
    .executableTarget(name: name, dependencies: fuzzable + ["FuzzSupport"], path: "Sources/\(name)",
                      swiftSettings: [.swiftLanguageMode(.v6)])
}

let package = Package(
    name: "omnisonicd-fuzz",
    dependencies: [.package(name: "omnisonicd", path: "../..")],
    targets: [
        .target(name: "CFuzzer", path: "Sources/CFuzzer"),
        .target(name: "FuzzSupport", dependencies: ["CFuzzer"], path: "Sources/FuzzSupport", swiftSettings: [.swiftLanguageMode(.v6)]),
        fuzzTarget("FuzzID3v2"),
        fuzzTarget("FuzzAPEv2"),
        fuzzTarget("FuzzVorbisComment"),
        fuzzTarget("FuzzFLACMetadata"),
        fuzzTarget("FuzzProbeMP4"),
        fuzzTarget("FuzzProbeRIFF"),
        fuzzTarget("FuzzProbeOgg"),
        fuzzTarget("FuzzWavPackBlock"),
        fuzzTarget("FuzzMP4Items"),
        fuzzTarget("FuzzM3U"),
        fuzzTarget("FuzzSearchQuery"),
        fuzzTarget("FuzzSyncOperation"),
    ]
)
