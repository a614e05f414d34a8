import CFFmpeg
import Glibc
@testable import MediaIO
import Testing

/// The executable's `av_fourcc_make_string` (Sources/CFourCC; decision 0039, "Probe threads,
/// fourth round") takes libavutil's place and writes what libavutil's writes.
@Suite("av_fourcc_make_string without snprintf")
struct FourCCTests {
    typealias MakeString = @convention(c) (UnsafeMutablePointer<CChar>?, UInt32) -> UnsafeMutablePointer<CChar>?

    /// libavutil's own definition (looked up in libavutil itself, not where the linker binds it).
    static func libavutils() throws -> MakeString {
        let handle = try #require(dlopen("libavutil.so.57", RTLD_NOW | RTLD_NOLOAD) ?? dlopen("libavutil.so", RTLD_NOW | RTLD_NOLOAD))
        let symbol = try #require(dlsym(handle, "av_fourcc_make_string"))
        return unsafeBitCast(symbol, to: MakeString.self)
    }

    @Test("It is the one libavformat calls, not libavutil's")
    func interposed() throws {
        let bound = try #require(dlsym(UnsafeMutableRawPointer(bitPattern: 0), "av_fourcc_make_string"))  // RTLD_DEFAULT
        let library = unsafeBitCast(try Self.libavutils(), to: UnsafeMutableRawPointer.self)
        #expect(bound != library)
    }

    @Test("Every byte value, in every position, gives libavutil's text")
    func sameText() throws {
        let theirs = try Self.libavutils()
        var differing: [UInt32] = []
        var mine = [CChar](repeating: 0x7F, count: 32), reference = [CChar](repeating: 0x7F, count: 32)
        for byte in UInt32(0)...255 {
            // Alone in each position, beside letters, and all four the same
            for fourcc in [byte, byte << 8 | 0x61, byte << 16 | 0x6D70, byte << 24 | 0x00_6D_70_34, byte * 0x0101_0101] {
                mine = [CChar](repeating: 0x7F, count: 32)
                reference = [CChar](repeating: 0x7F, count: 32)
                _ = av_fourcc_make_string(&mine, fourcc)
                _ = theirs(&reference, fourcc)
                if mine != reference { differing.append(fourcc) }
            }
        }
        #expect(differing.isEmpty, "\(differing.prefix(10))")
        mine = [CChar](repeating: 0, count: 32)
        #expect(String(cString: av_fourcc_make_string(&mine, 0x0A_61_34_6D)) == "m4a[10]")
    }
}
