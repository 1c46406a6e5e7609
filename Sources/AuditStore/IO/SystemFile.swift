#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An open file descriptor with the few operations the store needs, each mapping errno to
/// ``AuditStoreError`` with the path. Every write path states when data is durable: `write` only
/// hands bytes to the kernel; `sync()` makes them durable.
package final class SystemFile {
    package let path: String
    package private(set) var descriptor: Int32

    package struct Mode: OptionSet, Sendable {
        package let rawValue: Int32
        package init(rawValue: Int32) { self.rawValue = rawValue }
        package static let read = Mode(rawValue: 1)
        package static let write = Mode(rawValue: 2)
        package static let create = Mode(rawValue: 4)
        package static let exclusive = Mode(rawValue: 8)
        package static let truncate = Mode(rawValue: 16)
        package static let append = Mode(rawValue: 32)
    }

    /// Opens a file. New files get `permissions` (0600 for key files, 0644 otherwise).
    package init(path: String, mode: Mode, permissions: mode_t = 0o644) throws(AuditStoreError) {
        var flags: Int32 = O_CLOEXEC
        if mode.contains(.read) && mode.contains(.write) {
            flags |= O_RDWR
        } else if mode.contains(.write) {
            flags |= O_WRONLY
        } else {
            flags |= O_RDONLY
        }
        if mode.contains(.create) { flags |= O_CREAT }
        if mode.contains(.exclusive) { flags |= O_EXCL }
        if mode.contains(.truncate) { flags |= O_TRUNC }
        if mode.contains(.append) { flags |= O_APPEND }
        let fd = open(path, flags, permissions)
        guard fd >= 0 else { throw SystemFile.error("open", path: path) }
        self.path = path
        self.descriptor = fd
    }

    deinit {
        if descriptor >= 0 { _ = systemClose(descriptor) }
    }

    package func close() throws(AuditStoreError) {
        guard descriptor >= 0 else { return }
        let fd = descriptor
        descriptor = -1
        guard systemClose(fd) == 0 else { throw SystemFile.error("close", path: path) }
    }

    /// Writes all bytes at the current position (the end, for append-mode files).
    package func write(_ bytes: UnsafeRawBufferPointer) throws(AuditStoreError) {
        var offset = 0
        while offset < bytes.count {
            let n = systemWrite(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemFile.error("write", path: path)
            }
            offset += n
        }
    }

    package func write(_ bytes: [UInt8]) throws(AuditStoreError) {
        try bytes.withUnsafeBytes { buffer in Result { () throws(AuditStoreError) in try write(buffer) } }.get()
    }

    /// Makes everything written so far durable (`fsync`; `F_FULLFSYNC` on Darwin).
    package func sync() throws(AuditStoreError) {
        #if canImport(Darwin)
        if fcntl(descriptor, F_FULLFSYNC) == 0 { return }
        #endif
        while fsync(descriptor) != 0 {
            if errno == EINTR { continue }
            throw SystemFile.error("fsync", path: path)
        }
    }

    package func truncate(to length: Int) throws(AuditStoreError) {
        guard ftruncate(descriptor, off_t(length)) == 0 else { throw SystemFile.error("ftruncate", path: path) }
    }

    package func seek(to offset: Int) throws(AuditStoreError) {
        guard lseek(descriptor, off_t(offset), SEEK_SET) >= 0 else { throw SystemFile.error("lseek", path: path) }
    }

    package func size() throws(AuditStoreError) -> Int {
        var st = stat()
        guard fstat(descriptor, &st) == 0 else { throw SystemFile.error("fstat", path: path) }
        return Int(st.st_size)
    }

    /// Reads up to `count` bytes at `offset`; fewer only at end of file.
    package func read(at offset: Int, count: Int) throws(AuditStoreError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = out.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + done, count - done, off_t(offset + done)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemFile.error("read", path: path)
            }
            if n == 0 { break }
            done += n
        }
        out.removeLast(count - done)
        return out
    }

    /// The whole file.
    package func readAll() throws(AuditStoreError) -> [UInt8] {
        try read(at: 0, count: try size())
    }

    static func error(_ operation: String, path: String, errno code: Int32 = errno) -> AuditStoreError {
        let reason = String(cString: strerror(code))
        var hint = ""
        if code == ENOSPC { hint = "; free disk space, then reopen the store (acknowledged records are safe)" }
        if code == EACCES || code == EPERM { hint = "; check the file's owner and permissions" }
        if code == ENOENT, operation == "mkdir" { hint = "; its parent directory does not exist (auditq creates only the store directory itself)" }
        return AuditStoreError(.io, "\(operation) failed: \(reason) (errno \(code))\(hint)", path: path)
    }
}

// Free functions so the methods named `close` and `write` above can call the system calls.
private func systemClose(_ fd: Int32) -> Int32 { close(fd) }
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int { write(fd, buffer, count) }
