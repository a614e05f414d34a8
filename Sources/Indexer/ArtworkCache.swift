import Foundation
import Glibc
import LocalStore
import MediaIO
import OmniModel

/// Content-addressed storage of artwork images: `<directory>/<first two hex digits>/<sha256>`.
///
/// The same picture embedded in every track of an album is stored once. Files are written to a
/// temporary name and renamed, so a crash never leaves a half-written image under its final
/// name. Safe to use from several threads at once (writes of the same hash race harmlessly:
/// both write identical bytes and the rename is atomic).
public struct ArtworkCache: Sendable {
    /// The cache folder.
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// The path of the image with `hash`.
    public func path(forHash hash: String) -> String {
        "\(directory)/\(hash.prefix(2))/\(hash)"
    }

    /// Stores `image` (if not already there) and returns its identity.
    ///
    /// - Throws: `POSIXError`-like `IndexError.artwork` when the image cannot be written
    ///   (full disk, permissions); the caller records the track without artwork.
    public func store(_ image: ArtworkImage) throws(IndexError) -> StoredArtwork {
        let hash = SHA256.hexDigest(image.data)
        let stored = StoredArtwork(hash: hash, mimeType: image.mimeType, byteCount: image.data.count)
        let final = path(forHash: hash)
        if access(final, F_OK) == 0 { return stored }
        let folder = "\(directory)/\(hash.prefix(2))"
        // Private, like the library (decision 0017): artwork tells what someone listens to.
        mkdir(directory, 0o700)
        mkdir(folder, 0o700)
        let temporary = "\(folder)/.\(hash).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw IndexError(.artwork, message: "cannot write artwork to \(folder)", errno: errno) }
        var written = 0
        let ok = image.data.withUnsafeBytes { buffer -> Bool in
            while written < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + written, buffer.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                written += n
            }
            return true
        }
        let savedErrno = errno
        close(fd)
        guard ok, rename(temporary, final) == 0 else {
            unlink(temporary)
            throw IndexError(.artwork, message: "cannot write artwork to \(folder)", errno: ok ? errno : savedErrno)
        }
        return stored
    }

    /// Reads a picture file beside the music (`cover.jpg`) and stores it.
    ///
    /// - Throws: `IndexError.artwork` when it cannot be read or is not an image.
    public func storeFile(at path: RawPath, maxBytes: Int = 20 << 20) throws(IndexError) -> StoredArtwork {
        // O_NONBLOCK: a FIFO named cover.jpg must not block open(2) (and the scan) for ever;
        // only a regular file is read.
        let fd = path.withCString { open($0, O_RDONLY | O_CLOEXEC | O_NONBLOCK) }
        guard fd >= 0 else { throw IndexError(.artwork, message: "cannot read picture \(path)", errno: errno) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw IndexError(.artwork, message: "picture \(path) is not a regular file")
        }
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw IndexError(.artwork, message: "cannot read picture \(path)", errno: errno)
            }
            if n == 0 { break }
            data.append(contentsOf: chunk[..<n])
            if data.count > maxBytes { throw IndexError(.artwork, message: "picture too large: \(path)") }
        }
        guard let mime = ImageSniffer.mimeType(of: data) else {
            throw IndexError(.artwork, message: "not an image: \(path)")
        }
        return try store(ArtworkImage(mimeType: mime, data: data))
    }

    /// Deletes the images with these hashes (no longer used by the library).
    public func remove(hashes: [String]) {
        for hash in hashes { unlink(path(forHash: hash)) }
    }
}
