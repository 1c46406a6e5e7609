#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The single-writer lock: an exclusive `flock` on `writer.lock`, released when the process exits
/// (also on `kill -9`), so a crashed writer never leaves a stale lock behind.
package final class StoreLock {
    private let file: SystemFile

    package convenience init(layout: StoreLayout) throws(AuditStoreError) {
        try self.init(path: layout.lock, root: layout.root) { pid in
            "the store is open for writing by another process\(pid); one writer per store at a time — stop it or wait for it to finish"
        }
    }

    /// The maintenance lock, held by an erasure or retention run (`maintenance.lock`).
    package static func maintenance(_ layout: StoreLayout) throws(AuditStoreError) -> StoreLock {
        try StoreLock(path: layout.maintenanceLock, root: layout.root) { pid in
            "an erasure or retention run is in progress in another process\(pid); runs take turns — wait for it to finish"
        }
    }

    private init(path: String, root: String, busy: (String) -> String) throws(AuditStoreError) {
        let file = try SystemFile(path: path, mode: [.read, .write, .create], permissions: 0o644)
        if flock(file.descriptor, LOCK_EX | LOCK_NB) != 0 {
            let holder = (try? file.readAll()).map { String(decoding: $0, as: UTF8.self) } ?? ""
            let pid = holder.split(separator: "\n").first.map { " (pid \($0))" } ?? ""
            try? file.close()
            throw AuditStoreError(.locked, busy(pid), path: root)
        }
        try file.truncate(to: 0)
        try file.seek(to: 0)
        try file.write(Array("\(getpid())\n".utf8))
        self.file = file
    }

    package func release() {
        _ = flock(file.descriptor, LOCK_UN)
        try? file.close()
    }
}
