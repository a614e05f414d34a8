import CFFmpeg
@testable import MediaIO
import Testing

@Suite("Choosing libavformat's demuxer by extension")
struct FormatContextTests {
    @Test("Every extension the probe hints at names a demuxer libavformat has, and the table looked up once gives that demuxer")
    func everyHintedDemuxerIsFound() throws {
        // Given every extension the probe opens with its own demuxer
        let extensions = ["mp3", "mp2", "flac", "ogg", "oga", "opus", "spx", "m4a", "m4b", "mp4", "alac", "aac", "wav",
                          "wave", "aif", "aiff", "aifc", "wv", "ape", "mpc", "wma", "dsf", "tta", "mka", "webm"]
        for ext in extensions {
            let name = try #require(FormatContext.demuxerName(forExtension: ext), "\(ext)")
            // When its demuxer is taken from the table
            let format = try #require(FormatContext.demuxers.format(named: name), "\(ext): \(name)")
            // Then it is libavformat's demuxer of that name (names are lists like "mov,mp4,m4a,...")
            let names = String(cString: format.pointee.name).split(separator: ",").map(String.init)
            #expect(names.contains(name), "\(ext): \(name) gave \(names)")
            #expect(format == av_find_input_format(name), "\(ext)")
        }
        // And an extension without a hint is left to libavformat's content probing
        #expect(FormatContext.demuxerName(forExtension: "txt") == nil)
    }
}
