#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The first position at or after `from` where `needle` occurs in `haystack`.
///
/// It jumps between occurrences of the needle's rarest byte (by a rough frequency of JSON record text:
/// quotes and lowercase letters are common, upper case rare) with `memchr`, and compares the needle
/// there: a block of records is mostly skipped at memory speed.
func firstOccurrence(of needle: [UInt8], in haystack: UnsafeRawBufferPointer, from: Int) -> Int? {
    let n = needle.count
    guard n > 0, from >= 0, haystack.count - from >= n, let base = haystack.baseAddress else { return nil }
    var anchor = 0
    var best = Int.max
    for (i, byte) in needle.enumerated() {
        let score = byteFrequency(byte)
        if score <= best {
            best = score
            anchor = i
        }
    }
    let target = Int32(needle[anchor])
    return needle.withUnsafeBytes { pattern -> Int? in
        var position = from + anchor
        let last = haystack.count - n + anchor
        while position <= last {
            guard let hit = memchr(base + position, target, last + 1 - position) else { return nil }
            let at = base.distance(to: UnsafeRawPointer(hit))
            let start = at - anchor
            if memcmp(base + start, pattern.baseAddress!, n) == 0 { return start }
            position = at + 1
        }
        return nil
    }
}

/// A rough frequency rank of a byte in record text (lower is rarer).
@inline(__always)
private func byteFrequency(_ byte: UInt8) -> Int {
    switch byte {
    case UInt8(ascii: "\""): 100
    case UInt8(ascii: "e"), UInt8(ascii: "a"), UInt8(ascii: "t"), UInt8(ascii: "i"), UInt8(ascii: "o"), UInt8(ascii: "n"),
        UInt8(ascii: "s"), UInt8(ascii: "r"), UInt8(ascii: "c"), UInt8(ascii: "d"):
        60
    case UInt8(ascii: "0")...UInt8(ascii: "9"): 50
    case UInt8(ascii: "a")...UInt8(ascii: "z"): 35
    case UInt8(ascii: ":"), UInt8(ascii: ","), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: " "), UInt8(ascii: "{"), UInt8(ascii: "}"): 40
    case UInt8(ascii: "A")...UInt8(ascii: "Z"): 8
    default: 15
    }
}
