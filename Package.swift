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
    ],
    targets: [
        // C libraries from Debian, one system-library target each.
        .systemLibrary(name: "CMicroHTTPD", pkgConfig: "libmicrohttpd",
                       providers: [.apt(["libmicrohttpd-dev"])]),
        .systemLibrary(name: "CLibXML2", pkgConfig: "libxml-2.0",
                       providers: [.apt(["libxml2-dev"])]),
        .systemLibrary(name: "CLua", pkgConfig: "lua5.4",
                       providers: [.apt(["liblua5.4-dev"])]),
        // The few shims that must be C: Lua macros, error trampoline, hook, allocator.
        .target(name: "CLuaShims", dependencies: ["CLua"]),
        // libmicrohttpd's variadic start function and option plumbing.
        .target(name: "CHTTPShims", dependencies: ["CMicroHTTPD"]),

        /// Wire codecs: XML-RPC and JSON, requests and replies. No Lua, no HTTP.
        .target(name: "IVRWire", dependencies: ["CLibXML2"], swiftSettings: swiftSettings),
        /// Per-call state: the store interface and the in-memory store.
        .target(name: "IVRState", swiftSettings: swiftSettings),
        /// The Lua script engine. No HTTP.
        .target(name: "IVRScript",
                dependencies: ["CLua", "CLuaShims", "IVRWire", "IVRState",
                               .product(name: "Logging", package: "swift-log")],
                swiftSettings: swiftSettings),
        /// A small HTTP server over libmicrohttpd. Knows nothing of IVR.
        .target(name: "IVRHTTP", dependencies: ["CMicroHTTPD", "CHTTPShims"],
                swiftSettings: swiftSettings),
        /// The application: the request pipeline (decode, dispatch, script, encode).
        .target(name: "IVREngine",
                dependencies: ["IVRWire", "IVRState", "IVRScript", "IVRHTTP",
                               .product(name: "Logging", package: "swift-log")],
                swiftSettings: swiftSettings),
        .executableTarget(name: "ivr-engine",
                          dependencies: ["IVREngine",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser"),
                                         .product(name: "Logging", package: "swift-log")],
                          swiftSettings: swiftSettings),

        .testTarget(name: "IVRWireTests", dependencies: ["IVRWire"], swiftSettings: swiftSettings),
        .testTarget(name: "IVRStateTests", dependencies: ["IVRState"], swiftSettings: swiftSettings),
        .testTarget(name: "IVRScriptTests", dependencies: ["IVRScript", "IVRWire", "IVRState"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "IVRServerTests", dependencies: ["IVREngine", "IVRWire", "IVRHTTP"],
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
