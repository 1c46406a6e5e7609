extension RetentionPolicy {
    /// The policy used when none is given: retention/default.yaml, embedded so that the binary
    /// needs no file at run time (a test checks the two are the same bytes). ``source`` is
    /// `default policy` and ``sha256`` the digest of those bytes.
    public static var `default`: RetentionPolicy { embeddedDefault }

    private static let embeddedDefault: RetentionPolicy = {
        do {
            return try RetentionPolicy(yaml: Array(defaultPolicyText.utf8), source: "default policy")
        } catch {
            fatalError("the embedded default retention policy is invalid: \(error)")
        }
    }()
}
