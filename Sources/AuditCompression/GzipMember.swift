/// One gzip member decompressed from a larger buffer, such as one block of a
/// segment file.
public struct GzipMember: Sendable, Hashable {
    /// The decompressed bytes: the whole member, or for an incomplete member every
    /// byte that could be decoded before the input ended.
    public var bytes: [UInt8]
    /// Where the member lies in the input. For a complete member this ends just after
    /// its trailer, which is where the next member starts; for an incomplete one it
    /// runs to the end of the input.
    public var compressedRange: Range<Int>
    /// True only if the member's trailer was read and both its CRC-32 and its length
    /// matched the decompressed bytes. False means the input ended first (a torn
    /// tail); any bytes returned are then still exactly what was written.
    public var isComplete: Bool

    public init(bytes: [UInt8], compressedRange: Range<Int>, isComplete: Bool) {
        self.bytes = bytes
        self.compressedRange = compressedRange
        self.isComplete = isComplete
    }
}
