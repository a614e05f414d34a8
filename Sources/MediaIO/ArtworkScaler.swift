import CFFmpeg

/// Artwork made smaller for a client that asked for a size (the web API's `?size=`, Subsonic's
/// `getCoverArt` `size`): decoded with libavcodec, scaled with libswscale, encoded again with
/// libavcodec as JPEG, or as PNG when the picture has an alpha channel (JPEG has none).
///
/// Stateless; any thread; blocking (a 3000×3000 JPEG takes tens of milliseconds), so callers
/// cache the result (`ArtworkCache.scaled` keeps one file per size).
public enum ArtworkScaler {
    /// The sizes (longest side, pixels) a caller may ask for.
    public static let sizes: ClosedRange<Int> = 16...2048

    /// The largest picture decoded (pixels): a header claiming more is refused before any
    /// allocation (libavcodec's `max_pixels`).
    static let maximumPixels: Int64 = 64 << 20

    /// A scaled picture.
    public struct Scaled: Sendable, Equatable {
        /// The encoded picture.
        public var data: [UInt8]
        /// "image/jpeg" or "image/png".
        public var mimeType: String
        public var width: Int
        public var height: Int
    }

    /// Scales `image` so that its longer side is `size` pixels (the aspect ratio kept).
    ///
    /// - Returns: nil when the picture is not larger than `size` already (it is served as it
    ///   is: scaling up only adds bytes).
    /// - Throws: `MediaError.unsupportedFormat` when the bytes are no picture libavcodec decodes,
    ///   `.unconvertible` when scaling or encoding fails.
    public static func scale(_ image: [UInt8], toFit size: Int) throws(MediaError) -> Scaled? {
        let size = min(max(size, sizes.lowerBound), sizes.upperBound)
        let decoded = try decode(image)
        guard let frame = decoded.frame else { throw MediaError(.unsupportedFormat, path: "artwork", detail: "no frame") }
        let width = Int(frame.pointee.width), height = Int(frame.pointee.height)
        guard max(width, height) > size else { return nil }
        let scale = Double(size) / Double(max(width, height))
        let targetWidth = max(1, Int((Double(width) * scale).rounded()))
        let targetHeight = max(1, Int((Double(height) * scale).rounded()))
        let source = AVPixelFormat(rawValue: frame.pointee.format)
        let alpha = av_pix_fmt_desc_get(source).map { $0.pointee.flags & UInt64(1 << 7) != 0 } ?? false // AV_PIX_FMT_FLAG_ALPHA
        let target = alpha ? AV_PIX_FMT_RGBA : AV_PIX_FMT_YUVJ420P
        let scaled = Frame()
        guard let out = scaled.frame else { throw MediaError(.unconvertible, path: "artwork", call: "av_frame_alloc", status: omni_averror(ENOMEM)) }
        out.pointee.width = Int32(targetWidth)
        out.pointee.height = Int32(targetHeight)
        out.pointee.format = target.rawValue
        var status = av_frame_get_buffer(out, 0)
        guard status >= 0 else { throw MediaError(.unconvertible, path: "artwork", call: "av_frame_get_buffer", status: status) }
        // Area averaging: the right filter for shrinking (no aliasing, no ringing).
        guard let sws = sws_getContext(Int32(width), Int32(height), source, Int32(targetWidth), Int32(targetHeight), target,
                                       0x20 /* SWS_AREA */, nil, nil, nil) else {
            throw MediaError(.unconvertible, path: "artwork", detail: "sws_getContext: no conversion from \(source.rawValue)")
        }
        defer { sws_freeContext(sws) }
        status = sws_scale_frame(sws, out, frame)
        guard status >= 0 else { throw MediaError(.unconvertible, path: "artwork", call: "sws_scale_frame", status: status) }
        let data = try encode(out, png: alpha)
        return Scaled(data: data, mimeType: alpha ? "image/png" : "image/jpeg", width: targetWidth, height: targetHeight)
    }

    /// The libavcodec decoder for a picture's magic bytes.
    static func codecID(_ image: [UInt8]) -> AVCodecID? {
        switch ImageSniffer.mimeType(of: image) {
        case "image/jpeg": AV_CODEC_ID_MJPEG
        case "image/png": AV_CODEC_ID_PNG
        case "image/webp": AV_CODEC_ID_WEBP
        case "image/gif": AV_CODEC_ID_GIF
        case "image/bmp": AV_CODEC_ID_BMP
        default: nil
        }
    }

