import ArgumentParser
import AuditRedaction

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `auditq redact`: a filter from JSON Lines events to redacted JSON Lines events.
struct RedactCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redact",
        abstract: "Redact secrets from JSON Lines events (stdin → stdout), one output line per input line.",
        discussion: """
            Each output line is the event in canonical JSON (RFC 8785) with secrets replaced by \
            [REDACTED:<rule>] markers and, when anything was redacted, a "redaction" member that counts \
            the rules that fired. A line that is not a JSON object is reported on stderr as \
            "line N: <reason>" and replaced by a placeholder line; the input is never echoed. \
            The exit status is 1 if any line was rejected. Rules: docs/redaction.md.
            """
    )

    @Option(name: .long, help: "A rules file (JSON, or YAML when named *.yaml/*.yml) merged onto the default rules.")
    var rules: String?

    func run() throws {
        // A rules error is reported as `Error: <file>:<line>: <member>: <message>`, without usage.
        let ruleSet = try rules.map { try RedactionRules(contentsOfFile: $0) } ?? .default
        let filter = RedactionFilter(redactor: Redactor(rules: ruleSet))
        var output = BufferedOutput()
        var rejected = 0
        var lineNumber = 0
        var reader = LineReader(maxLineBytes: filter.maxLineBytes)
        var gate = RedactionFilter.FastPathGate()
        try reader.forEachLine { line in
            lineNumber += 1
            let result: RedactionFilter.Output
            switch line {
            case .complete(let bytes): result = filter.process(bytes, lineNumber: lineNumber, gate: &gate)
            case .overlong(let length): result = filter.overlong(lineNumber: lineNumber, bytes: length)
            }
            if let error = result.error {
                rejected += 1
                try output.flush()
                Self.writeError(error + "\n")
            }
            try output.append(result.line)
            try output.append([0x0A])
        }
        try output.flush()
        if rejected > 0 {
            Self.writeError("auditq redact: \(rejected) of \(lineNumber) lines were not valid JSON objects and were replaced by placeholders\n")
            throw ExitCode.failure
        }
    }

    static func writeError(_ text: String) {
        var text = text
        text.withUTF8 { buffer in _ = write(2, buffer.baseAddress, buffer.count) }
    }
}

/// Splits standard input into lines without holding more than one line (up to a limit) in memory.
private struct LineReader {
    enum Line {
        case complete(UnsafeRawBufferPointer)
        /// A line over the limit, skipped; the count of bytes seen.
        case overlong(Int)
    }

    let maxLineBytes: Int

    mutating func forEachLine(_ body: (Line) throws -> Void) throws {
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        var pending: [UInt8] = []
        var overlongLength = -1
        func finish(_ bytes: UnsafeRawBufferPointer) throws {
            if overlongLength >= 0 {
                try body(.overlong(overlongLength + bytes.count))
                overlongLength = -1
            } else if pending.isEmpty {
                try body(.complete(bytes))
            } else {
                pending.append(contentsOf: bytes)
                try pending.withUnsafeBytes { try body(.complete($0)) }
                pending.removeAll(keepingCapacity: pending.count <= 1 << 20)
            }
        }
        while true {
            let count = chunk.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ValidationError("cannot read standard input (errno \(errno))")
            }
            if count == 0 { break }
            try chunk.withUnsafeBytes { buffer in
                var start = 0
                let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
                while let newline = bytes[start...].firstIndex(of: 0x0A) {
                    try finish(UnsafeRawBufferPointer(rebasing: bytes[start..<newline]))
                    start = newline + 1
                }
                let rest = UnsafeRawBufferPointer(rebasing: bytes[start..<count])
                if overlongLength >= 0 {
                    overlongLength += rest.count
                } else if pending.count + rest.count > maxLineBytes {
                    overlongLength = pending.count + rest.count
                    pending.removeAll()
                } else {
                    pending.append(contentsOf: rest)
                }
            }
        }
        if overlongLength >= 0 {
            try body(.overlong(overlongLength))
        } else if !pending.isEmpty {
            try pending.withUnsafeBytes { try body(.complete($0)) }
        }
    }
}

/// Buffers stdout writes into large `write(2)` calls.
private struct BufferedOutput {
    private var buffer: [UInt8] = []

    init() {
        buffer.reserveCapacity(1 << 17)
    }

    mutating func append(_ bytes: [UInt8]) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 16 { try flush() }
    }

    mutating func flush() throws {
        var offset = 0
        while offset < buffer.count {
            let written = buffer.withUnsafeBytes { write(1, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                throw ValidationError("cannot write standard output (errno \(errno))")
            }
            offset += written
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
