import OmniModel
import Testing
@testable import Watcher

/// Builds one record by hand, field by field, with a chosen `len` (not through `encode`).
private func record(wd: Int32, mask: UInt32, cookie: UInt32 = 0, name: [UInt8] = [], length: Int? = nil) -> [UInt8] {
    var out: [UInt8] = []
    func append(_ value: UInt32) { withUnsafeBytes(of: value) { out.append(contentsOf: $0) } }
    let len = length ?? name.count
    append(UInt32(bitPattern: wd))
    append(mask)
    append(cookie)
    append(UInt32(len))
    var padded = name
    while padded.count < len { padded.append(0) }
    out.append(contentsOf: padded.prefix(len))
    return out
}

@Suite("Parsing the bytes inotify returns")
struct InotifyEventParserTests {
    @Test("Given one close-write record with a padded name, when parsed, then the name has no NULs and the flags say close-write")
    func closeWrite() {
        let bytes = record(wd: 3, mask: 0x8, name: Array("song.flac".utf8), length: 16)

        let parsed = InotifyEventParser.parse(bytes)

        #expect(parsed.consumed == 32)
        #expect(parsed.events == [InotifyEvent(watchDescriptor: 3, mask: .closeWrite, name: RawPath("song.flac"))])
        #expect(parsed.events[0].isCloseWrite && !parsed.events[0].isCreated && !parsed.events[0].isDirectory)
    }

    @Test("Given a rename's two records, when parsed, then both carry the same cookie and the folder flag")
    func renamePair() {
        let bytes = record(wd: 1, mask: 0x40 | 0x4000_0000, cookie: 77, name: Array("Old".utf8), length: 16)
            + record(wd: 2, mask: 0x80 | 0x4000_0000, cookie: 77, name: Array("New".utf8), length: 16)

        let events = InotifyEventParser.parse(bytes).events

        #expect(events.count == 2)
        #expect(events[0].isMovedFrom && events[0].isDirectory && events[0].cookie == 77 && events[0].name == RawPath("Old"))
        #expect(events[1].isMovedTo && events[1].isDirectory && events[1].cookie == 77 && events[1].watchDescriptor == 2)
    }

    @Test("Given IN_Q_OVERFLOW with wd -1 and no name, when parsed, then it is an overflow with an empty name")
    func overflow() {
        let parsed = InotifyEventParser.parse(record(wd: -1, mask: 0x4000))

        #expect(parsed.events == [InotifyEvent(watchDescriptor: -1, mask: .queueOverflow)])
        #expect(parsed.events[0].isQueueOverflow && parsed.events[0].name.isEmpty)
        #expect(parsed.consumed == 16)
    }

    @Test("Given a name that is not UTF-8, when parsed, then its bytes are kept exactly")
    func nonUTF8Name() {
        let name: [UInt8] = Array("caf".utf8) + [0xE9, 0xFF] + Array(".mp3".utf8)

        let events = InotifyEventParser.parse(record(wd: 5, mask: 0x100, name: name, length: 32)).events

        #expect(events.map(\.name.bytes) == [name])
        #expect(events[0].isCreated)
    }

    @Test("Given a name length that is not a multiple of 16 and has no NUL, when parsed, then the whole length is the name")
    func oddLength() {
        let bytes = record(wd: 4, mask: 0x200, name: Array("abc".utf8), length: 3) + record(wd: 4, mask: 0x8000)

        let parsed = InotifyEventParser.parse(bytes)

        #expect(parsed.events.map(\.name) == [RawPath("abc"), RawPath(bytes: [])])
        #expect(parsed.events[0].isDeleted && parsed.events[1].isIgnored)
        #expect(parsed.consumed == bytes.count)
    }

    @Test("Given a buffer cut inside a header or a name, when parsed, then only whole records are returned and the rest is left")
    func partialRecords() {
        let first = record(wd: 1, mask: 0x8, name: Array("a.mp3".utf8), length: 16)
        let second = record(wd: 1, mask: 0x8, name: Array("b.mp3".utf8), length: 16)

        let cutInName = InotifyEventParser.parse(first + second.prefix(20))
        let cutInHeader = InotifyEventParser.parse(first + second.prefix(7))
        let empty = InotifyEventParser.parse([UInt8]())

        #expect(cutInName.events.map(\.name) == [RawPath("a.mp3")])
        #expect(cutInName.consumed == first.count)
        #expect(cutInHeader.events.count == 1 && cutInHeader.consumed == first.count)
        #expect(empty.events.isEmpty && empty.consumed == 0)
    }

    @Test("Given records made by encode, when parsed back, then every field round-trips")
    func roundTrip() {
        let events = [
            InotifyEvent(watchDescriptor: 9, mask: [.movedTo], cookie: 12345, name: RawPath(bytes: [0x80, 0x41])),
            InotifyEvent(watchDescriptor: 9, mask: [.deleteSelf]),
            InotifyEvent(watchDescriptor: 10, mask: [.unmount]),
            InotifyEvent(watchDescriptor: 11, mask: [.created, .isDirectory], name: RawPath(String(repeating: "x", count: 16))),
        ]

        let parsed = InotifyEventParser.parse(events.flatMap(InotifyEventParser.encode))

        #expect(parsed.events == events)
        #expect(parsed.events[2].isUnmount && parsed.events[1].isDeleteSelf)
    }
}
