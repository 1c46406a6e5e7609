/// The retention policy the erasure and expiry tests apply: the default policy's shape with periods of
/// days, so that a `now` a few weeks after the events crosses them.
public enum RetentionTestPolicy {
    /// The policy as YAML: categories auditq (`auditq.*`, 10y, keep), ledger (`payment.*`, 90d, keep),
    /// profile (`profile.*`, 30d, erase) and the catch-all other (`other`, erase); personal data
    /// `actor.id`, `customer_code`, `metadata.email` and `metadata.ip`; then `holds` (a `holds:` member).
    public static func yaml(name: String, other: String = "60d", holds: String = "holds: []") -> String {
        """
        format: auditq-retention-policy
        version: 1
        name: \(name)
        personal_data: [actor.id, customer_code, metadata.email, metadata.ip]
        categories:
          - name: auditq
            match:
              actions: ["auditq.*"]
            retention: 10y
            legal_basis: "Integrity evidence for the log itself"
            on_erasure: keep
          - name: ledger
            match:
              actions: ["payment.*"]
            retention: 90d
            legal_basis: "AML record-keeping (test period: 90 days)"
            on_erasure: keep
          - name: profile
            match:
              actions: ["profile.*"]
            retention: 30d
            legal_basis: "Customer support (test period: 30 days)"
            on_erasure: erase
          - name: other
            retention: \(other)
            legal_basis: "Incident investigation (test period)"
            on_erasure: erase
        \(holds)

        """
    }
}
