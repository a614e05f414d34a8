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
        var reader = MultipartReader(boundary: boundary, directory: directory, maxFileBytes: configuration.maxUploadBytes)
        let parts: [MultipartReader.Part]
        do {
            for try await chunk in request.body {
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
