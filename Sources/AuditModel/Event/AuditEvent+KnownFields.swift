extension AuditEvent {
    /// Where an object's known fields are among its members, found in one pass.
    ///
    /// Validation looks up about fifteen names; looking each up scans the members and compares strings
    /// that mostly differ, which cost more than the checks themselves. Here each member name is compared
    /// only with the known names of its length. That is exact although `==` is canonical equivalence:
    /// the known names are lower-case ASCII letters and `_`, and no other string is equivalent to one
    /// (the only characters outside ASCII with an ASCII canonical decomposition are U+212A, U+037E and
    /// U+1FEF, which decompose to `K`, `;` and a backquote).
    struct KnownFields {
        var id: Int?, ts: Int?, level: Int?, source: Int?, action: Int?, outcome: Int?, actor: Int?
        var requestID: Int?, transactionID: Int?, customerCode: Int?, correlationID: Int?
        var message: Int?, http: Int?, error: Int?, metadata: Int?

        init(_ object: JSONObject) {
            for (i, member) in object.members.enumerated() {
                let key = member.key
                switch key.utf8.count {
                case 2:
                    if key == Field.id { id = i } else if key == Field.ts { ts = i }
                case 4:
                    if key == Field.http { http = i }
                case 5:
                    if key == Field.level { level = i } else if key == Field.actor { actor = i } else if key == Field.error { error = i }
                case 6:
                    if key == Field.source { source = i } else if key == Field.action { action = i }
                case 7:
                    if key == Field.outcome { outcome = i } else if key == Field.message { message = i }
                case 8:
                    if key == Field.metadata { metadata = i }
                case 10:
                    if key == Field.requestID { requestID = i }
                case 13:
                    if key == Field.customerCode { customerCode = i }
                case 14:
                    if key == Field.transactionID { transactionID = i } else if key == Field.correlationID { correlationID = i }
                default:
                    break
                }
            }
        }
    }
}
