extension Record {
    /// New records encoded one after another into one buffer, to be hashed together (``Hasher``) and
    /// then compressed together: one allocation for a group's lines and one for its personal-data
    /// values, where each record used to have its own two, and nothing per record to retain or release
    /// as the group moves from the appending thread to the flusher.
    package struct Group {
        /// Where one record is: its line in ``bytes`` (without its newline) and its personal-data values
        /// in ``values``.
        package struct Entry: Sendable {
            package var line: Range<Int>
            package var values: Range<Int>
        }

        /// The records' lines, each followed by a newline.
        package private(set) var bytes: [UInt8] = []
        package private(set) var entries: [Entry] = []
        /// Each personal-data value's range in ``bytes`` and the index of its path among the store's
        /// sorted personal-data paths; a record's values are sorted by offset and do not overlap.
        package private(set) var values: [(value: Range<Int>, path: Int)] = []

        package init() {}

        package var count: Int { entries.count }
        package var isEmpty: Bool { entries.isEmpty }

        /// Room for about `records` records of `lineBytes` bytes each, so that encoding a group does
        /// not grow its buffers record by record.
        package mutating func reserveCapacity(records: Int, lineBytes: Int) {
            bytes.reserveCapacity(records * (lineBytes + 1))
            entries.reserveCapacity(records)
            values.reserveCapacity(records * 4)
        }

        /// Appends one record. `encode` appends its line to the bytes (without a newline) and its
        /// personal-data values, with ranges counted from the start of the bytes, in any order.
        package mutating func append(encode: (inout [UInt8], inout [(value: Range<Int>, path: Int)]) -> Void) {
            let lineStart = bytes.count
            let valueStart = values.count
            encode(&bytes, &values)
            if values.count - valueStart > 1 {
                values.withUnsafeMutableBufferPointer { all in
                    var own = UnsafeMutableBufferPointer(rebasing: all[valueStart...])
                    own.sort { $0.value.lowerBound < $1.value.lowerBound }
                }
            }
            entries.append(Entry(line: lineStart..<bytes.count, values: valueStart..<values.count))
            bytes.append(0x0A)
        }

        /// Appends a line that is already encoded, with its values' ranges counted from the line's start.
        package mutating func append(line: some Collection<UInt8>, values lineValues: [(value: Range<Int>, path: Int)]) {
            append { bytes, values in
                let start = bytes.count
                bytes.append(contentsOf: line)
                for value in lineValues { values.append((value.value.lowerBound + start..<value.value.upperBound + start, value.path)) }
            }
        }

        /// Removes the last record (one that turned out too large to store).
        package mutating func removeLast() {
            let last = entries.removeLast()
            bytes.removeSubrange(last.line.lowerBound...)
            values.removeSubrange(last.values)
        }

        package mutating func removeAll(keepingCapacity: Bool = false) {
            bytes.removeAll(keepingCapacity: keepingCapacity)
            entries.removeAll(keepingCapacity: keepingCapacity)
            values.removeAll(keepingCapacity: keepingCapacity)
        }

        /// One record encoded on its own by `encode` (which appends it to the group it is given): its
        /// line taken out of the group's bytes, not copied.
        package static func single(_ encode: (inout Group) -> Void) -> Unhashed {
            var group = Group()
            group.reserveCapacity(records: 1, lineBytes: 1024)
            encode(&group)
            return group.onlyRecord()
        }

        /// The group's only record, its line taken out of the group's bytes (not copied).
        private consuming func onlyRecord() -> Unhashed {
            precondition(entries.count == 1, "a group of one record")
            var line = bytes
            line.removeLast()  // its newline
            // The line starts at offset 0: the values' ranges are already counted from its start.
            return Unhashed(line: line, personalData: values)
        }

        /// Record `index` on its own: its line and its values counted from the line's start.
        package func unhashed(_ index: Int) -> Unhashed {
            let entry = entries[index]
            let start = entry.line.lowerBound
            return Unhashed(
                line: Array(bytes[entry.line]),
                personalData: values[entry.values].map { (value: $0.value.lowerBound - start..<$0.value.upperBound - start, path: $0.path) }
            )
        }
    }
}
