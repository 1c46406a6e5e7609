import AuditTestSupport
import Testing
@testable import AuditQuery

@Suite("Needle search")
struct NeedleSearchTests {
    @Test("finds exactly what a naive search finds, at every start position")
    func matchesNaive() {
        var generator = SeededGenerator(seed: 11)
        let alphabet = Array(#"ab"C:_0"#.utf8)
        for _ in 0..<300 {
            let haystack = (0..<Int(generator.next() % 200)).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }
            let needle = (0..<(1 + Int(generator.next() % 4))).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }
            for from in stride(from: 0, through: haystack.count, by: 7) {
                var naive: Int?
                if haystack.count >= needle.count {
                    for i in from..<max(from, haystack.count - needle.count + 1) where Array(haystack[i..<(i + needle.count)]) == needle {
                        naive = i
                        break
                    }
                }
                let fast = haystack.withUnsafeBytes { firstOccurrence(of: needle, in: $0, from: from) }
                #expect(fast == naive, "\(haystack) \(needle) from \(from)")
            }
        }
    }
}
