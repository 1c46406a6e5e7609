/// Base-16 encoding (RFC 4648 section 8): lowercase on output, either case on input.
public enum Hex {
    /// Encodes bytes as lowercase hexadecimal, two characters per byte.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        if let text = bytes.withContiguousStorageIfAvailable({ encode(raw: UnsafeRawBufferPointer($0)) }) {
            return text
        }
        return Array(bytes).withUnsafeBytes { encode(raw: $0) }
    }

    /// Decodes hexadecimal text, either case. Returns `nil` for an odd length or any
    /// character outside `0-9a-fA-F` (no whitespace, no `0x` prefix).
    public static func decode(_ s: some StringProtocol) -> [UInt8]? {
        let count = s.utf8.count
        guard count % 2 == 0 else { return nil }
        var ok = true
        let bytes = [UInt8](unsafeUninitializedCapacity: count / 2) { buffer, initialized in
            ok = decode(s.utf8, into: UnsafeMutableRawBufferPointer(buffer))
            initialized = ok ? buffer.count : 0
        }
        return ok ? bytes : nil
    }

    static func encode(raw bytes: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            var i = 0
            for byte in bytes {
                out[i] = digit(byte >> 4)
                out[i + 1] = digit(byte & 0x0F)
                i += 2
            }
            return i
        }
    }

    /// Decodes `utf8` into `output`, which must be exactly half as long; returns false
    /// on any invalid character.
    static func decode(_ utf8: some Collection<UInt8>, into output: UnsafeMutableRawBufferPointer) -> Bool {
        precondition(utf8.count == output.count * 2)
        let fast = utf8.withContiguousStorageIfAvailable { input -> Bool in
            for i in 0..<output.count {
                guard let high = value(input[2 &* i]), let low = value(input[2 &* i &+ 1]) else { return false }
                output[i] = high << 4 | low
            }
            return true
        }
        if let fast { return fast }
        var index = 0
        var high: UInt8? = nil
        for char in utf8 {
            guard let nibble = value(char) else { return false }
            if let h = high {
                output[index] = h << 4 | nibble
                index += 1
                high = nil
            } else {
                high = nibble
            }
        }
        return true
    }

    @inline(__always)
    private static func digit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? 0x30 &+ nibble : 0x57 &+ nibble
    }

    @inline(__always)
    private static func value(_ char: UInt8) -> UInt8? {
        switch char {
        case 0x30...0x39: char &- 0x30
        case 0x61...0x66: char &- 0x57
        case 0x41...0x46: char &- 0x37
        default: nil
        }
    }
}
