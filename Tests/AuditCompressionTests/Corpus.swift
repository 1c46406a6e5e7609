import AuditTestSupport

/// Deterministic inputs shaped like what the segment store writes.
enum Corpus {
    /// `count` JSON-like audit records, one per line, with some variation so that
    /// the text is repetitive but not trivially so.
    static func jsonLines(count: Int, seed: UInt64 = 1) -> [[UInt8]] {
        var rng = SeededGenerator(seed: seed)
        let actors = ["alice", "bob", "carol", "deploy-bot", "svc-billing"]
        let actions = ["login", "logout", "read", "update", "delete", "grant"]
        return (0..<count).map { i in
            let actor = actors[Int(rng.next() % UInt64(actors.count))]
            let action = actions[Int(rng.next() % UInt64(actions.count))]
            let line = "{\"seq\":\(i),\"time\":\"2026-11-21T05:\(10 + i % 50):\(10 + i % 49).\(rng.next() % 1000)Z\","
                + "\"actor\":\"\(actor)\",\"action\":\"\(action)\",\"resource\":\"/projects/\(rng.next() % 500)/items/\(rng.next() % 100_000)\","
                + "\"outcome\":\"success\",\"prev\":\"\(String(rng.next(), radix: 16))\(String(rng.next(), radix: 16))\"}\n"
            return Array(line.utf8)
        }
    }

    /// About `bytes` bytes of JSON lines, concatenated.
    static func jsonText(bytes: Int, seed: UInt64 = 1) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes + 300)
        var next = 0
        while out.count < bytes {
            let chunk = jsonLines(count: 1000, seed: seed &+ UInt64(next))
            for line in chunk where out.count < bytes { out += line }
            next += 1
        }
        return out
    }
}
