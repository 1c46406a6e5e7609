/// What an erasure request does to a category's records.
public enum ErasurePolicy: String, Sendable, Hashable, CaseIterable {
    /// The personal data is erased on request.
    case erase
    /// The records are kept until they expire (a legal obligation outweighs the request); the
    /// erasure receipt lists them with their expiry.
    case keepUntilExpiry = "keep"
}
