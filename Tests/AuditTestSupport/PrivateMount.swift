import Foundation

/// Runs a shell script in a private mount namespace, where it may mount a tmpfs that no other process
/// sees and that disappears with the script (a real full disk, for the tests of what happens then): as
/// root with `unshare --mount`, otherwise in a user namespace (`unshare --user --map-root-user --mount`)
/// where the kernel allows those. ``isAvailable`` is false elsewhere (macOS, locked-down containers).
public enum PrivateMount {
    public struct Result: Sendable {
        public var status: Int32
        public var output: String
    }

    static let prefix: [String]? = {
        let probe = "d=$(mktemp -d) && mount -t tmpfs -o size=4k tmpfs \"$d\" && umount \"$d\" && rmdir \"$d\""
        for candidate in [["unshare", "--mount"], ["unshare", "--user", "--map-root-user", "--mount"]] {
            if let result = try? launch(candidate + ["sh", "-c", probe]), result.status == 0 { return candidate }
        }
        return nil
    }()

    public static var isAvailable: Bool { prefix != nil }

    /// Runs `script` with `sh` in a private mount namespace, with `environment` exported; the result
    /// holds its exit status and its standard output and error together.
    public static func run(_ script: String, environment: [String: String]) throws -> Result {
        let exports = environment.sorted { $0.key < $1.key }
            .map { "export \($0.key)='\($0.value.replacingOccurrences(of: "'", with: "'\\''"))'" }
            .joined(separator: "\n")
        return try launch((prefix ?? []) + ["sh", "-c", exports + "\n" + script])
    }

    private static func launch(_ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: String(decoding: output, as: UTF8.self))
    }
}