    /// Owns a frame.
    final class Frame {
        var frame: UnsafeMutablePointer<AVFrame>? = av_frame_alloc()
        deinit { av_frame_free(&frame) }
    }

    /// Owns a codec context and a packet.
    final class Codec {
        var context: UnsafeMutablePointer<AVCodecContext>?
        var packet: UnsafeMutablePointer<AVPacket>? = av_packet_alloc()
        init(_ codec: UnsafePointer<AVCodec>) { context = avcodec_alloc_context3(codec) }
        deinit {
            av_packet_free(&packet)
            avcodec_free_context(&context)
        }
    }

    /// The picture's first frame (a GIF's first image).
    static func decode(_ image: [UInt8]) throws(MediaError) -> Frame {
        guard !image.isEmpty, image.count < Int(Int32.max), let id = codecID(image), let decoder = avcodec_find_decoder(id) else {
            throw MediaError(.unsupportedFormat, path: "artwork", detail: "not a JPEG, PNG, WebP, GIF or BMP picture")
        }
        let codec = Codec(decoder)
        guard let cc = codec.context, let packet = codec.packet else {
            throw MediaError(.unconvertible, path: "artwork", call: "avcodec_alloc_context3", status: omni_averror(ENOMEM))
        }
        cc.pointee.max_pixels = maximumPixels
        var status = avcodec_open2(cc, decoder, nil)
        guard status >= 0 else { throw MediaError(.unsupportedFormat, path: "artwork", call: "avcodec_open2", status: status) }
        status = av_new_packet(packet, Int32(image.count))
        guard status >= 0 else { throw MediaError(.unconvertible, path: "artwork", call: "av_new_packet", status: status) }
        image.withUnsafeBufferPointer { packet.pointee.data.update(from: $0.baseAddress!, count: image.count) }
        let result = Frame()
        status = avcodec_send_packet(cc, packet)
        if status >= 0 { avcodec_send_packet(cc, nil) }
        if status >= 0 { status = avcodec_receive_frame(cc, result.frame) }
        guard status >= 0, let frame = result.frame, frame.pointee.width > 0, frame.pointee.height > 0 else {
            throw MediaError(.unsupportedFormat, path: "artwork", call: "avcodec_receive_frame", status: status < 0 ? status : omni_averror_invaliddata())
        }
        return result
    }

    /// Encodes `frame` as one JPEG (quality about 90: qscale 3) or PNG.
    static func encode(_ frame: UnsafeMutablePointer<AVFrame>, png: Bool) throws(MediaError) -> [UInt8] {
        guard let encoder = avcodec_find_encoder(png ? AV_CODEC_ID_PNG : AV_CODEC_ID_MJPEG) else {
            throw MediaError(.unconvertible, path: "artwork", detail: "no \(png ? "PNG" : "JPEG") encoder in this FFmpeg")
        }
        let codec = Codec(encoder)
        guard let cc = codec.context, let packet = codec.packet else {
            throw MediaError(.unconvertible, path: "artwork", call: "avcodec_alloc_context3", status: omni_averror(ENOMEM))
        }
        cc.pointee.width = frame.pointee.width
        cc.pointee.height = frame.pointee.height
        cc.pointee.pix_fmt = AVPixelFormat(rawValue: frame.pointee.format)
        cc.pointee.time_base = AVRational(num: 1, den: 1)
        if !png {
            cc.pointee.color_range = AVCOL_RANGE_JPEG
            cc.pointee.flags |= 1 << 1 // AV_CODEC_FLAG_QSCALE
            cc.pointee.global_quality = 118 * 3 // FF_QP2LAMBDA × qscale 3
            frame.pointee.quality = cc.pointee.global_quality
        }
        var status = avcodec_open2(cc, encoder, nil)
        guard status >= 0 else { throw MediaError(.unconvertible, path: "artwork", call: "avcodec_open2", status: status) }
        frame.pointee.pts = 0
        status = avcodec_send_frame(cc, frame)
        if status >= 0 { status = avcodec_send_frame(cc, nil) }
        if status >= 0 { status = avcodec_receive_packet(cc, packet) }
        guard status >= 0, packet.pointee.size > 0 else {
            throw MediaError(.unconvertible, path: "artwork", call: "avcodec_receive_packet", status: status)
        }
        let bytes = Array(UnsafeBufferPointer(start: packet.pointee.data, count: Int(packet.pointee.size)))
        av_packet_unref(packet)
        return bytes
    }
}
