import ArgumentParser
import AuditCrypto
import AuditModel
import AuditStore
import AuditVerify

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

    /// Runs store (or retention, query…) work, turning its errors into a message on stderr and exit status 2.
    static func run<T, E: Error>(_ body: () throws(E) -> T) throws -> T {
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

    /// Loads trusted public keys from PEM files and keyring files (JSON, `schemas/keyring.schema.json`:
    /// keys with optional validity windows).
    static func loadKeyring(_ paths: [String]) throws -> (keys: [Ed25519.PublicKey], validity: [(key: Ed25519.PublicKey, validity: Verifier.Validity)]) {
        var keys: [Ed25519.PublicKey] = []
        var validity: [(key: Ed25519.PublicKey, validity: Verifier.Validity)] = []
        for path in paths {
            let bytes = try readSmallFile(path)
            guard bytes.first == UInt8(ascii: "{") else {
                keys += try loadPublicKeys([path])
                continue
            }
            func fail(_ reason: String) -> ExitCode {
                printError("auditq: \(path): not a usable keyring: \(reason)")
                return ExitCode(failure)
            }
            guard case .object(let o)? = try? JSONParser().parse(bytes), o["format"]?.stringValue == "auditq-keyring",
                o["version"]?.integerValue == 1, let entries = o["keys"]?.arrayValue
            else { throw fail("expected {\"format\":\"auditq-keyring\",\"version\":1,\"keys\":[...]}") }
            for (i, entry) in entries.enumerated() {
                guard let e = entry.objectValue, let pem = e["public_key"]?.stringValue, let key = try? Ed25519.PublicKey(pemRepresentation: pem) else {
                    throw fail("keys[\(i)].public_key must be an Ed25519 public key in PEM")
                }
                func time(_ name: String) throws -> Timestamp? {
                    guard let value = e[name], value != .null else { return nil }
                    guard let text = value.stringValue, let t = Timestamp(rfc3339: text) else { throw fail("keys[\(i)].\(name) must be an RFC 3339 time or null") }
                    return t
                }
                keys.append(key)
                validity.append((key, Verifier.Validity(notBefore: try time("not_before"), notAfter: try time("not_after"))))
            }
        }
        return (keys, validity)
    }

    static func readSmallFile(_ path: String) throws -> [UInt8] {
        guard let file = fopen(path, "r") else {
            printError("auditq: \(path): cannot read the key file: \(String(cString: strerror(errno)))")
            throw ExitCode(failure)
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while bytes.count <= 1 << 20 {
            let n = fread(&buffer, 1, buffer.count, file)
            if n <= 0 { break }
            bytes.append(contentsOf: buffer[0..<n])
        }
        return bytes
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

    /// One line of text to standard output, through ``writeStdout(_:)`` (unlike `print`, a failed write is
    /// not ignored).
    static func printLine(_ text: String) {
        writeStdout(Array(text.utf8) + [0x0A])
    }

    /// Writes to standard output, or ends the process with status 2 and the reason when it cannot (a
    /// full disk under `> FILE`): output cut short must never look like success. (A closed pipe, as under
    /// `| head`, ends the process by SIGPIPE before `write` returns, as for any command-line tool.)
    static func writeStdout(_ bytes: [UInt8]) {
        if let reason = writeAll(bytes, to: 1) {
            printError("auditq: cannot write to standard output: \(reason); the output is incomplete")
            exit(failure)
        }
    }

    /// Writes all of `bytes` to `fd`; the reason (errno text) when it cannot.
    static func writeAll(_ bytes: [UInt8], to fd: Int32) -> String? {
        bytes.withUnsafeBufferPointer { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return "\(String(cString: strerror(errno))) (errno \(errno))"
                }
                offset += n
            }
            return nil
        }
    }
}

extension StoreWriter.Durability: ExpressibleByArgument {}
