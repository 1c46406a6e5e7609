// TEMPORARY stand-ins until the crypto branch lands; replaced by Hex.swift and SecureRandom.swift.
#if canImport(Glibc)
import Glibc
#endif

public enum Hex {
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }
}

public enum SecureRandom {
    public static func bytes(count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var g = SystemRandomNumberGenerator(); for i in 0..<count { out[i] = UInt8.random(in: 0...255, using: &g) }
        return out
    }
}
