import Foundation
import Glibc
import Hummingbird
import LocalStore
import OmniModel

/// `POST /api/import`: multipart upload of audio files, streamed to disk, handed to the daemon.
extension Handlers {
    /// Extensions accepted for upload (what the indexer reads).
    static let audioExtensions: Set<String> = [
        "mp3", "flac", "ogg", "oga", "opus", "m4a", "mp4", "aac", "wav", "aif", "aiff", "wv", "ape", "wma", "mka", "webm",
    ]

    struct ImportResponse: Encodable {
        /// `uid`: the library's track when the file was not imported because it is already there.
        struct Rejected: Encodable { var name: String; var message: String; var uid: String? = nil }
        var tracks: [APITrack]
        var rejected: [Rejected]
    }

    func importFiles(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        guard let contentType = request.headers[.contentType],
              let boundary = MultipartReader.boundary(contentType: contentType) else {
            throw APIError(.unsupportedMediaType, "bad_content_type", "send the files as multipart/form-data")
        }
        let directory = configuration.actions.uploadDirectory
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let declared = request.headers[.contentLength].flatMap { Int64($0) }
        try checkUploadRoom(declared: declared, directory: directory)
        var reader = MultipartReader(boundary: boundary, directory: directory, maxFileBytes: configuration.maxUploadBytes,
                                     descriptors: configuration.descriptors)
        let parts: [MultipartReader.Part]
        do {
            var received = 0
            for try await chunk in request.body {
                received += chunk.readableBytes
                // A chunked upload says nothing in advance: count, and look at the disk again every 64 MiB.
                if received > configuration.maxUploadTotalBytes { throw Self.uploadTooLarge(limit: configuration.maxUploadTotalBytes) }
                if declared == nil, received / (64 << 20) != (received - chunk.readableBytes) / (64 << 20) {
                    try checkUploadRoom(declared: nil, directory: directory)
                }
                try reader.consume(chunk.readableBytesView)
            }
            parts = try reader.finish()
        } catch let failure as MultipartReader.Failure {
            reader.removeFiles()
            switch failure {
            case .malformed(let message): throw APIError(.badRequest, "bad_multipart", message)
            case .fileTooLarge(let name):
                throw APIError(.contentTooLarge, "body_too_large", "\(name) is larger than \(configuration.maxUploadBytes) bytes")
            case .tooManyFiles: throw APIError(.contentTooLarge, "too_many_files", "at most 100 files per upload")
            case .cannotWrite(let message): throw APIError(APIError.insufficientStorage, "cannot_write", message)
            case .descriptorsExhausted: throw Self.descriptorsExhausted(configuration.descriptors ?? DescriptorBudget(capacity: 0))
            }
        } catch {
            reader.removeFiles()
            throw error
        }
        defer { reader.removeFiles() }  // whatever the daemon did not move away
        guard !parts.isEmpty else { throw APIError.badRequest("the upload has no files") }

        var accepted: [UploadedFile] = []
        var rejected: [ImportResponse.Rejected] = []
        for part in parts {
            guard let name = MultipartReader.sanitize(fileName: part.fileName) else {
                rejected.append(.init(name: part.fileName, message: "unusable file name"))
                continue
            }
            let ext = (name as NSString).pathExtension.lowercased()
            guard Self.audioExtensions.contains(ext), Self.looksLikeAudio(path: part.path) else {
                rejected.append(.init(name: name, message: "not an audio file this library reads"))
                continue
            }
            accepted.append(UploadedFile(fileName: name, temporaryPath: part.path, byteCount: part.byteCount))
        }
        // Nothing importable is still a processed request: the answer says why for each file.
        let result = accepted.isEmpty ? ImportResult(uids: []) : try await configuration.actions.importFiles(accepted)
        for (name, message) in result.rejected.sorted(by: { $0.key < $1.key }) {
            rejected.append(.init(name: name, message: message))
        }
        for (name, uid) in result.existing.sorted(by: { $0.key < $1.key }) {
            rejected.append(.init(name: name, message: "already in the library", uid: uid.rawValue))
        }
        var tracks: [APITrack] = []
        for uid in result.uids {
            if let record = try library.track(uid: uid) { tracks.append(APITrack(record: record)) }
        }
        // 201 when something was imported; 200 when the request was processed but nothing was.
        return try JSONBody.response(ImportResponse(tracks: tracks, rejected: rejected), status: tracks.isEmpty ? .ok : .created)
    }

    /// Refuses an upload before a byte of it is written when it is larger than the per-request
    /// total (413 `upload_too_large`), or when it would leave less than `minimumFreeBytes` on the
    /// disk of the upload folder (507 `insufficient_storage`). `declared` is the request's
    /// `Content-Length` (nil for a chunked body: then the disk must have the reserve free now).
    func checkUploadRoom(declared: Int64?, directory: String) throws {
        let total = Int64(configuration.maxUploadTotalBytes)
        if let declared, declared > total { throw Self.uploadTooLarge(limit: configuration.maxUploadTotalBytes) }
        var info = statvfs()
        guard statvfs(directory, &info) == 0 else { return }  // unknown: the write itself will tell
        let (free, overflow) = Int64(clamping: info.f_bavail).multipliedReportingOverflow(by: Int64(clamping: info.f_frsize))
        guard !overflow else { return }
        let needed = (declared ?? 0) + configuration.minimumFreeBytes
        if free < needed {
            throw APIError(APIError.insufficientStorage, "insufficient_storage", """
                not enough free disk space for this upload: \(Self.mebibytes(free)) free, \(Self.mebibytes(needed)) needed \
                (the upload plus \(Self.mebibytes(configuration.minimumFreeBytes)) kept free)
                """)
        }
    }

    static func uploadTooLarge(limit: Int) -> APIError {
        APIError(.contentTooLarge, "upload_too_large",
                 "this upload is larger than \(mebibytes(Int64(limit))) in all; send the files in several uploads")
    }

    static func mebibytes(_ bytes: Int64) -> String { "\(bytes >> 20) MiB" }

    /// Checks the first bytes for the signature of an audio container.
    static func looksLikeAudio(path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var head = [UInt8](repeating: 0, count: 12)
        let n = head.withUnsafeMutableBytes { read(fd, $0.baseAddress!, 12) }
        guard n >= 4 else { return false }
        let magic = { (s: String, at: Int) in Array(s.utf8).enumerated().allSatisfy { at + $0.offset < n && head[at + $0.offset] == $0.element } }
        return magic("ID3", 0) || (head[0] == 0xFF && head[1] & 0xE0 == 0xE0) || magic("fLaC", 0) || magic("OggS", 0)
            || magic("RIFF", 0) || magic("ftyp", 4) || magic("FORM", 0) || magic("MAC ", 0) || magic("wvpk", 0)
            || head.starts(with: [0x30, 0x26, 0xB2, 0x75]) || head.starts(with: [0x1A, 0x45, 0xDF, 0xA3])
    }
}
