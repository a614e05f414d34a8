import FuzzSupport
@testable import MediaIO
import OmniModel

/// Our WavPack block reader: the 32-byte header, then the sub-blocks of the first block for its
/// `ID_CHANNEL_INFO` (the input is a file's start), through a scratch file as the probe reads it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let data else { return 0 }
    let start = UnsafeRawPointer(data)
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    _ = WavPackBlock(bytes[...])
    _ = WavPackBlock.channelInfo(Array(bytes.dropFirst(WavPackBlock.headerSize)))
    let path = ScratchFile.write(UnsafeRawBufferPointer(start: start, count: count), suffix: ".wv")
    if let file = try? FileReader(opening: RawPath(path)) {
        _ = WavPackBlock.channels(file, start: 0)
        _ = DurationRules.wavPackSamples(file)
    }
    return 0
}

/// The entry point SwiftPM links as `main` (see CFuzzer.h).
@_cdecl("FuzzWavPackBlock_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
