import FuzzSupport
import MediaIO
import OmniModel

/// The whole tag reader on an `.m4a` (libavformat's MP4 atom reader, our identity and durations).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let data else { return 0 }
    let start = UnsafeRawPointer(data)
    let path = ScratchFile.write(UnsafeRawBufferPointer(start: start, count: count), suffix: ".m4a")
    _ = try? TagReader().probe(RawPath(path))
    return 0
}

/// The entry point SwiftPM links as `main` (see CFuzzer.h).
@_cdecl("FuzzProbeMP4_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
