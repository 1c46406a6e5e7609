import AuditTestSupport
import AuditModel
import Foundation
import Testing
@testable import AuditQuery
@testable import AuditStore

@Suite("find equals a brute-force scan")
struct FindTests {
    /// 2600 sealed events in 7 segments of many small blocks, plus 150 in the open segment.
    static let sealedCount = 2600
    static let openCount = 150

    struct Store {
        let dir = TemporaryDirectory()
        let path: String
        let writer: StoreWriter
        let records: [(seq: UInt64, event: JSONObject)]

        init() throws {
            (path, writer) = try Fixtures.store(dir, sealed: FindTests.sealedCount, open: FindTests.openCount)
            records = try Fixtures.allRecords(path)
        }

        func check(_ query: FindQuery, _ comment: Comment? = nil) throws -> [UInt64] {
            let expected = Fixtures.bruteForce(records, query)
            let outcome = try Finder(path: path).find(query)
            let got = outcome.matches.map(\.seq)
            if let limit = query.limit {
                #expect(got == Array(expected.suffix(limit)), comment)
                #expect(outcome.truncated == (expected.count > limit), comment)
            } else {
                #expect(got == expected, comment)
                #expect(!outcome.truncated)
            }
            #expect(outcome.notes.isEmpty, "\(outcome.notes)")
            for match in outcome.matches {
                #expect(match.line == Array(CanonicalJSON.encode(.object(match.record))))
            }
            return expected
        }
    }

    @Test("every key type: popular, rare, absent, across segment boundaries and in the open segment")
    func everyKeyType() throws {
        let store = try Store()
        defer { try? store.writer.close() }
        let inventory = try StoreLayout(root: store.path).inventory()
        #expect(inventory.count >= 8 && inventory.values.filter { $0.contains(.index) }.count == inventory.count - 1)

        // Popular and rare customers; CUS_0 is in about a quarter of all events, in every block.
        #expect(try store.check(FindQuery(keys: [.init(.customerCode, "CUS_0")])).count > 500)
        #expect(try store.check(FindQuery(keys: [.init(.customerCode, "CUS_1")])).count > 200)
        for code in ["CUS_2", "CUS_77", "CUS_150", "CUS_299"] { _ = try store.check(FindQuery(keys: [.init(.customerCode, code)]), "\(code)") }

        // Every transaction: many span blocks, some span segments, the newest are in the open segment.
        var spanning = 0
        var inOpen = 0
        let transactions = Set(store.records.compactMap { $0.event["transaction_id"]?.stringValue })
        for txn in transactions.sorted() where txn.hasSuffix("3") || txn.hasSuffix("7") {
            let seqs = try store.check(FindQuery(keys: [.init(.transactionID, txn)]), "\(txn)")
            if let first = seqs.first, let last = seqs.last, (first - 1) / 400 != (last - 1) / 400, last <= UInt64(Self.sealedCount) { spanning += 1 }
            if let last = seqs.last, last > UInt64(Self.sealedCount) { inOpen += 1 }
        }
        #expect(spanning >= 2 && inOpen >= 4, "\(spanning) \(inOpen)")

        // Requests (unique) and correlations, sampled across the store including the open segment.
        for n in stride(from: 1, through: Self.sealedCount + Self.openCount, by: 37) {
            #expect(try store.check(FindQuery(keys: [.init(.requestID, "req_\(n)")])).count == 1)
        }
        for t in stride(from: 1, to: 700, by: 23) { _ = try store.check(FindQuery(keys: [.init(.correlationID, String(format: "%032x", t))])) }

        // Keys that do not exist, and values that only occur nested or inside other strings.
        for query in [
            FindQuery(keys: [.init(.transactionID, "txn_999999")]), FindQuery(keys: [.init(.customerCode, "CUS_")]),
            FindQuery(keys: [.init(.requestID, "req_1 ")]), FindQuery(keys: [.init(.correlationID, "")]),
            FindQuery(keys: [.init(.customerCode, "cus_0")]),
        ] {
            #expect(try store.check(query).isEmpty)
        }
    }

    @Test("time windows, action and outcome filters, several keys at once")
    func narrowing() throws {
        let store = try Store()
        defer { try? store.writer.close() }
        let windows: [(Int, Int)] = [(0, 100), (390, 410), (1200, 1201), (2590, 2700), (2700, 3000), (5000, 6000)]
        for (from, to) in windows {
            let since = Workload.time(from)
            let until = Workload.time(to)
            _ = try store.check(FindQuery(keys: [.init(.customerCode, "CUS_0")], since: since, until: until), "CUS_0 \(from)-\(to)")
            _ = try store.check(FindQuery(keys: [.init(.customerCode, "CUS_1")], since: since), "since \(from)")
            _ = try store.check(FindQuery(keys: [.init(.customerCode, "CUS_1")], until: until), "until \(to)")
        }
        // A window boundary exactly at an event: since is inclusive, until exclusive.
        #expect(try store.check(FindQuery(keys: [.init(.requestID, "req_500")], since: Workload.time(500))) == [500])
        #expect(try store.check(FindQuery(keys: [.init(.requestID, "req_500")], until: Workload.time(500))).isEmpty)

        _ = try store.check(FindQuery(keys: [.init(.customerCode, "CUS_0")], outcome: "failure"))
        _ = try store.check(FindQuery(keys: [.init(.customerCode, "CUS_1")], action: "refund.create", outcome: "success"))
        let txn = store.records.first { $0.event["customer_code"] == "CUS_1" && $0.event["transaction_id"] != nil }!.event["transaction_id"]!.stringValue!
        #expect(try !store.check(FindQuery(keys: [.init(.customerCode, "CUS_1"), .init(.transactionID, txn)])).isEmpty)
        #expect(try store.check(FindQuery(keys: [.init(.customerCode, "CUS_2"), .init(.transactionID, txn)])).isEmpty)
    }

    @Test("--limit keeps the newest matches in chain order and says when older ones exist")
    func limit() throws {
        let store = try Store()
        defer { try? store.writer.close() }
        for limit in [1, 5, 40, 100, 10_000] {
            _ = try store.check(FindQuery(keys: [.init(.customerCode, "CUS_0")], limit: limit), "limit \(limit)")
            _ = try store.check(FindQuery(keys: [.init(.customerCode, "CUS_1")], since: Workload.time(1000), until: Workload.time(1500), limit: limit))
        }
        // Streaming (no limit) passes matches in chain order and keeps none.
        var streamed: [UInt64] = []
        let outcome = try Finder(path: store.path).find(FindQuery(keys: [.init(.customerCode, "CUS_1")])) { streamed.append($0.seq) }
        #expect(outcome.matches.isEmpty && outcome.count == streamed.count)
        #expect(streamed == Fixtures.bruteForce(store.records, FindQuery(keys: [.init(.customerCode, "CUS_1")])))
    }

    @Test("work follows the answer: absent keys skip segments by index, windows skip them by time")
    func skipping() throws {
        let store = try Store()
        defer { try? store.writer.close() }
        let finder = try Finder(path: store.path)
        let absent = try finder.find(FindQuery(keys: [.init(.transactionID, "txn_nope")]))
        #expect(absent.statistics.skippedByIndex == absent.statistics.segments - 1 && absent.statistics.scanned == 1)
        let one = try finder.find(FindQuery(keys: [.init(.requestID, "req_10")]))
        #expect(one.statistics.blocksRead <= 1 + 30)  // its block, plus the open segment's members
        let early = try finder.find(FindQuery(keys: [.init(.customerCode, "CUS_0")], until: Workload.time(300)))
        #expect(early.statistics.skippedByTime >= 5)
    }
}
