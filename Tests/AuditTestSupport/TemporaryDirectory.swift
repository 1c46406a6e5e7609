import Foundation
import Synchronization

/// A directory under the system temporary directory, removed when the value is released, so tests
/// running in parallel never share files.
///
/// A directory that is never released (a suite's `static let` fixture) is removed when the test
/// process exits, so test runs do not leave stores and keys behind in the temporary directory.
public final class TemporaryDirectory: Sendable {
    public let path: String

    public init(prefix: String = "auditq-tests") {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        LiveDirectories.insert(path)
    }

    deinit {
        LiveDirectories.remove(path)
        try? FileManager.default.removeItem(atPath: path)
    }

    /// A path inside the directory.
    public func child(_ name: String) -> String { path + "/" + name }
}

/// The temporary directories not yet released, removed by an `atexit` handler.
private enum LiveDirectories {
    private static let paths = Mutex<Set<String>>([])

    /// Installs the exit handler once, the first time a directory is made.
    private static let exitHandler: Void = {
        atexit { LiveDirectories.removeAll() }
        return ()
    }()

    static func insert(_ path: String) {
        _ = exitHandler
        paths.withLock { _ = $0.insert(path) }
    }

    static func remove(_ path: String) {
        paths.withLock { _ = $0.remove(path) }
    }

    private static func removeAll() {
        let remaining = paths.withLock { paths in
            defer { paths.removeAll() }
            return paths
        }
        for path in remaining {
            try? FileManager.default.removeItem(atPath: path)
        }
    }
}
