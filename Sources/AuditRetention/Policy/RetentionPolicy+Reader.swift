import AuditCrypto
import AuditModel

extension RetentionPolicy {
    /// Turns a parsed policy document into a policy, with errors that point into the file.
    ///
    /// Members are checked in the order a reader of the file meets the problem: unknown members of
    /// an object first (a typo is likelier than a missing member), then each member in turn.
    struct Reader {
        let source: String
        /// Line of each member path, from ``YAMLSubset`` or ``JSONLineLocator``.
        let lines: [String: Int]

        static let rootMembers = ["$schema", "description", "format", "version", "name", "personal_data", "categories", "holds"]
        static let categoryMembers = ["name", "match", "retention", "legal_basis", "on_erasure"]
        static let matchMembers = ["actions", "sources", "levels"]
        static let holdMembers = ["id", "customer", "transaction", "reason", "until"]

        func read(_ document: JSONValue, digest: SHA256Digest) throws(PolicyError) -> RetentionPolicy {
            guard case .object(let root) = document else {
                throw PolicyError(
                    code: .invalidValue, message: "a policy must be a mapping of members, found \(document.typeName)", source: source, line: 1
                )
            }
            try checkMembers(root, "", allowed: Self.rootMembers)
            if let schema = root["$schema"] { _ = try string(schema, "$schema") }
            if let description = root["description"] { _ = try string(description, "description") }

            let format = try string(required(root, "format", in: ""), "format")
            guard format == RetentionPolicy.formatName else {
                throw error(.invalidValue, "format", "'\(format.prefix(64))' is not \(RetentionPolicy.formatName); is this a retention policy?")
            }
            let version = try required(root, "version", in: "")
            guard version.integerValue == Int64(RetentionPolicy.formatVersion) else {
                throw error(
                    .invalidValue, "version",
                    "version \(CanonicalJSON.string(version).prefix(32)) is not supported; this build reads version \(RetentionPolicy.formatVersion)"
                )
            }
            let name = try identifier(required(root, "name", in: ""), "name", what: "a policy name")
            let personalData = try personalDataPaths(required(root, "personal_data", in: ""))
            let categories = try categories(required(root, "categories", in: ""))
            let holds = try root["holds"].map { (value) throws(PolicyError) in try self.holds(value) } ?? []
            return RetentionPolicy(
                name: name, personalData: personalData, categories: categories, holds: holds, sha256: digest, source: source
            )
        }

        // MARK: Members

        func personalDataPaths(_ value: JSONValue) throws(PolicyError) -> [String] {
            var seen: [String: Int] = [:]
            for (i, item) in try nonEmptyArray(value, "personal_data").enumerated() {
                let field = "personal_data[\(i)]"
                let path = try string(item, field)
                let components = path.split(separator: ".", omittingEmptySubsequences: false)
                guard !path.isEmpty, path.utf8.count <= 256, components.allSatisfy({ !$0.isEmpty }),
                    !path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
                else {
                    throw error(
                        .invalidValue, field,
                        "'\(path.prefix(64))' is not an event path: use member names joined by dots, such as metadata.email"
                    )
                }
                if let earlier = seen[path] {
                    throw error(.invalidValue, field, "'\(path)' is already listed as personal_data[\(earlier)]")
                }
                seen[path] = i
            }
            return seen.keys.sorted()
        }

        func categories(_ value: JSONValue) throws(PolicyError) -> [Category] {
            var categories: [Category] = []
            var seen: [String: Int] = [:]
            for (i, item) in try nonEmptyArray(value, "categories").enumerated() {
                let path = "categories[\(i)]"
                if let catchAll = categories.last(where: \.isCatchAll) {
                    throw error(
                        .invalidValue, path,
                        "never matches: the catch-all category '\(catchAll.name)' before it takes every event; move the catch-all to the end"
                    )
                }
                let category = try self.category(item, path)
                if let earlier = seen[category.name] {
                    throw error(.invalidValue, "\(path).name", "'\(category.name)' is already the name of categories[\(earlier)]")
                }
                seen[category.name] = i
                categories.append(category)
            }
            guard categories.last?.isCatchAll == true else {
                throw error(
                    .invalidValue, "categories",
                    "no catch-all category: end the list with a category that has no 'match', so every event has a retention period"
                )
            }
            return categories
        }

