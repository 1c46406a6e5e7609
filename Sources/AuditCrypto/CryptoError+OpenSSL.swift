internal import CAuditCrypto

extension CryptoError {
    /// Makes an error carrying OpenSSL's (thread-local) error queue, draining it so
    /// that a stale entry cannot be blamed on a later, unrelated call.
    ///
    /// Only the packed reason strings are kept, not the free-form "data" OpenSSL may
    /// attach, so that nothing derived from the input can end up in a log.
    static func openSSL(_ code: Code, _ message: String) -> CryptoError {
        CryptoError(code: code, message: message, openSSLErrors: OpenSSLErrorQueue.drain())
    }
}

/// OpenSSL's per-thread error queue.
enum OpenSSLErrorQueue {
    /// Removes and returns every queued error, oldest first.
    static func drain() -> [String] {
        var errors: [String] = []
        while true {
            let packed = ERR_get_error()
            if packed == 0 { break }
            // 256 bytes is what OpenSSL's own ERR_error_string uses.
            let text = withUnsafeTemporaryAllocation(of: CChar.self, capacity: 256) { buffer -> String in
                ERR_error_string_n(packed, buffer.baseAddress, buffer.count)
                return String(cString: buffer.baseAddress!)
            }
            errors.append(text)
        }
        return errors
    }

    /// Discards queued errors after a failure that is reported as a value, not an error.
    static func clear() {
        ERR_clear_error()
    }
}
