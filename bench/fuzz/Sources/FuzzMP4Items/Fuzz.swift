import FuzzSupport
@testable import MediaIO

/// Our iTunes `ilst` item reader (`MP4Items`, used when an item list is over the limits) on any bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let data else { return 0 }
    let start = UnsafeRawPointer(data)
    var collector = TagCollector()
    var pictures: [EmbeddedPicture] = []
    MP4Items.parse(Array(UnsafeRawBufferPointer(start: start, count: count))[...], into: &collector, pictures: &pictures, keepPictures: true)
    _ = TagNormalizer.normalize(collector.tags)
    return 0
}

/// The entry point SwiftPM links as `main` (see CFuzzer.h).
@_cdecl("FuzzMP4Items_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
