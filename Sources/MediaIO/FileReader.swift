import Glibc
import OmniModel

/// Bounded random-access reads of one file with `pread`, for our own tag parsers.
///
/// Never trusts sizes read from the file: every read is clamped to the file's length and to the
/// caller's limit, and short reads simply return fewer bytes. Owns its descriptor and closes it in
/// `deinit`. Used by one thread at a time.
final class FileReader {
    private let fd: Int32
    /// The file's size in bytes when it was opened.
    let size: Int

    /// Opens `path` read-only, or returns nil (the tag parsers are best-effort; libavformat has
    /// already reported real open errors).
    ///
    /// Opened with `O_NONBLOCK` so that a FIFO (or a device) in the music folder cannot block
    /// `open(2)` for ever before `fstat` refuses it: the probe thread would hang with it. For a
    /// regular file the flag changes nothing.
    init?(path: RawPath) {
        let fd = path.withCString { open($0, O_RDONLY | O_CLOEXEC | O_NONBLOCK) }
        guard fd >= 0 else { return nil }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            return nil
        }
        self.fd = fd
        size = Int(info.st_size)
    }

    deinit { close(fd) }

    /// Up to `count` bytes at `offset` (fewer at end of file, empty when out of range).
    func read(at offset: Int, count: Int) -> [UInt8] {
        guard offset >= 0, count > 0, offset < size else { return [] }
        let wanted = min(count, size - offset)
        var out = [UInt8](repeating: 0, count: wanted)
        var done = 0
        while done < wanted {
            let got = out.withUnsafeMutableBytes { buffer in
                pread(fd, buffer.baseAddress! + done, wanted - done, off_t(offset + done))
            }
            if got < 0 && errno == EINTR { continue }
            if got <= 0 { break }
            done += got
        }
        if done < wanted { out.removeLast(wanted - done) }
        return out
    }
}
