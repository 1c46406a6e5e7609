import ArgumentParser
import AuditCrypto
import AuditStore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Exit statuses shared by every command (see `docs/cli.md`).
enum CLI {
    /// The operation found a problem in its input or the store (bad lines, integrity findings, no match).
    static let findings: Int32 = 1
    /// The operation could not be carried out (I/O, a locked store, an unusable key).
    static let failure: Int32 = 2

    /// Runs store work, turning its errors into a message on stderr and exit status 2.
    static func run<T>(_ body: () throws(AuditStoreError) -> T) throws -> T {
        do {
            return try body()
        } catch {
            printError("auditq: \(error)")
            throw ExitCode(failure)
        }
    }

    static func printError(_ message: String) {
        var line = message
        line.append("\n")
        _ = line.withCString { write(2, $0, strlen($0)) }
    }

    /// Rewrites one status line on a terminal's standard error (for long runs).
    static func printProgress(_ text: String) {
        let line = "\r\u{1B}[K" + text
        _ = line.withCString { write(2, $0, strlen($0)) }
    }

    /// Loads trusted public keys from PEM files.
    static func loadPublicKeys(_ paths: [String]) throws -> [Ed25519.PublicKey] {
        var keys: [Ed25519.PublicKey] = []
        for path in paths {
            guard let file = fopen(path, "r") else {
                printError("auditq: \(path): cannot read the public key file: \(String(cString: strerror(errno)))")
                throw ExitCode(failure)
            }
            defer { fclose(file) }
            var bytes: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = fread(&buffer, 1, buffer.count, file)
                if n <= 0 { break }
                bytes.append(contentsOf: buffer[0..<n])
                if bytes.count > 1 << 20 { break }
            }
            do {
                keys.append(try Ed25519.PublicKey(pemRepresentation: String(decoding: bytes, as: UTF8.self)))
            } catch {
                printError("auditq: \(path): not an Ed25519 public key (PEM SubjectPublicKeyInfo): \(error)")
                throw ExitCode(failure)
            }
        }
        return keys
    }

    static func writeStdout(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = write(1, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += n
            }
        }
    }
}

extension StoreWriter.Durability: ExpressibleByArgument {}