        func category(_ value: JSONValue, _ path: String) throws(PolicyError) -> Category {
            let object = try self.object(value, path, allowed: Self.categoryMembers)
            let name = try identifier(required(object, "name", in: path), "\(path).name", what: "a category name")
            var actions: [String] = []
            var sources: [String] = []
            var levels: [String] = []
            if let match = object["match"] {
                let conditions = try self.object(match, "\(path).match", allowed: Self.matchMembers)
                guard !conditions.isEmpty else {
                    throw error(.invalidValue, "\(path).match", "has no conditions; leave 'match' out for a catch-all category")
                }
                if let value = conditions["actions"] { actions = try patterns(value, "\(path).match.actions") }
                if let value = conditions["sources"] { sources = try patterns(value, "\(path).match.sources") }
                if let value = conditions["levels"] { levels = try levelNames(value, "\(path).match.levels") }
            }
            return Category(
                name: name, actions: actions, sources: sources, levels: levels,
                retention: try retention(required(object, "retention", in: path), "\(path).retention"),
                legalBasis: try text(required(object, "legal_basis", in: path), "\(path).legal_basis"),
                onErasure: try erasure(required(object, "on_erasure", in: path), "\(path).on_erasure")
            )
        }

        func patterns(_ value: JSONValue, _ path: String) throws(PolicyError) -> [String] {
            var patterns: [String] = []
            for (i, item) in try nonEmptyArray(value, path).enumerated() {
                let pattern = try string(item, "\(path)[\(i)]")
                if let problem = Glob.problem(with: pattern) { throw error(.invalidValue, "\(path)[\(i)]", problem) }
                patterns.append(pattern)
            }
            return patterns
        }

        func levelNames(_ value: JSONValue, _ path: String) throws(PolicyError) -> [String] {
            var levels: [String] = []
            for (i, item) in try nonEmptyArray(value, path).enumerated() {
                let level = try string(item, "\(path)[\(i)]")
                guard !level.isEmpty, level.utf8.count <= 256, !level.contains(where: { $0 == "*" || $0 == "?" || $0.isWhitespace }) else {
                    throw error(.invalidValue, "\(path)[\(i)]", "a level is an exact name such as debug, without wildcards or spaces")
                }
                levels.append(level)
            }
            return levels
        }

        func retention(_ value: JSONValue, _ path: String) throws(PolicyError) -> RetentionPeriod? {
            let text = try string(value, path)
            if text == "forever" { return nil }
            guard let (count, unit) = RetentionPeriod.components(of: text) else {
                throw error(
                    .invalidValue, path,
                    "'\(text.prefix(64))' is not a period; use a number and d, w, mo or y (e.g. 7y), or forever"
                )
            }
            guard count <= unit.maximumCount else {
                throw error(.invalidValue, path, "'\(text)' is longer than 100 years (\(unit.maximumCount)\(unit.rawValue)); use forever")
            }
            return RetentionPeriod(count: count, unit: unit)
        }

        func erasure(_ value: JSONValue, _ path: String) throws(PolicyError) -> ErasurePolicy {
            let text = try string(value, path)
            guard let policy = ErasurePolicy(rawValue: text) else {
                throw error(.invalidValue, path, "'\(text.prefix(64))' is not keep or erase")
            }
            return policy
        }

        func holds(_ value: JSONValue) throws(PolicyError) -> [Hold] {
            var holds: [Hold] = []
            var seen: [String: Int] = [:]
            for (i, item) in try array(value, "holds").enumerated() {
                let path = "holds[\(i)]"
                let object = try self.object(item, path, allowed: Self.holdMembers)
                let id = try object["id"].map { (value) throws(PolicyError) in try identifier(value, "\(path).id", what: "a hold id") } ?? "hold-\(i + 1)"
                if let earlier = seen[id] {
                    throw error(.invalidValue, object["id"] == nil ? path : "\(path).id", "'\(id)' is already the id of holds[\(earlier)]")
                }
                seen[id] = i
                let customer = try object["customer"].map { (value) throws(PolicyError) in try identifierString(value, "\(path).customer") }
                let transaction = try object["transaction"].map { (value) throws(PolicyError) in try identifierString(value, "\(path).transaction") }
                guard customer != nil || transaction != nil else {
                    throw error(.missingMember, path, "a hold needs customer, transaction or both, to say which records it keeps")
                }
                let reason = try text(required(object, "reason", in: path), "\(path).reason")
                let until = try object["until"].flatMap { (value) throws(PolicyError) in try self.until(value, "\(path).until") }
                holds.append(Hold(id: id, customer: customer, transaction: transaction, reason: reason, until: until))
            }
            return holds
        }

