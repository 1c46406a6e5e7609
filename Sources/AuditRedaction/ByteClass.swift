/// Character classes of UTF-8 bytes, as one table lookup, for the scanners' inner loops.
///
/// Non-ASCII bytes are in no class: secrets are ASCII, and a multi-byte character ends a token.
struct ByteClass: OptionSet, Sendable {
    let rawValue: UInt8

    static let upper = ByteClass(rawValue: 1 << 0)
    static let lower = ByteClass(rawValue: 1 << 1)
    static let digit = ByteClass(rawValue: 1 << 2)
    /// `_`: joins a word (`sk_live_…`, `request_id`).
    static let underscore = ByteClass(rawValue: 1 << 3)
    /// Other bytes that may occur inside a token: `- . ~ + / =`.
    static let tokenPunctuation = ByteClass(rawValue: 1 << 4)
    /// Bytes that start a structural check: `: = > - % \ &`.
    static let trigger = ByteClass(rawValue: 1 << 5)
    /// Lowercase hexadecimal digits.
    static let lowerHex = ByteClass(rawValue: 1 << 6)
    /// Space, tab, CR, LF.
    static let space = ByteClass(rawValue: 1 << 7)

    static let letter: ByteClass = [.upper, .lower]
    static let alnum: ByteClass = [.upper, .lower, .digit]
    static let word: ByteClass = [.upper, .lower, .digit, .underscore]
    static let token: ByteClass = [.upper, .lower, .digit, .underscore, .tokenPunctuation]

    /// The class of each byte; allocated once and never freed or written after initialisation,
    /// which makes sharing the pointer between threads safe.
    nonisolated(unsafe) static let table: UnsafePointer<UInt8> = {
        let table = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
        table.initialize(repeating: 0, count: 256)
        for byte in UInt8(ascii: "A")...UInt8(ascii: "Z") { table[Int(byte)] |= upper.rawValue }
        for byte in UInt8(ascii: "a")...UInt8(ascii: "z") { table[Int(byte)] |= lower.rawValue }
        for byte in UInt8(ascii: "0")...UInt8(ascii: "9") { table[Int(byte)] |= digit.rawValue | lowerHex.rawValue }
        for byte in UInt8(ascii: "a")...UInt8(ascii: "f") { table[Int(byte)] |= lowerHex.rawValue }
        table[Int(UInt8(ascii: "_"))] |= underscore.rawValue
        for byte in "-.~+/=".utf8 { table[Int(byte)] |= tokenPunctuation.rawValue }
        for byte in ":=>-%\\&".utf8 { table[Int(byte)] |= trigger.rawValue }
        for byte in " \t\r\n".utf8 { table[Int(byte)] |= space.rawValue }
        return UnsafePointer(table)
    }()

    @inline(__always)
    static func of(_ byte: UInt8) -> ByteClass {
        ByteClass(rawValue: table[Int(byte)])
    }

    @inline(__always)
    static func `is`(_ byte: UInt8, _ classes: ByteClass) -> Bool {
        table[Int(byte)] & classes.rawValue != 0
    }

    /// Byte equality of two buffers.
    @inline(__always)
    static func equal(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        for i in 0..<a.count where a[i] != b[i] { return false }
        return true
    }

    /// ASCII case-insensitive equality of `text[at...]` with a lowercase literal.
    @inline(__always)
    static func matchesLowercase(_ text: UnsafeBufferPointer<UInt8>, at start: Int, _ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard start >= 0, start + count <= text.count else { return false }
        let pointer = literal.utf8Start
        for i in 0..<count {
            var byte = text[start + i]
            if byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") { byte |= 0x20 }
            if byte != pointer[i] { return false }
        }
        return true
    }

    /// Exact equality of `text[at...]` with a literal.
    @inline(__always)
    static func matches(_ text: UnsafeBufferPointer<UInt8>, at start: Int, _ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard start >= 0, start + count <= text.count else { return false }
        let pointer = literal.utf8Start
        for i in 0..<count where text[start + i] != pointer[i] { return false }
        return true
    }
}
