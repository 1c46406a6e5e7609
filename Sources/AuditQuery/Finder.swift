import AuditCrypto
import AuditModel
import AuditStore

/// Answers lookups from a store's signed segments and their indexes, without a lock, while a writer
/// may be appending.
///
/// For each sealed segment it reads the manifest's time range and index root, skips the segment when
/// the time window or the index rules it out, and otherwise reads and decompresses only the blocks the
/// index names; every record found is compared with the query itself, so an index can make a lookup
/// slower but never wrong. An index that is missing or does not match the digest its manifest signs is
/// not used: that segment is scanned and a ``Note`` says so. The open segment (no manifest, no index
/// yet) is scanned: it is bounded by the writer's segment size.
///
/// Work and memory grow with the answer: per segment, one manifest, one index directory and the few
/// index pages and blocks that hold the key.
package struct Finder: Sendable {
    package let layout: StoreLayout
    /// When set, every manifest a lookup relies on must carry a valid signature by one of these keys.
    package let trustedKeys: [String: Ed25519.PublicKey]?

    /// Something the caller should tell the user: an index that was not used, a segment that was scanned.
    package struct Note: Sendable, Hashable, CustomStringConvertible {
        package var segment: UInt64
        package var message: String
        package var description: String { "segment \(segment): \(message)" }
    }

    /// What a lookup did, for benchmarks and `--stats`.
    package struct Statistics: Sendable, Hashable {
        package var segments = 0
        package var skippedByTime = 0
        package var skippedByIndex = 0
        package var scanned = 0
        package var blocksRead = 0
        package var bytesInflated = 0
    }

    package struct Outcome: Sendable {
        /// The matches in chain order (empty when they were streamed to a callback).
        package var matches: [Match] = []
        package var count = 0
        /// More matches exist than the limit allowed (the oldest were left out).
        package var truncated = false
        package var notes: [Note] = []
        package var statistics = Statistics()
    }

    package init(path: String, trustedKeys: [Ed25519.PublicKey]? = nil) throws(QueryError) {
        let layout = StoreLayout(root: path)
        guard FileSystem.exists(layout.descriptor) else {
            throw QueryError(.notAStore, "not an auditq store (no store.json)", path: layout.root)
        }
        self.layout = layout
        self.trustedKeys = trustedKeys.map { keys in Dictionary(keys.map { ($0.keyID, $0) }, uniquingKeysWith: { a, _ in a }) }
    }

    /// A segment as the lookup sees it.
    struct Segment {
        var number: UInt64
        var sealed: Bool
    }

    func segments() throws(QueryError) -> [Segment] {
        let inventory: [UInt64: Set<StoreLayout.FileKind>]
        do {
            inventory = try layout.inventory()
        } catch {
            throw QueryError(.io, "cannot list segments: \(error)", path: layout.segmentsDirectory)
        }
        return inventory.filter { $0.value.contains(.segment) }.keys.sorted().map { Segment(number: $0, sealed: inventory[$0]!.contains(.manifest)) }
    }

    /// Runs a lookup.
    ///
    /// - Parameter each: when given and the query has no limit, each match is passed here as it is found
    ///   (in chain order) instead of being kept in the outcome, so memory stays constant.
    package func find(_ query: FindQuery, each: ((Match) -> Void)? = nil) throws(QueryError) -> Outcome {
        try query.validate()
        var outcome = Outcome()
        var search = Search(finder: self, query: query, newestFirst: query.limit != nil)
        let segments = try segments()
        outcome.statistics.segments = segments.count
        if let limit = query.limit {
            // Newest first: stop once one more than the limit is found (so truncation is known).
            var collected: [Match] = []
            for segment in segments.reversed() {
                try search.segment(segment) { match in
                    collected.append(match)
                    return collected.count <= limit
                }
                if collected.count > limit { break }
            }
            outcome.truncated = collected.count > limit
            outcome.matches = Array(collected.prefix(limit).reversed())
            outcome.count = outcome.matches.count
        } else {
            for segment in segments {
                try search.segment(segment) { match in
                    outcome.count += 1
                    if let each { each(match) } else { outcome.matches.append(match) }
                    return true
                }
            }
        }
        outcome.notes = search.notes
        outcome.statistics = search.statistics
        outcome.statistics.segments = segments.count
        return outcome
    }
}
