import ArgumentParser
import AuditModel
import AuditQuery

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

struct FindCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "find",
        abstract: "Every event of a transaction, customer, request or correlation id, from the signed store and its indexes.",
        discussion: """
            Give one or more keys (a record must match all of them), optionally narrowed by time, action and \
            outcome. Results are in chain order with their sequence numbers; with --limit N (default 100) only \
            the newest N matches are shown and a note says when older ones exist. Events written a moment ago \
            (in the open segment) are found too.
            Exit status: 0 something matched, 1 nothing matched, 2 the store could not be read (or, with \
            --trust, a manifest is not signed by a trusted key), 64 usage.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table
        case json
        case jsonl
    }

    @Option(help: ArgumentHelp("The store directory.", valueName: "DIR"))
    var store: String

    @Option(name: .customLong("transaction"), help: ArgumentHelp("Events with this transaction_id.", valueName: "ID"))
    var transaction: String?

    @Option(name: .customLong("customer"), help: ArgumentHelp("Events with this customer_code.", valueName: "CODE"))
    var customer: String?

    @Option(name: .customLong("request"), help: ArgumentHelp("Events with this request_id.", valueName: "ID"))
    var request: String?

    @Option(name: .customLong("correlation"), help: ArgumentHelp("Events with this correlation_id.", valueName: "ID"))
    var correlation: String?

    @Option(help: ArgumentHelp("Events at or after this time: 2026-11-20T14:03:00Z, an offset such as +01:00, 0–9 fraction digits, or a date (its start, UTC).", valueName: "TIME"))
    var since: String?

    @Option(help: ArgumentHelp("Events before this time (same forms as --since).", valueName: "TIME"))
    var until: String?

    @Option(help: ArgumentHelp("Only events with this action (such as payment.capture).", valueName: "ACTION"))
    var action: String?

    @Option(help: ArgumentHelp("Only events with this outcome (such as failure).", valueName: "OUTCOME"))
    var outcome: String?

    @Option(help: ArgumentHelp("Show the newest N matches; 0 shows every match.", valueName: "N"))
    var limit: Int = 100

    @Option(help: "Output: table (a support timeline), json (one document) or jsonl (records as stored). Default: table on a terminal, jsonl otherwise.")
    var format: Format?

    @Option(parsing: .upToNextOption, help: ArgumentHelp("Also require every manifest used to be signed by one of these Ed25519 public keys (PEM).", valueName: "PUBKEY"))
    var trust: [String] = []

    @Flag(help: "Print what the lookup read (segments skipped, blocks decompressed) on standard error.")
    var stats = false

    func validate() throws {
        guard !keys.isEmpty else { throw ValidationError("give a key: --transaction ID, --customer CODE, --request ID or --correlation ID") }
        for key in keys where key.value.isEmpty { throw ValidationError("--\(Self.option(key.field)) must not be empty") }
        guard limit >= 0 else { throw ValidationError("--limit must be 0 (every match) or more") }
        let window = try timeWindow()
        if let since = window.since, let until = window.until, until <= since {
            throw ValidationError("--until (\(until)) must be later than --since (\(since))")
        }
    }

    var keys: [FindQuery.Key] {
        var keys: [FindQuery.Key] = []
        if let transaction { keys.append(.init(.transactionID, transaction)) }
        if let customer { keys.append(.init(.customerCode, customer)) }
        if let request { keys.append(.init(.requestID, request)) }
        if let correlation { keys.append(.init(.correlationID, correlation)) }
        return keys
    }

    static func option(_ field: FindQuery.Key.Field) -> String {
        switch field {
        case .transactionID: "transaction"
        case .customerCode: "customer"
        case .requestID: "request"
        case .correlationID: "correlation"
        }
    }

    func timeWindow() throws -> (since: Timestamp?, until: Timestamp?) {
        func parse(_ text: String?, _ option: String) throws -> Timestamp? {
            guard let text else { return nil }
            return try TimeArgument.parse(text, option: option)
        }
        return (try parse(since, "--since"), try parse(until, "--until"))
    }

    func run() throws {
        let window = try timeWindow()
        let query = FindQuery(keys: keys, since: window.since, until: window.until, action: action, outcome: outcome, limit: limit == 0 ? nil : limit)
        let trusted = trust.isEmpty ? nil : try CLI.loadPublicKeys(trust)
        let format = self.format ?? (isatty(1) != 0 ? .table : .jsonl)
        let outcome: Finder.Outcome
        do {
            let finder = try Finder(path: store, trustedKeys: trusted)
            if format == .json, query.limit == nil {
                // Only the stored lines are kept (each match's parsed tree is dropped as it is found):
                // the document is written around them, as its canonical encoding would be.
                var lines: [[UInt8]] = []
                outcome = try finder.find(query) { lines.append($0.line) }
                writeDocument(query, count: outcome.count, truncated: false, records: lines)
            } else if format == .jsonl {
                // Streamed: with no limit, memory stays constant however many records match.
                var out: [UInt8] = []
                out.reserveCapacity(1 << 16)
                outcome = try finder.find(query) { match in
                    out.append(contentsOf: match.line)
                    out.append(0x0A)
                    if out.count >= 1 << 16 {
                        CLI.writeStdout(out)
                        out.removeAll(keepingCapacity: true)
                    }
                }
                for match in outcome.matches {
                    out.append(contentsOf: match.line)
                    out.append(0x0A)
                }
                CLI.writeStdout(out)
            } else {
                outcome = try finder.find(query)
                switch format {
                case .table:
                    if outcome.count > 0 {
                        CLI.writeStdout(Array(Timeline(color: isatty(1) != 0).render(outcome.matches).utf8))
                    } else {
                        CLI.printError("auditq: no events match")
                    }
                case .json:
                    writeDocument(query, count: outcome.count, truncated: outcome.truncated, records: outcome.matches.map(\.line))
                case .jsonl:
                    break
                }
            }
        } catch {
            CLI.printError("auditq: \(error)")
            throw ExitCode(CLI.failure)
        }
        for note in outcome.notes { CLI.printError("auditq: \(store): \(note)") }
        if outcome.truncated {
            CLI.printError("auditq: showing the newest \(limit) matches; older ones exist: narrow with --since/--until, or raise --limit (0 for every match)")
        }
        if stats {
            let s = outcome.statistics
            CLI.printError("auditq: \(outcome.count) matches; \(s.segments) segments: \(s.skippedByTime) skipped by time, \(s.skippedByIndex) by index, \(s.scanned) scanned; \(s.blocksRead) blocks (\(s.bytesInflated) bytes) decompressed")
        }
        if outcome.count == 0 {
            if let note = RemovedByRetention.note(store: store) { CLI.printError("auditq: \(store): \(note)") }
            throw ExitCode(CLI.findings)
        }
    }

    /// Writes the `--format json` document (`schemas/find-result.schema.json`): its canonical encoding,
    /// with each record as stored (records are stored canonically, so this is the encoding of the
    /// whole document), without building a tree per record.
    func writeDocument(_ query: FindQuery, count: Int, truncated: Bool, records: [[UInt8]]) {
        var q = JSONObject()
        for key in query.keys { q[key.field.rawValue] = .string(key.value) }
        if let since = query.since { q["since"] = .string(since.description) }
        if let until = query.until { q["until"] = .string(until.description) }
        if let action = query.action { q["action"] = .string(action) }
        if let outcome = query.outcome { q["outcome"] = .string(outcome) }
        if let limit = query.limit { q["limit"] = .number(Double(limit)) }
        let document: JSONValue = [
            "format": "auditq-find-result",
            "version": 1,
            "query": .object(q),
            "count": .number(Double(count)),
            "truncated": .bool(truncated),
            "records": [],
        ]
        // `"records":[` occurs once: inside a JSON string every quote is escaped.
        let encoded = CanonicalJSON.encode(document)
        let marker = Array(#""records":["#.utf8)
        let split = (0...(encoded.count - marker.count)).first { encoded[$0..<($0 + marker.count)].elementsEqual(marker) }! + marker.count
        var out = Array(encoded[..<split])
        out.reserveCapacity(1 << 16)
        for (i, line) in records.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: line)
            if out.count >= 1 << 16 {
                CLI.writeStdout(out)
                out.removeAll(keepingCapacity: true)
            }
        }
        out.append(contentsOf: encoded[split...])
        out.append(0x0A)
        CLI.writeStdout(out)
    }
}
