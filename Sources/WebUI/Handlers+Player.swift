import Foundation
import Hummingbird
import LocalStore
import OmniModel

/// The server-side player's remote control: state, queue edits and transport. Every route
/// answers with the whole state, like `GET /api/player`.
extension Handlers {
    func registerPlayer(on router: Router<BasicRequestContext>) {
        registerSchedules(on: router)
        registerOutputs(on: router)
        router.get("/api/player") { _, _ in
            guard let status = await self.configuration.actions.playerStatus() else { throw APIError.notFound("the player") }
            return try self.playerResponse(status, radio: await self.configuration.actions.radioState() ?? RadioState())
        }
        router.post("/api/player/queue") { request, _ in
            struct Body: Decodable {
                var uids: [String]?
                var playlist: String?
                var album: Int64?
                var savedSearch: String?
                var query: String?
                var replace: Bool?
                var index: Int?
                var play: Bool?
            }
            let body = try await JSONBody.decode(Body.self, from: request, limit: self.configuration.maxBodyBytes, nonNull: ["uids", "playlist", "album", "savedSearch", "query", "replace", "index", "play"])
            let sources: [QueueSource] = [
                body.uids.map { .tracks($0.map(TrackUID.init(rawValue:))) }, body.playlist.map(QueueSource.playlist),
                body.album.map(QueueSource.album), body.savedSearch.map(QueueSource.savedSearch), body.query.map(QueueSource.search),
            ].compactMap { $0 }
            // The first given wins (the document lists this order).
            guard let source = sources.first else {
                throw APIError.badRequest("give one of uids, playlist, album, savedSearch, query")
            }
            if let query = body.query, query.utf8.count > 4000 || query.unicodeScalars.count > 1000 { throw APIError.badRequest("query is at most 1000 characters") }
            if case .tracks(let uids) = source, uids.count > 10_000 { throw APIError.badRequest("at most 10000 uids") }
            if let index = body.index, !(0...1_000_000).contains(index) { throw APIError.badRequest("index must be in 0...1000000") }
            return try await self.player(.enqueue(source, replace: body.replace ?? false, index: body.index, play: body.play ?? false))
        }
        router.delete("/api/player/queue") { _, _ in try await self.player(.clear) }
        router.delete("/api/player/queue/{index}") { _, context in try await self.player(.remove(index: try Self.queueIndex(context))) }
        router.post("/api/player/queue/{index}/move") { request, context in
            struct Body: Decodable { var index: Int }
            let from = try Self.queueIndex(context)
            let body = try await JSONBody.decode(Body.self, from: request, limit: self.configuration.maxBodyBytes, nonNull: ["index"])
            guard (0...1_000_000).contains(body.index) else { throw APIError.badRequest("index must be in 0...1000000") }
            return try await self.player(.move(from: from, to: body.index))
        }
        router.post("/api/player/play") { request, _ in
            struct Body: Decodable { var index: Int? }
            // The body is optional: none resumes.
            let buffer = try await JSONBody.collect(request, limit: self.configuration.maxBodyBytes)
            var index: Int?
            if buffer.readableBytes > 0 {
                try JSONBody.requireContentType(request, ["application/json"], name: "JSON")
                index = try JSONBody.decode(Body.self, from: Data(buffer.readableBytesView), nonNull: ["index"]).index
            }
            if let index, !(0...1_000_000).contains(index) { throw APIError.badRequest("index must be in 0...1000000") }
            return try await self.player(.play(index: index))
        }
        router.post("/api/player/pause") { _, _ in try await self.player(.pause) }
        router.post("/api/player/stop") { _, _ in try await self.player(.stop) }
        router.post("/api/player/next") { _, _ in try await self.player(.next) }
        router.post("/api/player/previous") { _, _ in try await self.player(.previous) }
        router.post("/api/player/seek") { request, _ in
            struct Body: Decodable { var positionMs: Int }
            let body = try await JSONBody.decode(Body.self, from: request, limit: self.configuration.maxBodyBytes, nonNull: ["positionMs"])
            guard (0...(1 << 40)).contains(body.positionMs) else { throw APIError.badRequest("positionMs must be 0 or more") }
            return try await self.player(.seek(positionMs: body.positionMs))
        }
        router.post("/api/player/volume") { request, _ in
            struct Body: Decodable { var percent: Int }
            let body = try await JSONBody.decode(Body.self, from: request, limit: self.configuration.maxBodyBytes, nonNull: ["percent"])
            guard (0...100).contains(body.percent) else { throw APIError.badRequest("percent must be in 0...100") }
            return try await self.player(.volume(percent: body.percent))
        }
        router.post("/api/player/mode") { request, _ in
            struct Body: Decodable { var `repeat`: RepeatMode?; var shuffle: Bool?; var consume: Bool? }
            let body = try await JSONBody.decode(Body.self, from: request, limit: self.configuration.maxBodyBytes, nonNull: ["repeat", "shuffle", "consume"])
            return try await self.player(.modes(repeatMode: body.repeat, shuffle: body.shuffle, consume: body.consume))
        }
    }

