// swift-tools-version:6.0
import Foundation
import PackageDescription

/// One list of settings shared by every Swift target.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "ivr-engine",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ivr-engine", targets: ["ivr-engine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        // C libraries from Debian, one system-library target each.
        .systemLibrary(name: "CMicroHTTPD", pkgConfig: "libmicrohttpd",
                       providers: [.apt(["libmicrohttpd-dev"])]),
        .systemLibrary(name: "CLibXML2", pkgConfig: "libxml-2.0",
                       providers: [.apt(["libxml2-dev"])]),
        .systemLibrary(name: "CLua", pkgConfig: "lua5.4",
                       providers: [.apt(["liblua5.4-dev"])]),
        .systemLibrary(name: "CHiredis", pkgConfig: "hiredis",
                       providers: [.apt(["libhiredis-dev"])]),
        // The few shims that must be C: Lua macros, error trampoline, hook, allocator.
        .target(name: "CLuaShims", dependencies: ["CLua"]),
        // libmicrohttpd's variadic start function and option plumbing.
        .target(name: "CHTTPShims", dependencies: ["CMicroHTTPD"]),

        /// Wire codecs: XML-RPC and JSON, requests and replies. No Lua, no HTTP.
        .target(name: "IVRWire", dependencies: ["CLibXML2"], swiftSettings: swiftSettings),
        /// Per-call state: the store interface and the in-memory store.
        .target(name: "IVRState", swiftSettings: swiftSettings),
        /// The model of a Voicenter call (each request's fields, how a reply moves the call
        /// on) that every tool playing calls shares. No engine, no I/O.
        .target(name: "IVRCallModel", dependencies: ["IVRWire"], swiftSettings: swiftSettings),
        /// Per-call state in Redis (`--state redis://`), shared by several instances.
        .target(name: "IVRRedisState", dependencies: ["CHiredis", "IVRState"], swiftSettings: swiftSettings),
        /// The Lua script engine. No HTTP.
        .target(name: "IVRScript",
                dependencies: ["CLua", "CLuaShims", "IVRWire", "IVRState",
                               .product(name: "Logging", package: "swift-log")],
                swiftSettings: swiftSettings),
        /// `ivr-engine test`'s Lua side: the test files' Lua state, `call{...}`, the checks.
        .target(name: "IVRLuaTest",
                dependencies: ["CLua", "CLuaShims", "IVRScript", "IVRWire", "IVRState", "IVRCallModel"],
                swiftSettings: swiftSettings),
        /// A small HTTP server over libmicrohttpd. Knows nothing of IVR.
        .target(name: "IVRHTTP", dependencies: ["CMicroHTTPD", "CHTTPShims"],
                swiftSettings: swiftSettings),
        /// The application: the request pipeline (decode, dispatch, script, encode).
        .target(name: "IVREngine",
                dependencies: ["IVRWire", "IVRState", "IVRRedisState", "IVRScript", "IVRHTTP",
                               .product(name: "Logging", package: "swift-log")],
                swiftSettings: swiftSettings),
        /// Tooling around the engine: the model of a call (simulate, test, check, replay),
        /// the in-process client, and the replay player (in-process and over HTTP).
        .target(name: "IVRTools",
                dependencies: ["IVREngine", "IVRWire", "IVRState", "IVRScript", "IVRCallModel", "IVRLuaTest",
                               .product(name: "Histogram", package: "hdrhistogram-swift"),
                               .product(name: "Logging", package: "swift-log")],
                swiftSettings: swiftSettings),
        .executableTarget(name: "ivr-engine",
                          dependencies: ["IVREngine", "IVRTools",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser"),
                                         .product(name: "Logging", package: "swift-log")],
                          swiftSettings: swiftSettings),

        .testTarget(name: "IVRWireTests", dependencies: ["IVRWire"], swiftSettings: swiftSettings),
        /// Starts and stops a real redis-server for the tests.
        .target(name: "RedisTestSupport", path: "Tests/RedisTestSupport", swiftSettings: swiftSettings),
        .testTarget(name: "IVRStateTests", dependencies: ["IVRState", "IVRRedisState", "RedisTestSupport"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "IVRScriptTests", dependencies: ["IVRScript", "IVRWire", "IVRState"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "IVRCallModelTests", dependencies: ["IVRCallModel", "IVRWire"], swiftSettings: swiftSettings),
        .testTarget(name: "IVRToolsTests", dependencies: ["IVRTools", "IVRWire"], swiftSettings: swiftSettings),
        .testTarget(name: "IVRServerTests", dependencies: ["IVREngine", "IVRTools", "IVRWire", "IVRHTTP", "IVRRedisState", "RedisTestSupport"],
                    swiftSettings: swiftSettings),
    ]
)

// libFuzzer targets (scripts/fuzz): only with IVR_FUZZ=1, since they link only
// under `-sanitize=fuzzer` (libFuzzer brings main).
if ProcessInfo.processInfo.environment["IVR_FUZZ"] == "1" {
    package.targets += [
        .executableTarget(name: "fuzz-xmlrpc", dependencies: ["IVRWire"], path: "Fuzz/XMLRPCDecoder"),
        .executableTarget(name: "fuzz-json", dependencies: ["IVRWire"], path: "Fuzz/JSONDecoder"),
        .executableTarget(name: "fuzz-pipeline",
                          dependencies: ["IVREngine", "IVRState", .product(name: "Logging", package: "swift-log")],
                          path: "Fuzz/RequestPipeline"),
    ]
}
