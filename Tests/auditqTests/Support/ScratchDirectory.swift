import Foundation

/// A private directory under the system temporary directory, removed when the value goes away, so
/// tests running in parallel never share files.
final class ScratchDirectory: Sendable {
    let url: URL

    init(_ label: String = "auditq-cli") throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(label)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }

    /// The path of `name` inside the directory.
    func path(_ name: String) -> String {
        url.appendingPathComponent(name).path
    }
}
