// swift-tools-version:6.2
import PackageDescription

let upcoming: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "agenttail",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "agenttail", targets: ["agenttail"]),
        .library(name: "AgentTail", targets: ["AgentTail"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        // AsyncHTTPClient's own TLS stack, named here to configure trust roots.
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        // Insecure.SHA1 for name-based (version 5) UUIDs.
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        // Aligned tables in reports.
        .package(url: "https://github.com/ordo-one/TextTable", from: "0.0.2"),
        // `/metrics`: the instruments, and their Prometheus exposition.
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // `agenttail mcp`: the Model Context Protocol over stdio and streamable HTTP.
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", from: "0.12.1"),
    ],
    targets: [
        // The leaf: JSON scanning and writing, timestamp formats and name-based ids, which know nothing of logs,
        // rows or sinks. Everything else depends on it, never the other way.
        .target(
            name: "AgentTailCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: upcoming
        ),
        .target(
            name: "AgentTail",
            dependencies: [
                "AgentTailCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "TextTable", package: "TextTable"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            resources: [
                .copy("Resources/rules"), .copy("Resources/secrets"), .copy("Resources/pricing"),
                .copy("Resources/dashboard"),
            ],
            swiftSettings: upcoming,
            plugins: ["BuildInfo"]
        ),
        // `agenttail mcp`: the store's records as MCP tools. Apart from the library so that only the command that
        // speaks the protocol carries it.
        .target(
            name: "AgentTailMCP",
            dependencies: [
                "AgentTail",
                "AgentTailCore",
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: upcoming
        ),
        // The commit the binary was built from, for --version.
        .plugin(name: "BuildInfo", capability: .buildTool()),
        .executableTarget(
            name: "agenttail",
            dependencies: [
                "AgentTail",
                "AgentTailMCP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: upcoming
        ),
        // The benchmark's decoding floors (scripts/bench.sh).
        .executableTarget(
            name: "agenttail-floors",
            dependencies: ["AgentTail", "AgentTailCore"],
            swiftSettings: upcoming
        ),
        .target(
            name: "AgentTailTestSupport",
            dependencies: ["AgentTail", .product(name: "GRDB", package: "GRDB.swift")],
            path: "Tests/AgentTailTestSupport",
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "AgentTailTests",
            dependencies: [
                "AgentTail",
                "AgentTailCore",
                "AgentTailTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            exclude: ["Fixtures"],
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "AgentTailIntegrationTests",
            dependencies: [
                "AgentTail",
                "AgentTailCore",
                "AgentTailTestSupport",
                "agenttail",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ],
            swiftSettings: upcoming
        ),
    ]
)
