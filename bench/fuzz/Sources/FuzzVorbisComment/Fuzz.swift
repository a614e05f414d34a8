import FuzzSupport
@testable import MediaIO

/// Our Vorbis comment reader (FLAC VORBIS_COMMENT body) on any bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let data else { return 0 }
    let start = UnsafeRawPointer(data)
    var collector = TagCollector()
    VorbisComment.parse(Array(UnsafeRawBufferPointer(start: start, count: count))[...], into: &collector)
    _ = TagNormalizer.normalize(collector.tags)
    return 0
}

/// The entry point SwiftPM links as `main` (see CFuzzer.h).
@_cdecl("FuzzVorbisComment_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
