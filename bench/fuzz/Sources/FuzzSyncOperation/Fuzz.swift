import FuzzSupport
import Foundation
import OmniModel
@testable import LocalStore

/// What a sync push or pull carries: JSON operations decoded, then checked the way every
/// replica checks them before merging.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let data else { return 0 }
    let start = UnsafeRawPointer(data)
    guard let ops = try? JSONDecoder().decode([UserOperation].self, from: Data(bytes: start, count: count)) else { return 0 }
    for op in ops {
        _ = try? OperationApplier.validate(op)
        _ = try? JSONEncoder().encode(op)
    }
    return 0
}

/// The entry point SwiftPM links as `main` (see CFuzzer.h).
@_cdecl("FuzzSyncOperation_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
