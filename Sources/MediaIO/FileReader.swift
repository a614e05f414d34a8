import CFFmpeg
import Glibc
import OmniModel

/// Bounded random-access reads of one file with `pread`, for our own tag parsers — and the one
/// descriptor a probe opens: libavformat reads the same descriptor through `PatchedInput`
/// (docs/decisions/0029-scan-footprint.md), so a file is opened, checked and closed once.
///
/// Never trusts sizes read from the file: every read is clamped to the file's length and to the
/// caller's limit, and short reads simply return fewer bytes. Owns its descriptor and closes it in
/// `deinit`. Used by one thread at a time.
///
/// The first `headBytes` of the file are read once and kept: the leading ID3v2 check, FLAC block
/// headers and Ogg page headers all sit there, so the parsers' small reads cost no system call,
/// and libavformat's reads through `PatchedInput` start from the same bytes (decision 0039).
final class FileReader {
    /// The open descriptor, shared with `PatchedInput` (which keeps this object alive).
    let descriptor: Int32
    /// The file's size in bytes when it was opened.
    let size: Int
    /// Bytes at the start kept in memory.
    static let headBytes = 16 << 10
    private var head: [UInt8] = []
    /// One more window of the file kept in memory (`prefetch`), for a parser that walks many
    /// small headers in one region (an MP4 `moov` at the end of the file).
    private var window: (offset: Int, bytes: [UInt8]) = (0, [])

    /// Opens `path` read-only, or returns nil (the tag parsers are best-effort; libavformat has
    /// already reported real open errors).
    convenience init?(path: RawPath) {
        try? self.init(opening: path)
    }

    /// Opens `path` read-only and checks that it is a regular file.
    ///
    /// Opened with `O_NONBLOCK` so that a FIFO (or a device) in the music folder cannot block
    /// `open(2)` for ever before `fstat` refuses it: the probe thread would hang with it. For a
    /// regular file the flag changes nothing.
    /// - Throws: `MediaError.unreadable` naming the failing call (`open`, `fstat`) or saying the
    ///   path is not a regular file.
    init(opening path: RawPath) throws(MediaError) {
        let fd = path.withCString { open($0, O_RDONLY | O_CLOEXEC | O_NONBLOCK) }
        guard fd >= 0 else {
            throw MediaError(.unreadable, path: path.displayString, call: "open", status: omni_averror(errno))
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let status = omni_averror(errno)
            close(fd)
            throw MediaError(.unreadable, path: path.displayString, call: "fstat", status: status)
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw MediaError(.unreadable, path: path.displayString, detail: "fstat: not a regular file")
        }
        descriptor = fd
        size = Int(info.st_size)
        head = readFromDisk(at: 0, count: min(size, Self.headBytes))
    }

    deinit { close(descriptor) }

    /// Up to `count` bytes at `offset` (fewer at end of file, empty when out of range).
    func read(at offset: Int, count: Int) -> [UInt8] {
        guard offset >= 0, count > 0, offset < size else { return [] }
        let wanted = min(count, size - offset)
        if offset + wanted <= head.count { return Array(head[offset..<(offset + wanted)]) }
        if offset >= window.offset, offset + wanted <= window.offset + window.bytes.count {
            let start = offset - window.offset
            return Array(window.bytes[start..<(start + wanted)])
        }
        return readFromDisk(at: offset, count: wanted)
    }

    /// Copies up to `count` bytes at `offset` into `buffer`, the part the head covers from
    /// memory and the rest with one `pread`: libavformat (`PatchedInput`) starts where our parsers
    /// did, and read those bytes from the disk a second time (decision 0039).
    ///
    /// - Returns: the bytes copied; fewer than `count` at the end of the file or when `pread` fails.
    func read(into buffer: UnsafeMutablePointer<UInt8>, at offset: Int, count: Int) -> Int {
        guard offset >= 0, count > 0 else { return 0 }
        var done = 0
        if offset < head.count {
            done = min(count, head.count - offset)
            head.withUnsafeBufferPointer { buffer.update(from: $0.baseAddress! + offset, count: done) }
            // Short of the whole file only when the file is longer than the head.
            if done == count || head.count == size { return done }
        }
        let got = pread(descriptor, buffer + done, count - done, off_t(offset + done))
        return done + max(0, got)
    }

    /// Keeps `count` bytes at `offset` in memory for the reads that follow.
    func prefetch(at offset: Int, count: Int) {
        window = (offset, readFromDisk(at: offset, count: count))
    }

    private func readFromDisk(at offset: Int, count: Int) -> [UInt8] {
        guard offset >= 0, count > 0, offset < size else { return [] }
        let wanted = min(count, size - offset)
        // Not zero-filled first: only the bytes read are kept (a scan reads 16 KiB of every file).
        return [UInt8](unsafeUninitializedCapacity: wanted) { buffer, initialized in
            var done = 0
            while done < wanted {
                let got = pread(descriptor, buffer.baseAddress! + done, wanted - done, off_t(offset + done))
                if got < 0 && errno == EINTR { continue }
                if got <= 0 { break }
                done += got
            }
            initialized = done
        }
    }
}
