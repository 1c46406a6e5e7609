/// Just enough base64 to tell `Basic dXNlcjpwYXNz` (a `user:password` pair) from a word.
enum Base64 {
    /// Whether `text` is standard base64 whose decoded bytes contain a `:`.
    static func decodedContainsColon(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        var accumulator: UInt32 = 0
        var bits = 0
        for byte in text {
            let value: UInt32
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = UInt32(byte - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = UInt32(byte - UInt8(ascii: "a")) + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = UInt32(byte - UInt8(ascii: "0")) + 52
            case UInt8(ascii: "+"), UInt8(ascii: "-"): value = 62
            case UInt8(ascii: "/"), UInt8(ascii: "_"): value = 63
            default: return false
            }
            accumulator = (accumulator << 6) | value
            bits += 6
            if bits >= 8 {
                bits -= 8
                if (accumulator >> UInt32(bits)) & 0xFF == UInt32(UInt8(ascii: ":")) { return true }
            }
        }
        return false
    }
}
