import Foundation

/// A directory under the system temporary directory, removed when the value is released, so tests
/// running in parallel never share files.
public final class TemporaryDirectory: Sendable {
    public let path: String

    public init(prefix: String = "auditq-tests") {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// A path inside the directory.
    public func child(_ name: String) -> String { path + "/" + name }
}
