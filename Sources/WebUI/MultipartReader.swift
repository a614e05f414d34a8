import Foundation
import Glibc
import OmniModel

/// A streaming `multipart/form-data` parser (RFC 7578): each file part is written to its own
/// temporary file as the body arrives, so memory stays at one chunk plus a delimiter's length
/// whatever the upload's size. Plain fields are skipped. Not thread-safe: one per request.
struct MultipartReader {
    enum Failure: Error, Equatable {
        case malformed(String)
        case fileTooLarge(String)
        case tooManyFiles
        case cannotWrite(String)
        /// The process's descriptor budget is spent (`DescriptorBudget`): 503, try again.
        case descriptorsExhausted
    }

    /// A file part written to disk.
    struct Part: Equatable {
        var fileName: String
        var path: String
        var byteCount: Int
    }

    private enum State { case preamble, afterDelimiter, headers, body, done }

    private let delimiter: [UInt8]
    private let directory: String
    private let maxFileBytes: Int
    private let maxFiles: Int
    private var buffer: [UInt8] = Array("\r\n".utf8)  // so the first delimiter matches like the others
    private var state = State.preamble
    private var fd: Int32 = -1
    /// The budget `fd` was taken from, and its grant while it is open.
    private let descriptors: DescriptorBudget?
    private var grant: DescriptorBudget.Grant?
    private var current: Part?
    private(set) var parts: [Part] = []

    /// The boundary of a `Content-Type: multipart/form-data; boundary=...` value, or nil.
    static func boundary(contentType: String) -> String? {
        let pieces = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard pieces.first?.lowercased() == "multipart/form-data" else { return nil }
        for piece in pieces.dropFirst() where piece.lowercased().hasPrefix("boundary=") {
            var value = String(piece.dropFirst("boundary=".count))
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            return (1...70).contains(value.utf8.count) ? value : nil
        }
        return nil
    }

    /// - Parameter descriptors: each file part's descriptor is taken from it while the part is
    ///   written (an upload held open holds one); nil: no budget.
    init(boundary: String, directory: String, maxFileBytes: Int, maxFiles: Int = 100, descriptors: DescriptorBudget? = nil) {
        self.descriptors = descriptors
        delimiter = Array("\r\n--\(boundary)".utf8)
        self.directory = directory
        self.maxFileBytes = maxFileBytes
        self.maxFiles = maxFiles
    }

    /// Feeds the next chunk of the body.
    mutating func consume(_ chunk: some Collection<UInt8>) throws(Failure) {
        buffer.append(contentsOf: chunk)
        try process()
    }

    /// Checks the body ended with the closing delimiter; returns the files.
    mutating func finish() throws(Failure) -> [Part] {
        guard state == .done else { throw .malformed("the body ended before the closing boundary") }
        return parts
    }

    /// Deletes every file written so far (on failure, or the ones the importer did not take).
    mutating func removeFiles() {
        closeCurrent()
        for part in parts { unlink(part.path) }
        if let current { unlink(current.path) }
        current = nil
    }

    private mutating func process() throws(Failure) {
        while true {
            switch state {
            case .preamble:
                guard let at = find(delimiter) else {
                    // Keep only what could be the start of a delimiter.
                    if buffer.count > delimiter.count { buffer.removeFirst(buffer.count - delimiter.count) }
                    return
                }
                buffer.removeFirst(at + delimiter.count)
                state = .afterDelimiter
            case .afterDelimiter:
                guard buffer.count >= 2 else { return }
                if buffer[0] == UInt8(ascii: "-"), buffer[1] == UInt8(ascii: "-") {
                    state = .done
                    buffer.removeAll()
                    return
                }
                guard let end = find(Array("\r\n".utf8)) else {
                    if buffer.count > 256 { throw .malformed("bad boundary line") }
                    return
                }
                buffer.removeFirst(end + 2)  // transport padding, then CRLF
                state = .headers
            case .headers:
                guard let end = find(Array("\r\n\r\n".utf8)) else {
                    if buffer.count > 16 << 10 { throw .malformed("part headers too long") }
                    return
                }
                let text = String(decoding: buffer[..<end], as: UTF8.self)
                buffer.removeFirst(end + 4)
                try startPart(headers: text)
                state = .body
            case .body:
                if let at = find(delimiter) {
                    try write(buffer[..<at])
                    buffer.removeFirst(at + delimiter.count)
                    endPart()
                    state = .afterDelimiter
                } else {
                    let keep = delimiter.count - 1
                    if buffer.count > keep {
                        try write(buffer[..<(buffer.count - keep)])
                        buffer.removeFirst(buffer.count - keep)
                    }
                    return
                }
            case .done:
                buffer.removeAll()
                return
            }
        }
    }