    func registerOutputs(on router: Router<BasicRequestContext>) {
        router.get("/api/player/outputs") { _, _ in
            guard let list = await self.configuration.actions.playerOutputs() else { throw APIError.notFound("the player") }
            return try JSONBody.response(list)
        }
        router.post("/api/player/output") { request, _ in
            struct Body: Decodable { var device: String }
            let body = try await JSONBody.decode(Body.self, from: request, limit: self.configuration.maxBodyBytes, nonNull: ["device"])
            guard OutputDescription.isValidDevice(body.device) else {
                throw APIError.badRequest("device is 1 to 200 characters without control characters")
            }
            return try await self.player(.output(device: body.device))
        }
    }

    static func queueIndex(_ context: BasicRequestContext) throws -> Int {
        guard let text = context.parameters.get("index"), let index = Int(text), (0...1_000_000).contains(index) else {
            throw APIError.notFound("queue entry")
        }
        return index
    }

    /// Runs a command; the player's "no such track/entry" is the client's 404, its other
    /// failures stay 5xx (the library failed).
    func player(_ command: PlayerCommand) async throws -> Response {
        let status = try await configuration.actions.player(command)
        return try playerResponse(status, radio: await configuration.actions.radioState() ?? RadioState())
    }

    struct PlayerResponse: Encodable, Sendable {
        struct Entry: Encodable, Sendable {
            var id: Int64
            var uid: String
            var track: APITrack?
            private enum CodingKeys: String, CodingKey { case id, uid, track }
            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(id, forKey: .id)
                try c.encode(uid, forKey: .uid)
                try c.encode(track, forKey: .track)
            }
        }
        var state: PlaybackState
        var track: APITrack?
        var index: Int?
        var positionMs: Int
        var durationMs: Int?
        var volume: Int
        var `repeat`: RepeatMode
        var shuffle: Bool
        var consume: Bool
        var queue: [Entry]
        var output: OutputDescription
        var error: String?
        var underruns: Int
        /// The radio's state (decision 0035).
        var radio: RadioState

        private enum CodingKeys: String, CodingKey {
            case state, track, index, positionMs, durationMs, volume, `repeat`, shuffle, consume, queue, output, error, underruns, radio
        }
        private enum OutputKeys: String, CodingKey { case device, sampleRate, channels, format }

        /// Every key present, null when there is no value (the OpenAPI document says so).
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(state, forKey: .state)
            try c.encode(track, forKey: .track)
            try c.encode(index, forKey: .index)
            try c.encode(positionMs, forKey: .positionMs)
            try c.encode(durationMs, forKey: .durationMs)
            try c.encode(volume, forKey: .volume)
            try c.encode(`repeat`, forKey: .repeat)
            try c.encode(shuffle, forKey: .shuffle)
            try c.encode(consume, forKey: .consume)
            try c.encode(queue, forKey: .queue)
            var o = c.nestedContainer(keyedBy: OutputKeys.self, forKey: .output)
            try o.encode(output.device, forKey: .device)
            try o.encode(output.sampleRate, forKey: .sampleRate)
            try o.encode(output.channels, forKey: .channels)
            try o.encode(output.format, forKey: .format)
            try c.encode(error, forKey: .error)
            try c.encode(underruns, forKey: .underruns)
            try c.encode(radio, forKey: .radio)
        }
    }

    func playerResponse(_ status: PlayerStatus, radio: RadioState) throws -> Response {
        let tracks = try library.tracks(uids: status.queue.map(\.uid))
        return try JSONBody.response(PlayerResponse(
            state: status.state, track: status.current.flatMap { tracks[$0.uid] }.map(APITrack.init(record:)),
            index: status.currentIndex, positionMs: status.positionMs, durationMs: status.durationMs, volume: status.volume,
            repeat: status.repeatMode, shuffle: status.shuffle, consume: status.consume,
            queue: status.queue.map { Entry(id: $0.id, uid: $0.uid.rawValue, track: tracks[$0.uid].map(APITrack.init(record:))) },
            output: status.output, error: status.error, underruns: status.underruns, radio: radio))
    }
}

private typealias Entry = Handlers.PlayerResponse.Entry
