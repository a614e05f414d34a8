import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// The sync client's HTTP/1.1 transport: one request on its own connection, whose answer is read
/// from the socket only as fast as its `Transfer` accepts it (decision 0030).
///
/// The channel never reads on its own (`autoRead` off): after each read of at most `readSize`
/// bytes has been handed to the `Transfer`, the next read is asked for only if the transfer
/// wants more. So when a bound is passed, or an announced `Content-Length` is refused at the
/// head, nothing more is taken from the socket and the connection is closed: what this process
/// reads of an answer is at most its bound plus one read. (libcurl, under URLSession, read ahead
/// of our refusal by up to the whole answer: decision 0017, "What is not yet bounded".)
///
/// `http` and `https` (NIOSSL, with the system's trust roots and optionally a PEM file of more;
/// the host name, or the address when the URL names one, is verified). Events run on one
/// event-loop thread of the sync client's own, never on the HTTP servers' loops. Safe from any
/// task.
final class HTTPConnector: Sendable {
    /// One request: `timeout` is the longest wait for the next byte of the answer (and, for the
    /// connection, at most 10 s).
    struct Request: Sendable {
        var method: HTTPMethod
        var url: URL
        var headers: [(String, String)]
        var body: [UInt8]?
        var timeout: Double
    }

    /// The most bytes one socket read takes (one read is asked for at a time).
    static let readSize = 64 << 10

    /// The sync client's event loop: transfers are few (a long poll and a push at a time) and
    /// their parsing runs here, so it is not the servers' loop.
    private static let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    private let tls: Result<NIOSSLContext, SyncError>?
    /// Bytes read from sockets by this connector's transfers (raw, before TLS): what a bound
    /// really lets in (`SyncClientBoundsTests`).
    let socketBytesRead = Atomic<Int>(0)

    /// - Parameter trustedCertificates: a PEM file of certificates to trust beside the system's
    ///   roots (a sync server with a private certificate authority); used only for `https`.
    init(secure: Bool, trustedCertificates: String?) {
        guard secure else { tls = nil; return }
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let trustedCertificates { configuration.additionalTrustRoots = [.file(trustedCertificates)] }
        do {
            tls = .success(try NIOSSLContext(configuration: configuration))
        } catch {
            tls = .failure(SyncError(.invalid, message: "cannot set up TLS for the sync server", detail: "\(error)"))
        }
    }

    /// Runs `request`, handing its answer to `transfer`; returns the transfer's outcome.
    /// Cancelling the calling task closes the connection at once.
    func exchange(_ request: Request, into transfer: Transfer) async -> Result<Transfer.Outcome, SyncError> {
        guard let scheme = request.url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              var host = request.url.host, !host.isEmpty else {
            return .failure(SyncError(.invalid, message: "not an http(s) URL: \(request.url)"))
        }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let secure = scheme == "https"
        let port = request.url.port ?? (secure ? 443 : 80)
        var ssl: NIOSSLContext?
        if secure {
            switch tls {
            case .success(let context): ssl = context
            case .failure(let error): return .failure(error)
            case nil: return .failure(SyncError(.invalid, message: "https needs a TLS client; this one was made for http"))
            }
        }
        let isAddress = (try? SocketAddress(ipAddress: host, port: 0)) != nil
        let components = URLComponents(url: request.url, resolvingAgainstBaseURL: false)
        let path = components.map { ($0.percentEncodedPath.isEmpty ? "/" : $0.percentEncodedPath) + ($0.percentEncodedQuery.map { "?" + $0 } ?? "") } ?? "/"
        var headers = HTTPHeaders()
        let defaultPort = port == (secure ? 443 : 80)
        let hostHeader = (host.contains(":") ? "[\(host)]" : host) + (defaultPort ? "" : ":\(port)")
        headers.add(name: "Host", value: hostHeader)
        headers.add(name: "User-Agent", value: "omnisonicd")
        headers.add(name: "Accept", value: "application/json")
        headers.add(name: "Connection", value: "close")
        for (name, value) in request.headers { headers.add(name: name, value: value) }
        if let body = request.body { headers.add(name: "Content-Length", value: String(body.count)) }
        let head = HTTPRequestHead(version: .http1_1, method: request.method, uri: path, headers: headers)
        let body = request.body, timeout = request.timeout
        // Constants for the channel initializer, which runs on an event loop (not the mutable `ssl`, `host`).
        let tlsContext = ssl, serverHostname: String? = isAddress ? nil : host

        struct Connection: ~Copyable { var channel: (any Channel)?; var cancelled = false }
        let connection = Mutex(Connection(channel: nil))
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                transfer.begin(continuation)
                let bootstrap = ClientBootstrap(group: Self.group)
                    .connectTimeout(.seconds(Int64(min(10, max(1, timeout)))))
                    .channelOption(.autoRead, value: false)
                    .channelOption(.maxMessagesPerRead, value: 1)
                    .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: Self.readSize))
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            let pipeline = channel.pipeline.syncOperations
                            try pipeline.addHandler(SocketByteCounter(connector: self))
                            if let tlsContext { try pipeline.addHandler(NIOSSLClientHandler(context: tlsContext, serverHostname: serverHostname)) }
                            try pipeline.addHTTPClientHandlers()
                            try pipeline.addHandler(IdleStateHandler(readTimeout: .milliseconds(Int64(timeout * 1000))))
                            try pipeline.addHandler(AnswerReader(head: head, body: body, transfer: transfer))
                        }
                    }
                let connecting: EventLoopFuture<any Channel>
                if isAddress, let address = try? SocketAddress(ipAddress: host, port: port) {
                    connecting = bootstrap.connect(to: address)  // no resolver for an address
                } else {
                    connecting = bootstrap.connect(host: host, port: port)
                }
                connecting.whenComplete { result in
                    switch result {
                    case .success(let channel):
                        let cancelled = connection.withLock { $0.channel = channel; return $0.cancelled }
                        if cancelled { channel.close(promise: nil) }
                    case .failure(let error):
                        transfer.completed(error)
                    }
                }
            }
        } onCancel: {
            // Answered here: a channel closed before its pipeline saw it active never tells
            // its handlers anything.
            transfer.completed(ExchangeFailure("the request was cancelled"))
            let channel = connection.withLock { $0.cancelled = true; return $0.channel }
            channel?.close(promise: nil)
        }
    }
}

