import Foundation
import Hummingbird


/// JSON bodies in and out, with the server's limits. Public for mounts (`HTTPMount`) that add
/// routes under `/api/`, so their answers and errors are the web API's.
public enum JSONBody {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()

    /// A 200 (or `status`) JSON response.
    public static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try encoder.encode(value)
        return Response(status: status,
                        headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// Reads the whole body, refusing more than `limit` bytes (413).
    static func collect(_ request: Request, limit: Int) async throws -> ByteBuffer {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw APIError(.contentTooLarge, "body_too_large", "the request body is larger than \(limit) bytes")
        }
        do {
            return try await request.body.collect(upTo: limit)
        } catch {
            throw APIError(.contentTooLarge, "body_too_large", "the request body is larger than \(limit) bytes")
        }
    }

    /// Refuses a body whose `Content-Type` is not one of `types` (415 `unsupported_media_type`).
    ///
    /// Why: a page on another site can make the browser POST `text/plain` (or a form) without
    /// asking first, but not `application/json` — that needs a CORS preflight, which this server
    /// never grants. Requiring the type closes the cross-site path even when a browser sends no
    /// `Origin` (SecurityMiddleware checks it when it is there).
    static func requireContentType(_ request: Request, _ types: Set<String>, name: String) throws {
        let given = request.headers[.contentType]?.split(separator: ";").first
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard let given, types.contains(given) else {
            throw APIError(.unsupportedMediaType, "unsupported_media_type",
                           "the request body must be \(name), sent with Content-Type: \(types.sorted().joined(separator: " or "))")
        }
    }

    /// Decodes a JSON body of type `T` (400 `bad_json` when it is not; 415 when it is not sent
    /// as `application/json`).
    ///
    /// - Parameter nonNull: when given, the body must be a JSON object in which none of these
    ///   members is null (see `decode(_:from:nonNull:)`).
    public static func decode<T: Decodable>(_ type: T.Type, from request: Request, limit: Int,
                                            nonNull: Set<String>? = nil) async throws -> T {
        try requireContentType(request, ["application/json"], name: "JSON")
        let buffer = try await collect(request, limit: limit)
        let data = Data(buffer.readableBytesView)
        if let nonNull { return try decode(type, from: data, nonNull: nonNull) }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw APIError(.badRequest, "bad_json", "the request body is not the JSON this endpoint expects: \(Self.describe(error))")
        }
    }

    /// Decodes a JSON object of type `T` in which no member named in `nonNull` is null: the API
    /// document gives every optional member a type, so `{"index": null}` is refused (400
    /// `bad_json`) rather than read as "not given". Members not in `nonNull` are not checked.
    static func decode<T: Decodable>(_ type: T.Type, from data: Data, nonNull: Set<String>) throws -> T {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw APIError(.badRequest, "bad_json", "the request body must be a JSON object")
        }
        if let key = object.first(where: { nonNull.contains($0.key) && $0.value is NSNull })?.key {
            throw APIError(.badRequest, "bad_json", "\(key) must not be null (leave it out instead)")
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw APIError(.badRequest, "bad_json", "the request body is not the JSON this endpoint expects")
        }
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): "missing \(key.stringValue)"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context),
             DecodingError.dataCorrupted(let context):
            context.codingPath.isEmpty ? "malformed JSON" : "bad value at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        default: "malformed JSON"
        }
    }
}

/// Query-string parsing with 400s for bad values.
struct QueryParameters {
    let parameters: Parameters

    init(_ request: Request) { parameters = request.uri.queryParameters }

    func string(_ name: String) -> String? { parameters.get(name) }

    func int(_ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text = parameters.get(name) else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw APIError.badRequest("\(name) must be an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return number
    }

    func choice<T: RawRepresentable>(_ name: String, default value: T) throws -> T where T.RawValue == String {
        guard let text = parameters.get(name) else { return value }
        guard let choice = T(rawValue: text) else { throw APIError.badRequest("\(name) has an unknown value") }
        return choice
    }
}

enum SortOrder: String { case asc, desc }
