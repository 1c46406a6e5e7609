extension CanonicalJSON {
    /// Where the encoder writes: the caller's `[UInt8]` for scalars and strings, a ``Buffer`` for objects
    /// and arrays.
    protocol Output: ~Copyable {
        var count: Int { get }
        mutating func append(_ byte: UInt8)
        mutating func appendBytes(_ bytes: UnsafeBufferPointer<UInt8>)
    }

    /// A growable byte buffer written through a pointer.
    ///
    /// Each `Array.append` checks that the array is uniquely referenced (a call into the runtime); a
    /// record's encoding makes about a hundred appends, and those checks were a fifth of its cost.
    struct Buffer: ~Copyable, Output {
        private var base: UnsafeMutablePointer<UInt8>
        private var capacity: Int
        private(set) var count = 0

        init(capacity: Int) {
            self.capacity = Swift.max(capacity, 16)
            base = .allocate(capacity: self.capacity)
        }

        deinit {
            base.deallocate()
        }

        @inline(__always)
        mutating func append(_ byte: UInt8) {
            if count == capacity { grow(toAtLeast: count + 1) }
            base[count] = byte
            count += 1
        }

        @inline(__always)
        mutating func appendBytes(_ bytes: UnsafeBufferPointer<UInt8>) {
            guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
            if count + bytes.count > capacity { grow(toAtLeast: count + bytes.count) }
            (base + count).initialize(from: source, count: bytes.count)
            count += bytes.count
        }

        private mutating func grow(toAtLeast minimum: Int) {
            let newCapacity = Swift.max(minimum, capacity * 2)
            let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
            newBase.initialize(from: base, count: count)
            base.deallocate()
            base = newBase
            capacity = newCapacity
        }

        /// Appends what was written to `out`.
        func append(to out: inout [UInt8]) {
            out.append(contentsOf: UnsafeBufferPointer(start: base, count: count))
        }
    }
}

extension CanonicalJSON {
    /// Writes canonical JSON piece by piece through a pointer (for callers that lay out an object
    /// themselves, in key order, such as the log handler's fast path).
    package struct Writer: ~Copyable {
        private var buffer: Buffer

        package init(capacity: Int) {
            buffer = Buffer(capacity: capacity)
        }

        /// Appends one byte (punctuation).
        @inline(__always)
        package mutating func append(_ byte: UInt8) {
            buffer.append(byte)
        }

        /// Appends text that is already JSON (a quoted member name and its colon, say).
        package mutating func append(json bytes: UnsafeBufferPointer<UInt8>) {
            buffer.appendBytes(bytes)
        }

        /// Appends a string literal with JCS escaping.
        package mutating func appendString(_ string: String) {
            CanonicalJSON.writeString(string, to: &buffer)
        }

        /// The number of bytes written so far.
        package var count: Int { buffer.count }

        /// The bytes written.
        package consuming func bytes() -> [UInt8] {
            var out: [UInt8] = []
            out.reserveCapacity(buffer.count)
            buffer.append(to: &out)
            return out
        }
    }
}

extension Array: CanonicalJSON.Output where Element == UInt8 {
    @inline(__always)
    mutating func appendBytes(_ bytes: UnsafeBufferPointer<UInt8>) {
        append(contentsOf: bytes)
    }
}
