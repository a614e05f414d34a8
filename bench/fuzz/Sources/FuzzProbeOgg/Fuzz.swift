import FuzzSupport
import MediaIO
import OmniModel

/// The whole tag reader on an `.ogg`: our page walk to the comment header (`OggLayout`), its
/// patch when over the limits, libavformat's Ogg demuxer, identity and duration.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let data else { return 0 }
    let start = UnsafeRawPointer(data)
    let path = ScratchFile.write(UnsafeRawBufferPointer(start: start, count: count), suffix: ".ogg")
    _ = try? TagReader().probe(RawPath(path))
    return 0
}

/// The entry point SwiftPM links as `main` (see CFuzzer.h).
@_cdecl("FuzzProbeOgg_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
