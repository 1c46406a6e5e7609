/// A string with one layer of escaping undone (`%3D`, `\u0022`, `\"`, `\n`, `&quot;`), and for
/// each decoded byte the raw bytes it came from.
///
/// Secrets hide in URL-encoded redirects and in JSON that was escaped into a string a second
/// time. Scanning the decoded form finds them with the same rules, and the offset map turns what
/// was found back into a raw span covering the whole escape sequences, so the marker replaces the
/// secret as it was written.
struct DecodedText {
    private(set) var bytes: [UInt8] = []
    /// Raw offset where the escape that produced each decoded byte starts.
    private var rawStart: [Int32] = []
    /// Raw offset just past that escape.
    private var rawEnd: [Int32] = []

    /// The raw range a decoded range came from.
    func rawRange(_ start: Int, _ end: Int) -> (start: Int, end: Int) {
        (Int(rawStart[start]), Int(rawEnd[end - 1]))
    }

    /// Decodes one layer of escapes; nil when there was nothing to decode.
    static func decode(_ text: UnsafeBufferPointer<UInt8>) -> DecodedText? {
        var result = DecodedText()
        result.bytes.reserveCapacity(text.count)
        result.rawStart.reserveCapacity(text.count)
        result.rawEnd.reserveCapacity(text.count)
        var changed = false
        var i = 0
        let n = text.count
        while i < n {
            let byte = text[i]
            if byte == UInt8(ascii: "%"), i + 2 < n, let value = hexValue(text, i + 1, 2) {
                result.append(UInt8(value), from: i, to: i + 3)
                i += 3
                changed = true
                continue
            }
            if byte == UInt8(ascii: "\\"), i + 1 < n {
                let next = text[i + 1]
                var simple: UInt8?
                switch next {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "'"): simple = next
                case UInt8(ascii: "n"): simple = 0x0A
                case UInt8(ascii: "r"): simple = 0x0D
                case UInt8(ascii: "t"): simple = 0x09
                case UInt8(ascii: "b"): simple = 0x08
                case UInt8(ascii: "f"): simple = 0x0C
                case UInt8(ascii: "x"):
                    if i + 3 < n, let value = hexValue(text, i + 2, 2) {
                        result.append(UInt8(value), from: i, to: i + 4)
                        i += 4
                        changed = true
                        continue
                    }
                case UInt8(ascii: "u"):
                    if i + 5 < n, var scalar = hexValue(text, i + 2, 4) {
                        var end = i + 6
                        if (0xD800...0xDBFF).contains(scalar), end + 5 < n, text[end] == UInt8(ascii: "\\"),
                            text[end + 1] == UInt8(ascii: "u"), let low = hexValue(text, end + 2, 4), (0xDC00...0xDFFF).contains(low)
                        {
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                            end += 6
                        }
                        result.appendUTF8(scalar, from: i, to: end)
                        i = end
                        changed = true
                        continue
                    }
                default:
                    break
                }
                if let simple {
                    result.append(simple, from: i, to: i + 2)
                    i += 2
                    changed = true
                    continue
                }
            }
            if byte == UInt8(ascii: "&"), let (value, length) = entity(text, i) {
                result.appendUTF8(value, from: i, to: i + length)
                i += length
                changed = true
                continue
            }
            result.append(byte, from: i, to: i + 1)
            i += 1
        }
        return changed ? result : nil
    }

    private mutating func append(_ byte: UInt8, from start: Int, to end: Int) {
        bytes.append(byte)
        rawStart.append(Int32(start))
        rawEnd.append(Int32(end))
    }

    private mutating func appendUTF8(_ scalar: UInt32, from start: Int, to end: Int) {
        guard let unicode = Unicode.Scalar(scalar) else {
            append(UInt8(ascii: "?"), from: start, to: end)
            return
        }
        for byte in UTF8.encode(unicode)! { append(byte, from: start, to: end) }
    }

    private static func hexValue(_ text: UnsafeBufferPointer<UInt8>, _ start: Int, _ count: Int) -> UInt32? {
        guard start + count <= text.count else { return nil }
        var value: UInt32 = 0
        for i in start..<(start + count) {
            let byte = text[i]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a")) + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A")) + 10
            default: return nil
            }
            value = value << 4 | digit
        }
        return value
    }

    /// `&quot; &amp; &lt; &gt; &apos; &#NN; &#xHH;` at `start`: the scalar and the entity's length.
    private static func entity(_ text: UnsafeBufferPointer<UInt8>, _ start: Int) -> (UInt32, Int)? {
        let named: [(StaticString, UInt8)] = [("&quot;", 0x22), ("&amp;", 0x26), ("&lt;", 0x3C), ("&gt;", 0x3E), ("&apos;", 0x27)]
        for (name, value) in named where ByteClass.matches(text, at: start, name) {
            return (UInt32(value), name.utf8CodeUnitCount)
        }
        guard start + 3 < text.count, text[start + 1] == UInt8(ascii: "#") else { return nil }
        var i = start + 2
        let hex = text[i] | 0x20 == UInt8(ascii: "x")
        if hex { i += 1 }
        var value: UInt32 = 0
        let digitsStart = i
        while i < text.count, i - digitsStart < 7 {
            let byte = text[i]
            if byte == UInt8(ascii: ";") { break }
            if hex {
                guard let digit = hexValue(text, i, 1) else { return nil }
                value = value << 4 | digit
            } else {
                guard ByteClass.is(byte, .digit) else { return nil }
                value = value * 10 + UInt32(byte - UInt8(ascii: "0"))
            }
            i += 1
        }
        guard i > digitsStart, i < text.count, text[i] == UInt8(ascii: ";"), value <= 0x10FFFF else { return nil }
        return (value, i + 1 - start)
    }
}
