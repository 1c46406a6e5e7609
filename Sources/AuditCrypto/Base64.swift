/// Base64 with the standard alphabet and padding (RFC 4648 section 4).
///
/// Decoding is strict so that each byte string has exactly one accepted text form:
/// no whitespace or line breaks, no URL-safe characters, padding required, and the
/// unused bits before the padding must be zero (RFC 4648 section 3.5).
public enum Base64 {
    private static let alphabet: StaticString = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    private static let pad: UInt8 = 0x3D  // "="

    /// Encodes bytes as padded standard Base64.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        if let text = bytes.withContiguousStorageIfAvailable({ encode(raw: UnsafeRawBufferPointer($0)) }) {
            return text
        }
        return Array(bytes).withUnsafeBytes { encode(raw: $0) }
    }

    /// Decodes padded standard Base64; returns `nil` for anything non-canonical.
    public static func decode(_ s: some StringProtocol) -> [UInt8]? {
        if let result = s.utf8.withContiguousStorageIfAvailable({ decode(raw: UnsafeRawBufferPointer($0)) }) {
            return result
        }
        return Array(s.utf8).withUnsafeBytes { decode(raw: $0) }
    }

    static func encode(raw input: UnsafeRawBufferPointer) -> String {
        let table = alphabet.utf8Start
        let outputCount = (input.count + 2) / 3 * 4
        return String(unsafeUninitializedCapacity: outputCount) { out in
            var i = 0
            var o = 0
            while i + 3 <= input.count {
                let n = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
                out[o] = table[Int(n >> 18)]
                out[o + 1] = table[Int(n >> 12 & 0x3F)]
                out[o + 2] = table[Int(n >> 6 & 0x3F)]
                out[o + 3] = table[Int(n & 0x3F)]
                i += 3
                o += 4
            }
            switch input.count - i {
            case 1:
                let n = UInt32(input[i]) << 16
                out[o] = table[Int(n >> 18)]
                out[o + 1] = table[Int(n >> 12 & 0x3F)]
                out[o + 2] = pad
                out[o + 3] = pad
                o += 4
            case 2:
                let n = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8
                out[o] = table[Int(n >> 18)]
                out[o + 1] = table[Int(n >> 12 & 0x3F)]
                out[o + 2] = table[Int(n >> 6 & 0x3F)]
                out[o + 3] = pad
                o += 4
            default:
                break
            }
            return o
        }
    }

    static func decode(raw input: UnsafeRawBufferPointer) -> [UInt8]? {
        guard input.count % 4 == 0 else { return nil }
        if input.isEmpty { return [] }
        let padding = input[input.count - 1] == pad ? (input[input.count - 2] == pad ? 2 : 1) : 0
        let outputCount = input.count / 4 * 3 - padding
        var ok = true
        let bytes = [UInt8](unsafeUninitializedCapacity: outputCount) { out, initialized in
            initialized = 0
            let fullQuads = padding == 0 ? input.count / 4 : input.count / 4 - 1
            var i = 0
            var o = 0
            for _ in 0..<fullQuads {
                guard let a = value(input[i]), let b = value(input[i + 1]),
                    let c = value(input[i + 2]), let d = value(input[i + 3])
                else {
                    ok = false
                    return
                }
                let n = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                out[o] = UInt8(truncatingIfNeeded: n >> 16)
                out[o + 1] = UInt8(truncatingIfNeeded: n >> 8)
                out[o + 2] = UInt8(truncatingIfNeeded: n)
                i += 4
                o += 3
            }
            if padding > 0 {
                guard let a = value(input[i]), let b = value(input[i + 1]) else {
                    ok = false
                    return
                }
                if padding == 2 {
                    guard b & 0x0F == 0 else {
                        ok = false
                        return
                    }
                    out[o] = a << 2 | b >> 4
                } else {
                    guard let c = value(input[i + 2]), c & 0x03 == 0 else {
                        ok = false
                        return
                    }
                    out[o] = a << 2 | b >> 4
                    out[o + 1] = (b & 0x0F) << 4 | c >> 2
                }
            }
            initialized = outputCount
        }
        return ok ? bytes : nil
    }

    @inline(__always)
    private static func value(_ char: UInt8) -> UInt8? {
        switch char {
        case 0x41...0x5A: char &- 0x41  // A-Z
        case 0x61...0x7A: char &- 0x47  // a-z
        case 0x30...0x39: char &+ 4  // 0-9
        case 0x2B: 62  // +
        case 0x2F: 63  // /
        default: nil
        }
    }
}
