import AuditTestSupport
import Foundation

/// A private directory under the system temporary directory (a ``TemporaryDirectory``), removed
/// when the value goes away or, for a suite's static fixture, when the test process exits.
final class ScratchDirectory: Sendable {
    private let directory: TemporaryDirectory

    var url: URL { URL(fileURLWithPath: directory.path, isDirectory: true) }

    init(_ label: String = "auditq-cli") {
        directory = TemporaryDirectory(prefix: label)
    }

    /// The path of `name` inside the directory.
    func path(_ name: String) -> String {
        directory.child(name)
    }
}
