import OmniModel
import Testing

@Suite("Format names people use")
struct FormatNameTests {
    @Test("Given FFmpeg's codec and demuxer names, when shown, then the format reads as people say it",
          arguments: [
              ("aac", "mov,mp4,m4a,3gp,3g2,mj2", "a/b.m4a", "AAC in M4A"),
              ("alac", "mov,mp4,m4a,3gp,3g2,mj2", "x.m4a", "ALAC in M4A"),
              ("aac", "mov,mp4,m4a,3gp,3g2,mj2", "video.mp4", "AAC in MP4"),
              ("flac", "flac", "x.flac", "FLAC"),
              ("mp3float", "mp3", "x.mp3", "MP3"),
              ("mp3", "mp3", "x.mp3", "MP3"),
              ("opus", "ogg", "x.opus", "Opus in Ogg"),
              ("vorbis", "ogg", "x.ogg", "Vorbis in Ogg"),
              ("flac", "ogg", "x.oga", "FLAC in Ogg"),
              ("pcm_s16le", "wav", "x.wav", "WAV"),
              ("pcm_s24be", "aiff", "x.aiff", "AIFF"),
              ("wavpack", "wv", "x.wv", "WavPack"),
              ("ape", "ape", "x.ape", "Monkey's Audio"),
              ("opus", "matroska,webm", "x.webm", "Opus in WebM"),
              ("vorbis", "matroska,webm", "x.mka", "Vorbis in Matroska"),
              ("wmav2", "asf", "x.wma", "WMA in ASF"),
              ("newcodec", "newbox", "x.nb", "NEWCODEC in NEWBOX"),
          ])
    func names(codec: String, container: String, path: String, expected: String) {
        #expect(FormatName.display(codec: codec, container: container, path: path) == expected)
    }
}
