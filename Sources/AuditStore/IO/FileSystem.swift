#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Directory and whole-file operations with their durability stated.
package enum FileSystem {
    /// Makes a directory's entries (creates, renames, unlinks) durable.
    package static func syncDirectory(_ path: String) throws(AuditStoreError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw SystemFile.error("open directory", path: path) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw SystemFile.error("fsync directory", path: path) }
    }

    /// Replaces `path` atomically and durably: write a temporary file, fsync it, rename it over the
    /// target, fsync the directory. A crash leaves either the old or the new content, never a mix.
    package static func writeAtomically(_ bytes: [UInt8], to path: String, permissions: mode_t = 0o644) throws(AuditStoreError) {
        let temporary = path + ".tmp"
        let file = try SystemFile(path: temporary, mode: [.write, .create, .truncate], permissions: permissions)
        do throws(AuditStoreError) {
            try file.write(bytes)
            try file.sync()
            try file.close()
            guard systemRename(temporary, path) == 0 else { throw SystemFile.error("rename", path: path) }
        } catch {
            // A full disk must not also keep the space the partial copy took (nor leave it for verify
            // to warn about); the file at `path` is untouched.
            try? file.close()
            _ = unlink(temporary)
            throw error
        }
        try syncDirectory(directory(of: path))
    }

    /// Writes a new file that must not exist yet, durably (file and directory entry).
    package static func createFile(_ bytes: [UInt8], at path: String, permissions: mode_t = 0o644) throws(AuditStoreError) {
        let file = try SystemFile(path: path, mode: [.write, .create, .exclusive], permissions: permissions)
        do throws(AuditStoreError) {
            try file.write(bytes)
            try file.sync()
            try file.close()
        } catch {
            // Created here (exclusively), so ours to remove: a partial key file would block a retry.
            try? file.close()
            _ = unlink(path)
            throw error
        }
        try syncDirectory(directory(of: path))
    }

    package static func readFile(_ path: String) throws(AuditStoreError) -> [UInt8] {
        let file = try SystemFile(path: path, mode: .read)
        return try file.readAll()
    }

    package static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    package static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// The permission bits of a file, or nil when it cannot be stat'ed.
    package static func permissions(of path: String) -> mode_t? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return st.st_mode & 0o7777
    }

    package static func createDirectory(_ path: String) throws(AuditStoreError) {
        if isDirectory(path) { return }
        guard mkdir(path, 0o755) == 0 || errno == EEXIST else { throw SystemFile.error("mkdir", path: path) }
        try syncDirectory(directory(of: path))
    }

    package static func remove(_ path: String) throws(AuditStoreError) {
        guard unlink(path) == 0 || errno == ENOENT else { throw SystemFile.error("unlink", path: path) }
    }

    package static func rename(_ from: String, to: String) throws(AuditStoreError) {
        guard systemRename(from, to) == 0 else { throw SystemFile.error("rename", path: from) }
    }

    /// The names in a directory, sorted.
    package static func contents(of path: String) throws(AuditStoreError) -> [String] {
        guard let dir = opendir(path) else { throw SystemFile.error("opendir", path: path) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    package static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    package static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }
}

private func systemRename(_ from: String, _ to: String) -> Int32 { rename(from, to) }
