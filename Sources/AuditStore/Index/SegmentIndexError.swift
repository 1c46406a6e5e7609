/// An index file whose bytes do not follow the format, or do not match the digest that covers them.
package struct SegmentIndexError: Error, Hashable, Sendable, CustomStringConvertible {
    package var reason: String
    package init(_ reason: String) { self.reason = reason }
    package var description: String { reason }
}
