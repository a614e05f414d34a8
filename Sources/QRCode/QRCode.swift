import CQREncode
import Foundation
import OmniModel
import Synchronization

/// QR codes for pairing screens: the sync server's admin page shows a new device's settings as
/// one, and the Subsonic pairing page shows a client's. Encoding is Debian's libqrencode
/// (`Sources/CQREncode`); this type owns the C result and frees it in one place.
///
/// Every call is synchronous, thread-safe and allocation-only (no I/O): it may run on any
/// thread or actor.
public enum QRCode {
    /// Modules of light margin on every side; ISO/IEC 18004 asks for four, and phone scanners
    /// find a code faster with it than without.
    public static let quietZone = 4

    /// An SVG image of `text` as a QR code, for inlining in a page or serving as `image/svg+xml`.
    ///
    /// The dark modules are drawn as one `<path>` with `fill="currentColor"`: the code takes the
    /// color of the element around it, and a page's CSS may restyle it (presentation attributes
    /// have the lowest precedence, and no `style` attribute is used, so a strict
    /// `Content-Security-Policy` without `'unsafe-inline'` allows it). The background is left
    /// transparent; the `viewBox` includes the quiet zone. Scanners expect dark modules on a
    /// light ground, so give the container a light background and a dark `color` in every theme
    /// (for example `.qr { color: #000; background: #fff; }`), which reads in both light and dark
    /// pages. `shape-rendering="crispEdges"` keeps module edges sharp at any size; the image
    /// scales to its container (no `width`/`height`, only a `viewBox`).
    ///
    /// - Parameter text: what the code holds, encoded as UTF-8 bytes in 8-bit mode at error
    ///   correction level M (15% of the symbol may be damaged).
    /// - Returns: a standalone `<svg>` element with its XML namespace.
    /// - Throws: `QRCodeError` when `text` is empty or too long for a version-40 symbol.
    public static func svg(text: String) throws -> String {
        try Symbol(text: text).svg()
    }

    /// A QR symbol: its version and square grid of modules, without the quiet zone.
    public struct Symbol: Sendable, Equatable {
        /// The QR version, 1 to 40 (chosen as the smallest that holds the text).
        public let version: Int
        /// Modules per side: `17 + 4 × version`.
        public let width: Int
        /// Row-major, `width × width` modules; `true` is dark.
        public let modules: [Bool]

        /// Encodes `text` (UTF-8, 8-bit mode, error correction level M).
        ///
        /// - Throws: `QRCodeError` when `text` is empty or longer than a version-40 symbol holds
        ///   (2,331 bytes at level M).
        public init(text: String) throws {
            let bytes = Array(text.utf8)
            guard !bytes.isEmpty else {
                throw QRCodeError(.empty, message: "There is nothing to put in a QR code.")
            }
            let result = QRCode.lock.withLock { _ -> (Int, Int, [Bool])? in
                // Version 0 lets libqrencode pick the smallest version that fits.
                guard let code = QRcode_encodeData(Int32(bytes.count), bytes, 0, QR_ECLEVEL_M) else { return nil }
                defer { QRcode_free(code) }
                let width = Int(code.pointee.width)
                let data = UnsafeBufferPointer(start: code.pointee.data, count: width * width)
                // Only the least significant bit says dark or light; the others describe the module.
                return (Int(code.pointee.version), width, data.map { $0 & 1 == 1 })
            }
            guard let (version, width, modules) = result else {
                let failure = errno
                throw QRCodeError(
                    failure == ERANGE ? .tooLong : .encoding,
                    message: failure == ERANGE
                        ? "The text is too long for a QR code (\(bytes.count) bytes; at most 2,331)."
                        : "The QR code could not be made.",
                    detail: "QRcode_encodeData: \(String(cString: strerror(failure)))")
            }
            self.version = version
            self.width = width
            self.modules = modules
        }

        /// Whether the module at `row`, `column` (0-based, without the quiet zone) is dark.
        public subscript(row: Int, column: Int) -> Bool {
            modules[row * width + column]
        }

        /// The symbol as SVG; see `QRCode.svg(text:)`.
        public func svg() -> String {
            let size = width + 2 * QRCode.quietZone
            // One sub-path per horizontal run of dark modules keeps the image small (a version-5
            // code is about 2 KB) and has no seams between neighbouring modules.
            var path = ""
            path.reserveCapacity(width * width)
            for row in 0..<width {
                var column = 0
                while column < width {
                    guard self[row, column] else { column += 1; continue }
                    var run = 1
                    while column + run < width, self[row, column + run] { run += 1 }
                    path += "M\(column + QRCode.quietZone) \(row + QRCode.quietZone)h\(run)v1h-\(run)z"
                    column += run
                }
            }
            return """
                <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(size) \(size)" \
                shape-rendering="crispEdges" role="img" class="qrcode">\
                <path fill="currentColor" d="\(path)"/></svg>
                """
        }
    }

    /// libqrencode is thread-safe only when built with pthreads; Debian's is, but a lock costs
    /// nothing at pairing-screen rates and keeps this true on any build.
    private static let lock = Mutex<Void>(())
}

/// Why a QR code could not be made.
public struct QRCodeError: ReasonedError {
    public enum Reason: String, ErrorReason {
        /// The text is empty.
        case empty = "qrcode.empty"
        /// The text does not fit in the largest symbol.
        case tooLong = "qrcode.too_long"
        /// libqrencode failed otherwise (out of memory).
        case encoding = "qrcode.encoding"

        public var kind: ErrorKind {
            switch self {
            case .empty, .tooLong: .invalid
            case .encoding: .internal
            }
        }
    }

    public var reason: Reason
    public var message: String
    public var detail: String

    public init(_ reason: Reason, message: String, detail: String = "") {
        self.reason = reason
        self.message = message
        self.detail = detail
    }
}