        /// `null`, a date (held through that day in UTC, so the next midnight) or an RFC 3339 date-time.
        func until(_ value: JSONValue, _ path: String) throws(PolicyError) -> Timestamp? {
            if value == .null { return nil }
            let text = try string(value, path)
            let isDate = text.utf8.count == 10
            switch Timestamp.parse(isDate ? text + "T00:00:00Z" : text) {
            case .success(let start):
                guard isDate else { return start }
                return RetentionPeriod(count: 1, unit: .days).added(to: start)
            case .failure(let failure):
                throw error(
                    .invalidValue, path,
                    "'\(text.prefix(64))' is not a date (YYYY-MM-DD) or an RFC 3339 date-time: \(failure.reason)"
                )
            }
        }

        // MARK: Typed access

        /// The line of a member, or of the nearest enclosing member the parser recorded (YAML flow
        /// sequences record no lines for their items), or 1.
        func line(_ field: String) -> Int {
            var path = Substring(field)
            while true {
                if let line = lines[String(path)] { return line }
                guard let cut = path.lastIndex(where: { $0 == "." || $0 == "[" }) else { return 1 }
                path = path[..<cut]
            }
        }

        func error(_ code: PolicyError.Code, _ field: String, _ message: String) -> PolicyError {
            PolicyError(code: code, message: message, source: source, line: line(field), field: field)
        }

        func checkMembers(_ object: JSONObject, _ path: String, allowed: [String]) throws(PolicyError) {
            for key in object.keys where !allowed.contains(key) {
                throw error(
                    .unknownMember, path.isEmpty ? key : "\(path).\(key)",
                    "unknown member; expected one of \(allowed.joined(separator: ", "))"
                )
            }
        }

        func required(_ object: JSONObject, _ key: String, in path: String) throws(PolicyError) -> JSONValue {
            guard let value = object[key] else {
                throw error(.missingMember, path.isEmpty ? key : "\(path).\(key)", "'\(key)' is required")
            }
            return value
        }

        func object(_ value: JSONValue, _ path: String, allowed: [String]) throws(PolicyError) -> JSONObject {
            guard case .object(let object) = value else { throw mistyped(value, path, "a mapping") }
            try checkMembers(object, path, allowed: allowed)
            return object
        }

        func array(_ value: JSONValue, _ path: String) throws(PolicyError) -> [JSONValue] {
            guard case .array(let array) = value else { throw mistyped(value, path, "a list") }
            return array
        }

        func nonEmptyArray(_ value: JSONValue, _ path: String) throws(PolicyError) -> [JSONValue] {
            let array = try array(value, path)
            guard !array.isEmpty else { throw error(.invalidValue, path, "the list is empty; give at least one item") }
            return array
        }

        func string(_ value: JSONValue, _ path: String) throws(PolicyError) -> String {
            guard case .string(let string) = value else { throw mistyped(value, path, "a string") }
            return string
        }

        /// A string with something other than white space in it.
        func text(_ value: JSONValue, _ path: String) throws(PolicyError) -> String {
            let text = try string(value, path)
            guard text.contains(where: { !$0.isWhitespace }) else { throw error(.invalidValue, path, "cannot be empty") }
            return text
        }

        /// A policy name, category name or hold id: 1 to 64 characters from `A-Z a-z 0-9 . _ -`.
        func identifier(_ value: JSONValue, _ path: String, what: String) throws(PolicyError) -> String {
            let name = try string(value, path)
            let valid = (1...64).contains(name.utf8.count)
                && name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0) }
            guard valid else {
                throw error(.invalidValue, path, "'\(name.prefix(64))' is not \(what): use 1 to 64 letters, digits, '.', '_' or '-'")
            }
            return name
        }

        /// A customer code or transaction id as events carry them: 1 to 256 bytes, no control characters.
        func identifierString(_ value: JSONValue, _ path: String) throws(PolicyError) -> String {
            let text = try string(value, path)
            guard (1...256).contains(text.utf8.count), !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
                throw error(.invalidValue, path, "must be 1 to 256 bytes without control characters, as in the events")
            }
            return text
        }

        func mistyped(_ value: JSONValue, _ path: String, _ expected: String) -> PolicyError {
            // YAML reads unquoted digits as a number; the fix for an identifier is quoting it.
            let hint = expected == "a string" && value.numberValue != nil ? " (put it in quotes)" : ""
            return error(.invalidValue, path, "must be \(expected), found \(value.typeName)\(hint)")
        }
    }
}