/// Counts the raw bytes read from the socket (the first handler, before TLS).
private final class SocketByteCounter: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    private let connector: HTTPConnector

    init(connector: HTTPConnector) { self.connector = connector }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        connector.socketBytesRead.add(unwrapInboundIn(data).readableBytes, ordering: .relaxed)
        context.fireChannelRead(data)
    }
}

/// The request's writer and the answer's reader: sends the request when connected, asks for
/// one read at a time while the `Transfer` wants more, and closes the connection when the answer
/// ended, was refused, failed or stalled.
///
/// The body's chunks are handed to the transfer on a serial queue of this request's own, not on
/// the event loop (decoding a page of operations can take a while in a debug build, and would
/// stall every other transfer's timers and reads); the next read is asked for only once the
/// chunks read so far were taken in, so the bound stays exact.
private final class AnswerReader: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let head: HTTPRequestHead
    private let body: [UInt8]?
    private let transfer: Transfer
    private let queue = DispatchQueue(label: "omnisonic-sync-transfer")
    /// The transfer was answered (or refused): nothing more is read or handed over.
    private var done = false
    /// The answer's end arrived; what the queue still holds finishes it.
    private var ended = false
    /// Chunks on the queue not yet taken in, and whether a read completed meanwhile.
    private var queued = 0
    private var readPending = false
    private var removed = false

    init(head: HTTPRequestHead, body: [UInt8]?, transfer: Transfer) {
        self.head = head
        self.body = body
        self.transfer = transfer
    }

    func channelActive(context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if let body { context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.read()
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !done, !ended else { return }
        switch unwrapInboundIn(data) {
        case .head(let answer):
            let length = answer.headers.first(name: "Content-Length").flatMap { Int64($0.trimmingCharacters(in: .whitespaces)) } ?? -1
            if !transfer.received(status: Int(answer.status.code), retryAfter: answer.headers.first(name: "Retry-After"),
                                  expectedLength: length) {
                finish(context, nil)
            }
        case .body(let buffer):
            queued += 1
            let transfer = self.transfer
            let loop = context.eventLoop
            let bound = NIOLoopBound((self, context), eventLoop: loop)
            queue.async {
                let accepted = transfer.received(buffer.readableBytesView)
                loop.execute { bound.value.0.taken(bound.value.1, accepted: accepted) }
            }
        case .end:
            ended = true
            let loop = context.eventLoop
            let bound = NIOLoopBound((self, context), eventLoop: loop)
            // After the chunks before it.
            queue.async { loop.execute { bound.value.0.finish(bound.value.1, nil) } }
        }
    }

    /// A chunk was taken in (on the loop again): refuse, or read on when nothing else waits.
    private func taken(_ context: ChannelHandlerContext, accepted: Bool) {
        queued -= 1
        if !accepted { finish(context, nil); return }
        if queued == 0, readPending, !done, !ended, !removed {
            readPending = false
            context.read()
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // The next read only once this one was taken in: nothing past a refusal is read.
        if !done && !ended {
            if queued == 0 { context.read() } else { readPending = true }
        }
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !ended { finish(context, ExchangeFailure("the connection closed before the answer ended")) }
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        removed = true
        // The channel went away without this handler seeing it end (closed before active).
        if !done && !ended {
            done = true
            transfer.completed(ExchangeFailure("the connection closed before the answer ended"))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !ended { finish(context, error) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            if !ended && queued == 0 { finish(context, ExchangeFailure("no answer within the timeout")) }
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    private func finish(_ context: ChannelHandlerContext, _ error: (any Error)?) {
        guard !done else { return }
        done = true
        transfer.completed(error)
        if !removed { context.close(promise: nil) }
    }
}

/// Why a transfer failed below HTTP (its description is the detail of `SyncError.unavailable`).
struct ExchangeFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
