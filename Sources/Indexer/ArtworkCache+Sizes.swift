import Foundation
import Glibc
import MediaIO

/// Artwork at the sizes clients ask for (`?size=N`, Subsonic `getCoverArt size`), kept beside
/// the originals: `<directory>/sizes/<N>/<hash>.jpg` (or `.png` for a picture with alpha).
/// A picture no larger than N is served as it is; a zero-byte `<hash>.orig` remembers that, so
/// it is decoded once per size, not once per request.
extension ArtworkCache {
    /// A picture to send: its file and its type.
    public struct SizedFile: Sendable, Equatable {
        public var path: String
        public var mimeType: String
    }

    /// The picture with `hash` at most `size` pixels on its longer side, scaling it (once) if
    /// needed. Blocking (decoding and encoding run on the caller's thread the first time);
    /// any thread.
    ///
    /// - Parameters:
    ///   - mimeType: the original's type (what is sent when it is not larger than `size`).
    ///   - size: within `ArtworkScaler.sizes`.
    /// - Returns: nil when the original is missing.
    /// - Throws: `IndexError.artwork` when the original cannot be decoded or the scaled copy
    ///   cannot be written.
    public func sized(hash: String, mimeType: String, size: Int) throws(IndexError) -> SizedFile? {
        if let cached = sizedIfCached(hash: hash, mimeType: mimeType, size: size) { return cached }
        let original = path(forHash: hash)
        let folder = "\(directory)/sizes/\(size)"
        let base = "\(folder)/\(hash)"
        guard access(original, R_OK) == 0 else { return nil }
        guard let data = FileManager.default.contents(atPath: original) else { return nil }
        let scaled: ArtworkScaler.Scaled?
        do {
            scaled = try ArtworkScaler.scale([UInt8](data), toFit: size)
        } catch {
            throw IndexError(.artwork, message: "cannot scale artwork \(hash)", detail: error.expandedDescription)
        }
        mkdir(directory, 0o700)
        mkdir("\(directory)/sizes", 0o700)
        mkdir(folder, 0o700)
        guard let scaled else {
            let fd = open("\(base).orig", O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
            if fd >= 0 { close(fd) }
            return SizedFile(path: original, mimeType: mimeType)
        }
        let final = "\(base).\(scaled.mimeType == "image/png" ? "png" : "jpg")"
        let temporary = "\(folder)/.\(hash).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(scaled.data), attributes: [.posixPermissions: 0o600]),
              rename(temporary, final) == 0 else {
            unlink(temporary)
            throw IndexError(.artwork, message: "cannot write scaled artwork to \(folder)", errno: errno)
        }
        return SizedFile(path: final, mimeType: scaled.mimeType)
    }

    /// The picture at `size` when it was made before (a few `access` calls: cheap enough for a
    /// request's task); nil when `sized` must make it.
    public func sizedIfCached(hash: String, mimeType: String, size: Int) -> SizedFile? {
        let base = "\(directory)/sizes/\(size)/\(hash)"
        for (ext, type) in [("jpg", "image/jpeg"), ("png", "image/png")] where access("\(base).\(ext)", F_OK) == 0 {
            return SizedFile(path: "\(base).\(ext)", mimeType: type)
        }
        if access("\(base).orig", F_OK) == 0, access(path(forHash: hash), R_OK) == 0 {
            return SizedFile(path: path(forHash: hash), mimeType: mimeType)
        }
        return nil
    }
}
