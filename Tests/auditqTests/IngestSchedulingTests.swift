import Foundation
import Testing

#if os(Linux)
import Glibc

/// `auditq ingest` runs its reading thread one nice level below the process, so that compression, the
/// slowest stage, keeps up on two cores (docs/performance.md, Ingest, session 10).
@Suite("ingest thread priorities")
struct IngestSchedulingTests {
    /// The nice level of each of the process's threads, by thread id (field 19 of `/proc/PID/task/TID/stat`,
    /// counted after the command name, which may hold spaces).
    static func niceLevels(_ pid: Int32) -> [Int32: Int] {
        var levels: [Int32: Int] = [:]
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        for task in tasks {
            guard let tid = Int32(task), let stat = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            // After the name: state is field 3, nice is field 19.
            if fields.count > 16, let nice = Int(fields[16]) { levels[tid] = nice }
        }
        return levels
    }

    @Test("the reading thread runs one nice level below the process")
    func readerYields() throws {
        let fixture = try StoreFixture()
        let child = try RunningAuditQ(["ingest", "--print-acks", "--store", fixture.store, "--key", fixture.key])
        // Input stays open: the reading thread is alive (blocked in read) while the levels are read.
        #expect(child.send(Array((StoreFixture.event(0) + "\n").utf8)))
        #expect(child.waitForLine(timeout: 30) { $0 == "durable 1" } != nil)
        let levels = Self.niceLevels(child.pid)
        let process = levels[child.pid]
        child.closeStdin()
        let result = child.wait()
        #expect(result.status == 0, "\(result.summary)")
        let main = try #require(process, "no nice level for the main thread in \(levels)")
        #expect(levels.values.contains(min(main + 1, 19)), "no thread one level below the process (\(main)): \(levels)")
    }
}
#endif
