// swift-tools-version:6.1

import PackageDescription

let package = Package(
    name: "auditq",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "auditq", targets: ["auditq"]),
        .library(name: "AuditStore", targets: ["AuditStore"]),
        .library(name: "AuditRedaction", targets: ["AuditRedaction"]),
        .library(name: "AuditRetention", targets: ["AuditRetention"]),
        .library(name: "AuditLogging", targets: ["AuditLogging"]),
        .executable(name: "example-service", targets: ["example-service"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.7.3"),
    ],
    targets: [
        // C libraries, bound at the edge.
        .systemLibrary(
            name: "CAuditCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"]), .brew(["openssl@3"])]
        ),
        .systemLibrary(
            name: "CAuditZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]
        ),
        .systemLibrary(
            name: "CAuditDeflate",
            pkgConfig: "libdeflate",
            providers: [.apt(["libdeflate-dev"]), .brew(["libdeflate"])]
        ),

        // Multi-buffer SHA-256 (AVX2 / AVX-512 with runtime dispatch), for batches of independent hashes.
        .target(name: "CAuditMultiHash"),

        // Safe Swift wrappers over the C libraries.
        .target(name: "AuditCrypto", dependencies: ["CAuditCrypto", "CAuditMultiHash"]),
        .target(name: "AuditCompression", dependencies: ["CAuditZlib", "CAuditDeflate"]),

        // The event, JSON and its canonical encoding.
        .target(name: "AuditModel", dependencies: ["AuditCrypto"]),

        // Secrets out before anything is queued or written.
        .target(name: "AuditRedaction", dependencies: ["AuditModel"]),

        // The append-only, hash-chained, signed segment store.
        .target(name: "AuditStore", dependencies: ["AuditModel", "AuditCrypto", "AuditCompression", "AuditRedaction"]),

        // Lookups: index-driven search of sealed segments, scans of the open segment.
        .target(name: "AuditQuery", dependencies: ["AuditStore", "AuditModel", "AuditCrypto", "AuditCompression"]),

        // Independent verification of a store.
        .target(name: "AuditVerify", dependencies: ["AuditStore", "AuditModel", "AuditCrypto", "AuditCompression"]),

        // Retention policies, expiry and GDPR/NDPR erasure.
        .target(name: "AuditRetention", dependencies: ["AuditStore", "AuditQuery", "AuditModel", "AuditCrypto", "AuditCompression"]),

        // The swift-log backend and the typed audit API that services link.
        .target(
            name: "AuditLogging",
            dependencies: [
                "AuditStore", "AuditModel", "AuditRedaction",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Instrumentation", package: "swift-distributed-tracing"),
            ]
        ),

        // A simulated payments integration that logs through AuditLogging.
        .executableTarget(
            name: "example-service",
            dependencies: [
                "AuditLogging", "AuditStore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Instrumentation", package: "swift-distributed-tracing"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Examples/example-service"
        ),

        // The command line.
        .executableTarget(
            name: "auditq",
            dependencies: [
                "AuditStore", "AuditVerify", "AuditRedaction", "AuditModel", "AuditCrypto", "AuditQuery", "AuditRetention",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Long-running throughput benchmarks (not unit tests): `swift run -c release auditq-bench --help`.
        .executableTarget(
            name: "auditq-bench",
            dependencies: [
                "AuditStore", "AuditVerify", "AuditRedaction", "AuditModel", "AuditCrypto", "AuditCompression",
                "AuditLogging", "AuditQuery",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Shared by the test targets: temporary directories, seeded randomness, schema validation.
        .target(name: "AuditTestSupport", path: "Tests/AuditTestSupport"),

        .testTarget(name: "AuditCryptoTests", dependencies: ["AuditCrypto", "AuditTestSupport"]),
        .testTarget(name: "AuditCompressionTests", dependencies: ["AuditCompression", "AuditTestSupport"]),
        .testTarget(name: "AuditModelTests", dependencies: ["AuditModel", "AuditTestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "AuditRedactionTests", dependencies: ["AuditRedaction", "AuditModel"], resources: [.copy("Corpus")]),
        .testTarget(name: "AuditStoreTests", dependencies: ["AuditStore", "AuditModel", "AuditCrypto", "AuditCompression", "AuditTestSupport"], resources: [.copy("Golden")]),
        .testTarget(name: "AuditVerifyTests", dependencies: ["AuditVerify", "AuditStore", "AuditModel", "AuditCrypto", "AuditCompression", "AuditTestSupport"], exclude: ["Golden"]),
        .testTarget(
            name: "AuditLoggingTests",
            dependencies: [
                "AuditLogging", "AuditStore", "AuditModel", "AuditRedaction", "AuditVerify", "AuditTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Instrumentation", package: "swift-distributed-tracing"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ]
        ),
        .testTarget(name: "AuditQueryTests", dependencies: ["AuditQuery", "AuditVerify", "AuditStore", "AuditModel", "AuditCrypto", "AuditTestSupport"]),
        .testTarget(
            name: "AuditRetentionTests",
            dependencies: ["AuditRetention", "AuditStore", "AuditVerify", "AuditQuery", "AuditModel", "AuditCrypto", "AuditCompression", "AuditTestSupport"]
        ),
        .testTarget(name: "auditqTests", dependencies: ["AuditStore", "AuditModel", "AuditTestSupport"]),
    ]
)

for target in package.targets where target.type != .system {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    target.swiftSettings = settings
}
