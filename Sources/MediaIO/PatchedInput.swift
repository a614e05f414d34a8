import CFFmpeg
import Glibc
import OmniModel

/// A file as libavformat should see it: pieces of memory and ranges of the real file, in order.
///
/// Used only for files whose own metadata would make libavformat fail or spin (see
/// `FLACLayout`): the repaired header is in memory, the audio is read from the file with `pread`.
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

    private let fd: Int32
    private let pieces: [Piece]
    /// The virtual file's length.
    let size: Int
    private var position = 0

    /// Opens `path` for the file pieces, or nil when it cannot be opened.
    init?(path: RawPath, pieces: [Piece]) {
        let fd = path.withCString { open($0, O_RDONLY | O_CLOEXEC) }
        guard fd >= 0 else { return nil }
        self.fd = fd
        self.pieces = pieces
        size = pieces.reduce(0) { $0 + max(0, $1.count) }
    }

    deinit { close(fd) }

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
                let result = pread(fd, buffer + done, wanted, off_t(offset + within))
                got = max(0, result)
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
    let got = input.read(into: buffer, count: Int(size))
    return got > 0 ? Int32(got) : omni_averror_eof()
}

let patchedSeek: @convention(c) (UnsafeMutableRawPointer?, Int64, Int32) -> Int64 = { opaque, offset, whence in
    guard let opaque else { return -1 }
    return Unmanaged<PatchedInput>.fromOpaque(opaque).takeUnretainedValue().seek(offset, whence: whence)
}
