#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Named points in erasure and retention runs where tests kill the process, to prove that a crash
/// anywhere leaves a store that verifies and a run that a rerun completes.
///
/// Set `AUDITQ_CRASH_AT=NAME` (or `NAME#N` for the N-th time the point is reached) in the environment
/// of an `auditq` process: at that point it exits at once with status 137, as `kill -9` would leave
/// it (no cleanup, no buffered output). Unset, a point costs one comparison.
package enum CrashPoint {
    private static let target: (name: String, count: Int)? = {
        guard let raw = getenv("AUDITQ_CRASH_AT").map({ String(cString: $0) }), !raw.isEmpty else { return nil }
        let parts = raw.split(separator: "#", maxSplits: 1)
        return (String(parts[0]), parts.count > 1 ? Int(parts[1]) ?? 1 : 1)
    }()
    nonisolated(unsafe) private static var hits: [String: Int] = [:]

    /// Every point, for tests that go through them all.
    package static let all = [
        "journal-written", "sealed", "rewrite-segment-written", "rewrite-index-written", "rewrite-committed",
        "rewrite-cleaned", "erasure-log-written", "chain-record-appended", "retention-state-committed",
        "leftover-removed", "before-journal-removed",
    ]

    /// Exits the process with status 137 when `AUDITQ_CRASH_AT` names this point (and count).
    package static func hit(_ name: String) {
        guard let target, target.name == name else { return }
        hits[name, default: 0] += 1
        if hits[name] == target.count { _exit(137) }
    }
}
