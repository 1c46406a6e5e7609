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

    package init(layout: StoreLayout) throws(AuditStoreError) {
        let file = try SystemFile(path: layout.lock, mode: [.read, .write, .create], permissions: 0o644)
        if flock(file.descriptor, LOCK_EX | LOCK_NB) != 0 {
            let holder = (try? file.readAll()).map { String(decoding: $0, as: UTF8.self) } ?? ""
            let pid = holder.split(separator: "\n").first.map { " (pid \($0))" } ?? ""
            throw AuditStoreError(
                .locked,
                "the store is open for writing by another process\(pid); one writer per store at a time — stop it or wait for it to finish",
                path: layout.root
            )
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
