import Instrumentation

enum RequestIDKey: ServiceContextKey {
    typealias Value = String
    static var nameOverride: String? { AuditMetadataKey.requestID }
}

enum TransactionIDKey: ServiceContextKey {
    typealias Value = String
    static var nameOverride: String? { AuditMetadataKey.transactionID }
}

enum CustomerCodeKey: ServiceContextKey {
    typealias Value = String
    static var nameOverride: String? { AuditMetadataKey.customerCode }
}

enum CorrelationIDKey: ServiceContextKey {
    typealias Value = String
    static var nameOverride: String? { AuditMetadataKey.correlationID }
}

extension ServiceContext {
    /// The request being served; logged as `request_id`.
    public var requestID: String? {
        get { self[RequestIDKey.self] }
        set { self[RequestIDKey.self] = newValue }
    }

    /// The payment or business transaction; logged as `transaction_id`.
    public var transactionID: String? {
        get { self[TransactionIDKey.self] }
        set { self[TransactionIDKey.self] = newValue }
    }

    /// The customer; logged as `customer_code`.
    public var customerCode: String? {
        get { self[CustomerCodeKey.self] }
        set { self[CustomerCodeKey.self] = newValue }
    }

    /// A trace or correlation id; logged as `correlation_id`.
    public var correlationID: String? {
        get { self[CorrelationIDKey.self] }
        set { self[CorrelationIDKey.self] = newValue }
    }
}
