import Foundation

/// Files crafted the way an attacker would, to prove the daemon survives them (issue 18).
public enum HostileFiles {
    /// An RF64 WAV (16-bit stereo, 44.1 kHz, 0.1 s of real samples) whose `ds64` chunk declares
    /// `samples` samples and `dataBytes` bytes of data. With `samples` = 2^62 and `dataBytes`
    /// past the end of the file, libavformat keeps the declared count (`ffprobe` shows
    /// `duration_ts=4611686018427387904`), and `samples × block align` overflows 64 bits.
    public static func rf64(samples: UInt64 = 1 << 62, dataBytes: UInt64 = 1 << 59) -> Data {
        func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }
        var pcm: [UInt8] = []
        for i in 0..<4410 {
            pcm += le(Int16(8000 * sin(Double(i) * 0.05)))
            pcm += le(Int16(8000 * sin(Double(i) * 0.07)))
        }
        let ds64 = le(UInt64(0)) + le(dataBytes) + le(samples) + le(UInt32(0))
        let fmt = le(UInt16(1)) + le(UInt16(2)) + le(UInt32(44100)) + le(UInt32(44100 * 4)) + le(UInt16(4)) + le(UInt16(16))
        let body = Array("WAVE".utf8) + Array("ds64".utf8) + le(UInt32(ds64.count)) + ds64
            + Array("fmt ".utf8) + le(UInt32(fmt.count)) + fmt + Array("data".utf8) + le(UInt32.max) + pcm
        return Data(Array("RF64".utf8) + le(UInt32.max) + body)
    }

    /// The smallest bytes the image sniffer takes for a JPEG (SOI, an APP0 marker, EOI).
    public static let jpeg = Data([0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10] + Array("JFIF".utf8) + [0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0xFF, 0xD9])

    /// An M3U whose durations are numbers no track has: 1e300, inf, -inf, nan, 2^63.
    public static func m3u(_ locations: [String]) -> String {
        let durations = ["1e300", "inf", "-inf", "nan", "9223372036854775808", "-1"]
        var text = "#EXTM3U\n"
        for (index, location) in locations.enumerated() {
            text += "#EXTINF:\(durations[index % durations.count]),Someone - Something\n\(location)\n"
        }
        return text
    }
}
