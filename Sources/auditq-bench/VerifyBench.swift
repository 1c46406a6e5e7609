import ArgumentParser
import AuditStore

#if canImport(Glibc)
import Glibc
#endif

/// `auditq verify` against the floor of "decompress and hash everything", `zcat | sha256sum` of the
/// same events as one gzip file, timed in the same run.
struct VerifyBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Whole-process auditq verify time vs zcat | sha256sum of the same events, in one run."
    )

    @Option(help: "JSON Lines input (shared/bench/gen_events.py output).")
    var input: String

    @Option(help: "Scratch directory (deleted afterwards).")
    var scratch: String = "/tmp/auditq-bench-verify"

    @Option(help: "Repetitions; the median is reported.")
    var runs: Int = 3

    func run() throws {
        let auditq = siblingExecutable("auditq")
        _ = system("rm -rf '\(scratch)'")
        mkdir(scratch, 0o755)
        defer { _ = system("rm -rf '\(scratch)'") }
        _ = try timeShell("gzip -6 -c '\(input)' > '\(scratch)/events.gz'")
        _ = try timeShell("'\(auditq)' keys generate --out '\(scratch)/k' > /dev/null")
        _ = try timeShell("'\(auditq)' ingest --store '\(scratch)/store' --key '\(scratch)/k' < '\(input)' 2>/dev/null")
        var floor: [Double] = []
        var verify: [Double] = []
        for _ in 0..<runs {
            floor.append(try timeShell("zcat '\(scratch)/events.gz' | sha256sum > /dev/null"))
            verify.append(try timeShell("'\(auditq)' verify --store '\(scratch)/store' --trust '\(scratch)/k.pub' > /dev/null"))
        }
        let f = median(floor), v = median(verify)
        print("zcat | sha256sum:  \(format2(f)) s")
        print("auditq verify:     \(format2(v)) s  = \(format2(f / v))× the floor's speed (above 1 is faster)")
    }
}
