#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension AuditEvent {
    /// The checks of ``init(validating:)`` on an event read as a ``JSONTape``, for ingest's fast path:
    /// the event's timestamp when the event is valid *and* validation would leave it as it is (its `ts`
    /// already in the stored form), nil otherwise, so that the caller takes the general path, which gives
    /// the authoritative result or error. A test holds the two to the same answer wherever this one
    /// answers.
    package static func timestampIfValidAsIs(_ tape: JSONTape) -> Timestamp? {
        tape.entries.withUnsafeBufferPointer { entries -> Timestamp? in
            guard let root = entries.first, root.kind == .object else { return nil }
            var timestamp: Timestamp?
            var sawAction = false
            var member = 1
            for _ in 0..<Int(root.count) {
                let name = tape.text(entries[member])
                let valueIndex = member + 1
                let value = entries[valueIndex]
                member = Int(value.next)
                func string(_ range: ClosedRange<Int>? = nil) -> Bool {
                    value.kind == .string && range.map { $0.contains(Int(value.end - value.start)) } ?? true
                }
                // Names are compared as bytes (the `Field` names, spelled out as static strings).
                switch name.count {
                case 2 where name.equals("ts"):
                    guard value.kind == .string else { return nil }
                    let text = tape.text(value)
                    // Written in the stored form already (otherwise validation rewrites it).
                    guard text.count == Timestamp.descriptionLength, case .success(let ts) = Timestamp.parse(utf8: text),
                        ts.descriptionEquals(text)
                    else { return nil }
                    timestamp = ts
                case 2 where name.equals("id"):
                    guard string(1...128), tape.text(value).allSatisfy({ $0 > 0x20 && $0 != 0x7F }) else { return nil }
                case 6 where name.equals("action"):
                    guard string(1...256) else { return nil }
                    sawAction = true
                case 5 where name.equals("level"), 6 where name.equals("source"), 7 where name.equals("outcome"),
                    10 where name.equals("request_id"), 14 where name.equals("transaction_id"),
                    13 where name.equals("customer_code"), 14 where name.equals("correlation_id"):
                    guard string(1...256) else { return nil }
                case 7 where name.equals("message"):
                    guard string() else { return nil }
                case 8 where name.equals("metadata"):
                    guard value.kind == .object else { return nil }
                case 5 where name.equals("actor"):
                    guard value.kind == .object,
                        Self.members(of: valueIndex, tape, entries, allValid: { name, entry in
                            guard name.equals("type") || name.equals("id") else { return true }
                            return entry.kind == .string && entry.end - entry.start <= 256
                        })
                    else { return nil }
                case 4 where name.equals("http"):
                    guard value.kind == .object,
                        Self.members(of: valueIndex, tape, entries, allValid: { name, entry in
                            if name.equals("method") { return entry.kind == .string && (1...32).contains(entry.end - entry.start) }
                            if name.equals("path") { return entry.kind == .string }
                            if name.equals("status") {
                                guard entry.kind == .number, let n = Self.number(tape.text(entry)), n.rounded(.towardZero) == n else { return false }
                                return (100...599).contains(n)
                            }
                            if name.equals("duration_ms") {
                                // Not negative: no minus sign (the tape holds no `-0`), without reading the value.
                                return entry.kind == .number && tape.text(entry).first != UInt8(ascii: "-")
                            }
                            return true
                        })
                    else { return nil }
                case 5 where name.equals("error"):
                    guard value.kind == .object,
                        Self.members(of: valueIndex, tape, entries, allValid: { name, entry in
                            if name.equals("code") {
                                if entry.kind == .string { return true }
                                guard entry.kind == .number, let n = Self.number(tape.text(entry)) else { return false }
                                return n.rounded(.towardZero) == n
                            }
                            if name.equals("message") { return entry.kind == .string }
                            return true
                        })
                    else { return nil }
                default:
                    break
                }
            }
            return sawAction ? timestamp : nil
        }
    }

    /// Whether every member of the object at `index` passes `allValid(name, value)`.
    private static func members(
        of index: Int, _ tape: JSONTape, _ entries: UnsafeBufferPointer<JSONTape.Entry>,
        allValid: (UnsafeBufferPointer<UInt8>, JSONTape.Entry) -> Bool
    ) -> Bool {
        var member = index + 1
        for _ in 0..<Int(entries[index].count) {
            let value = entries[member + 1]
            guard allValid(tape.text(entries[member]), value) else { return false }
            member = Int(value.next)
        }
        return true
    }

    /// A number's value from its text on the tape (its canonical form, so it reads back exactly).
    private static func number(_ text: UnsafeBufferPointer<UInt8>) -> Double? {
        // Up to 15 digits (the tape's limit for a canonical integer) are read here, exactly: most numbers
        // an event has (`http.status`, `error.code`) are small integers, and strtod cost more than the
        // rest of the checks.
        if text.count <= 15, !text.isEmpty {
            var value: Int64 = 0
            var allDigits = true
            for byte in text {
                let digit = byte &- UInt8(ascii: "0")
                if digit > 9 {
                    allDigits = false
                    break
                }
                value = value * 10 + Int64(digit)
            }
            if allDigits { return Double(value) }
        }
        guard text.count < 64 else { return nil }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: text.count + 1) { buffer in
            for i in 0..<text.count { buffer[i] = CChar(bitPattern: text[i]) }
            buffer[text.count] = 0
            var end: UnsafeMutablePointer<CChar>?
            let value = strtod(buffer.baseAddress!, &end)
            return end == buffer.baseAddress! + text.count ? value : nil
        }
    }
}
