import Logging

/// A swift-log metadata value attribute (SLG-0004) declaring a value sensitive: the backend stores
/// `[REDACTED:declared-sensitive]` instead, whatever the key's name.
///
/// ```swift
/// logger.info("card added", metadata: ["pan": "\(pan, sensitivity: .sensitive)"])
/// ```
/// Undeclared values are still scanned by the redaction rules: the declaration adds, never relaxes.
public enum Sensitivity: Int64, Logger.MetadataValueAttributes.Attribute, Sendable {
    case sensitive = 1
    /// Documents that a value is safe; it is still scanned by the redaction rules.
    case `public` = 2
}

extension Logger.MetadataValue.StringInterpolation {
    /// Interpolates `value` tagged with a ``Sensitivity``.
    public mutating func appendInterpolation<T: CustomStringConvertible & Sendable>(_ value: T, sensitivity: Sensitivity) {
        self.appendInterpolation(value.description, attributes: [sensitivity])
    }
}
