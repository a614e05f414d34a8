import CFFmpeg
import Glibc
import OmniModel

/// A file as libavformat should see it: pieces of memory and ranges of the real file, in order.
///
/// Every probe gives libavformat one of these, over the descriptor `FileReader` already opened
/// (docs/decisions/0029-scan-footprint.md): for a sound file one piece, the whole file; for a file
/// whose own metadata would make libavformat fail or spin, a repaired header in memory
/// (`FLACLayout`) or a few patched bytes (`OggLayout`, `MP4Layout`) between ranges of the file.
/// libavformat reads it through a custom `AVIOContext` (`FormatContext` owns it); the callbacks
/// reach this object through the context's `opaque` pointer. One thread at a time.
final class PatchedInput {
    enum Piece {
        case bytes([UInt8])
        case file(offset: Int, count: Int)

        var count: Int {
            switch self {
            case .bytes(let bytes): bytes.count
            case .file(_, let count): count
            }
        }
    }

    /// The open file the `.file` pieces are read from (kept alive here; it owns the descriptor).
    let file: FileReader
    private let pieces: [Piece]
    /// The virtual file's length.
    let size: Int
    private var position = 0
    /// CLOCK_MONOTONIC nanoseconds after which reads fail with `AVERROR_EXIT`: libavformat checks
    /// its interrupt callback only in its own protocol's reads, not in a caller's `AVIOContext`,
    /// so the read callback enforces `FormatContext.timeLimitNanoseconds` itself.
    var deadline: UInt64 = .max

    /// The file in `pieces`, read through `file`'s descriptor.
    init(file: FileReader, pieces: [Piece]) {
        self.file = file
        self.pieces = pieces
        size = pieces.reduce(0) { $0 + max(0, $1.count) }
    }

    /// The whole file, unchanged.
    convenience init(file: FileReader) {
        self.init(file: file, pieces: [.file(offset: 0, count: file.size)])
    }

    /// The file with a few byte ranges replaced by as many other bytes (a patched count or atom
    /// type); `patches` are (offset, bytes), in any order, not overlapping, inside the file.
    convenience init(file: FileReader, patches: [(offset: Int, bytes: [UInt8])]) {
        var pieces: [Piece] = []
        var at = 0
        for patch in patches.sorted(by: { $0.offset < $1.offset }) where patch.offset >= at && patch.offset + patch.bytes.count <= file.size {
            if patch.offset > at { pieces.append(.file(offset: at, count: patch.offset - at)) }
            pieces.append(.bytes(patch.bytes))
            at = patch.offset + patch.bytes.count
        }
        if at < file.size { pieces.append(.file(offset: at, count: file.size - at)) }
        self.init(file: file, pieces: pieces)
    }

    /// Back to the start, for a new `AVIOContext` (a second open attempt).
    func rewind() { position = 0 }

    /// Copies up to `count` bytes at the current position into `buffer`; 0 at the end.
    func read(into buffer: UnsafeMutablePointer<UInt8>, count: Int) -> Int {
        var done = 0
        var pieceStart = 0
        for piece in pieces {
            let pieceEnd = pieceStart + piece.count
            defer { pieceStart = pieceEnd }
            guard done < count, position < pieceEnd, position >= pieceStart else { continue }
            let within = position - pieceStart
            let wanted = min(count - done, pieceEnd - position)
            var got = 0
            switch piece {
            case .bytes(let bytes):
                bytes.withUnsafeBufferPointer { source in
                    (buffer + done).update(from: source.baseAddress! + within, count: wanted)
                }
                got = wanted
            case .file(let offset, _):
                got = file.read(into: buffer + done, at: offset + within, count: wanted)
            }
            done += got
            position += got
            if got < wanted { break }
        }
        return done
    }

    /// Moves the position (`SEEK_SET`, `SEEK_CUR`, `SEEK_END`) or answers the size (`AVSEEK_SIZE`).
    func seek(_ offset: Int64, whence: Int32) -> Int64 {
        if whence & 0x10000 != 0 { return Int64(size) } // AVSEEK_SIZE
        let base: Int64
        switch whence & 0xFF {
        case SEEK_SET: base = 0
        case SEEK_CUR: base = Int64(position)
        case SEEK_END: base = Int64(size)
        default: return -1
        }
        let (target, overflow) = base.addingReportingOverflow(offset)
        guard !overflow, target >= 0 else { return -1 }
        position = Int(min(target, Int64(size)))
        return Int64(position)
    }
}

/// `avio_alloc_context` callbacks: `opaque` is an unretained `PatchedInput` the
/// `FormatContext` keeps alive.
let patchedRead: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutablePointer<UInt8>?, Int32) -> Int32 = { opaque, buffer, size in
    guard let opaque, let buffer, size > 0 else { return omni_averror_eof() }
    let input = Unmanaged<PatchedInput>.fromOpaque(opaque).takeUnretainedValue()
    if FormatContext.monotonicNow() > input.deadline { return -0x5449_5845 } // AVERROR_EXIT, FFERRTAG('E','X','I','T')
    let got = input.read(into: buffer, count: Int(size))
    return got > 0 ? Int32(got) : omni_averror_eof()
}

let patchedSeek: @convention(c) (UnsafeMutableRawPointer?, Int64, Int32) -> Int64 = { opaque, offset, whence in
    guard let opaque else { return -1 }
    return Unmanaged<PatchedInput>.fromOpaque(opaque).takeUnretainedValue().seek(offset, whence: whence)
}
