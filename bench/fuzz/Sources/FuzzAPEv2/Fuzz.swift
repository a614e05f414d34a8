import FuzzSupport
@testable import MediaIO

/// Our APEv2 reader: the footer, then the items it describes (the input is footer + items).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let data else { return 0 }
    let start = UnsafeRawPointer(data)
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    guard bytes.count >= APEv2Parser.footerSize else { return 0 }
    let footer = Array(bytes[(bytes.count - APEv2Parser.footerSize)...])
    let count = APEv2Parser.footerLayout(footer)?.itemCount ?? Int(bytes[0])
    var collector = TagCollector()
    APEv2Parser.parseItems(bytes.dropLast(APEv2Parser.footerSize), count: count, into: &collector)
    _ = TagNormalizer.normalize(collector.tags)
    return 0
}

/// The entry point SwiftPM links as `main` (see CFuzzer.h).
@_cdecl("FuzzAPEv2_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