    private func find(_ needle: [UInt8]) -> Int? {
        buffer.withUnsafeBytes { haystack in
            needle.withUnsafeBytes { n in
                guard haystack.count >= n.count, let base = haystack.baseAddress else { return nil }
                // memchr for the first byte, memcmp for the rest (memmem is not in Swift's Glibc).
                let first = Int32(n[0])
                var offset = 0
                while offset + n.count <= haystack.count {
                    guard let hit = memchr(base + offset, first, haystack.count - offset - n.count + 1) else { return nil }
                    let at = base.distance(to: UnsafeRawPointer(hit))
                    if memcmp(base + at, n.baseAddress!, n.count) == 0 { return at }
                    offset = at + 1
                }
                return nil
            }
        }
    }

    private mutating func startPart(headers: String) throws(Failure) {
        var fileName: String?
        for line in headers.split(separator: "\r\n") {
            let lower = line.lowercased()
            guard lower.hasPrefix("content-disposition:") else { continue }
            fileName = Self.parameter("filename", in: String(line))
        }
        guard let fileName else { return }  // a plain field: its bytes are skipped
        guard parts.count < maxFiles else { throw .tooManyFiles }
        if let descriptors {
            guard let taken = descriptors.take() else { throw .descriptorsExhausted }
            grant = taken
        }
        let path = "\(directory)/.upload-\(UUID().uuidString)"
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { grant = nil; throw .cannotWrite("cannot create \(path): \(String(cString: strerror(errno)))") }
        current = Part(fileName: fileName, path: path, byteCount: 0)
    }

    /// Writes to the current file. The writes are small (one network chunk) and go to the page
    /// cache, so they are done inline rather than on a thread pool.
    private mutating func write(_ bytes: ArraySlice<UInt8>) throws(Failure) {
        guard var part = current, !bytes.isEmpty else { return }
        part.byteCount += bytes.count
        current = part
        guard part.byteCount <= maxFileBytes else { throw .fileTooLarge(part.fileName) }
        let ok = bytes.withUnsafeBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += n
            }
            return true
        }
        guard ok else { throw .cannotWrite("cannot write the upload: \(String(cString: strerror(errno)))") }
    }

    private mutating func endPart() {
        closeCurrent()
        if let current { parts.append(current) }
        current = nil
    }

    private mutating func closeCurrent() {
        if fd >= 0 { close(fd) }
        fd = -1
        grant = nil
    }

    /// `name="value"` (or unquoted) in a header line.
    static func parameter(_ name: String, in line: String) -> String? {
        for piece in line.split(separator: ";").dropFirst() {
            let trimmed = piece.trimmingCharacters(in: .whitespaces)
            guard trimmed.lowercased().hasPrefix(name + "=") else { continue }
            var value = String(trimmed.dropFirst(name.count + 1))
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 {
                value = String(value.dropFirst().dropLast()).replacingOccurrences(of: "\\\"", with: "\"")
            }
            return value
        }
        return nil
    }

    /// The last path component of a client's file name, made safe: no `/` or `\`, no control
    /// characters, no leading dots, at most 255 bytes; nil when nothing usable is left.
    static func sanitize(fileName: String) -> String? {
        let last = fileName.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        var cleaned = String(String.UnicodeScalarView(last.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7f }))
        while cleaned.hasPrefix(".") { cleaned.removeFirst() }
        cleaned = cleaned.trimmingCharacters(in: .whitespaces)
        while cleaned.utf8.count > 255 { cleaned.removeFirst() }
        return cleaned.isEmpty ? nil : cleaned
    }
}
