import OmniModel
import Testing

@Suite("RawPath keeps file names as bytes")
struct RawPathTests {
    @Test("A non-UTF-8 name survives as bytes and displays with a replacement character")
    func nonUTF8Name() {
        let path = RawPath(bytes: Array("Artist/caf".utf8) + [0xE9] + Array(".mp3".utf8))
        #expect(!path.isValidUTF8)
        #expect(path.displayString == "Artist/caf\u{FFFD}.mp3")
        #expect(path.lastComponent.bytes == Array("caf".utf8) + [0xE9] + Array(".mp3".utf8))
        #expect(path.lowercasedExtension == "mp3")
    }

    @Test("Joining and splitting components uses exactly one slash")
    func joining() {
        #expect(RawPath("/music/").appending(RawPath("a/b.flac")).displayString == "/music/a/b.flac")
        #expect(RawPath("/music").appending(RawPath("/a.flac")).displayString == "/music/a.flac")
        #expect(RawPath("a/b/c.ogg").deletingLastComponent.displayString == "a/b")
        #expect(RawPath("c.ogg").deletingLastComponent.isEmpty)
    }

    @Test("Extensions are matched case-insensitively; dot-files have none")
    func extensions() {
        #expect(AudioFileTypes.isAudio(RawPath("x/01 - Song.MP3")))
        #expect(AudioFileTypes.isAudio(RawPath("x/01 - Song.Flac")))
        #expect(!AudioFileTypes.isAudio(RawPath("x/.flac")))
        #expect(!AudioFileTypes.isAudio(RawPath("x/notes.txt")))
        #expect(AudioFileTypes.folderArtworkRank(RawPath("Folder.JPG")) == 1)
        #expect(AudioFileTypes.folderArtworkRank(RawPath("cover.png")) == 0)
        #expect(AudioFileTypes.folderArtworkRank(RawPath("back.jpg")) == nil)
    }
}
