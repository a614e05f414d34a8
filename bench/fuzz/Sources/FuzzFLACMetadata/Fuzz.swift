import FuzzSupport
import OmniModel
@testable import MediaIO

/// The FLAC metadata walker, its repair and our comment/picture reading, then the whole probe
/// (libavformat reads the original or the repaired file), on any bytes behind "fLaC".
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let data else { return 0 }
    let start = UnsafeRawPointer(data)
    let bytes = Array("fLaC".utf8) + Array(UnsafeRawBufferPointer(start: start, count: count))
    let path = bytes.withUnsafeBytes { ScratchFile.write($0, suffix: ".flac") }
    if let file = FileReader(path: RawPath(path)), let layout = FLACLayout.read(file, start: 0) {
        _ = layout.tags(file, includePictures: true)
        _ = layout.repairedInput(file)
    }
    _ = try? TagReader().probe(RawPath(path))
    return 0
}

/// The entry point SwiftPM links as `main` (see CFuzzer.h).
@_cdecl("FuzzFLACMetadata_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
