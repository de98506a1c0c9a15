
/// An immutable snapshot of a scripts directory: every `*.lua` file under it
/// (recursively), read into memory. Nothing reads the disk after ``load(directory:version:)``.
///
/// `version` identifies the content: a worker keeps what it loaded per version,
/// so two bundles with different files must have different versions.
public struct ScriptBundle: Sendable {
    public let version: Int
    /// The directory as given, e.g. `"sample-menus"`; it prefixes chunk names (`sample-menus/main.lua:12:`).
    public let directory: String
    /// Relative path (`"main.lua"`, `"lib/util.lua"`) to the file's bytes.
    public let files: [String: [UInt8]]
    /// Routes: the NAME of every top-level `DIR/NAME.lua` whose NAME matches `[A-Za-z0-9_-]+`, sorted.
    public let routes: [String]
    private let routeSet: Set<String>

    /// A bundle from files already in memory (tests, `simulate`). Test files
    /// (`*_test.lua`, see ``isTestFile(_:)``) are left out: not routes, not modules.
    public init(directory: String, version: Int, files: [String: [UInt8]]) {
        self.version = version
        self.directory = directory
        let files = files.filter { !Self.isTestFile($0.key) }
        self.files = files
        let names = files.keys.compactMap(Self.routeName(ofPath:))
        self.routes = names.sorted()
        self.routeSet = Set(names)
    }

    /// Whether `name` is one of ``routes``.
    public func hasRoute(_ name: String) -> Bool { routeSet.contains(name) }

    /// The file of route `name`, `NAME.lua`.
    static func routePath(_ name: String) -> String { name + ".lua" }

    /// The chunk name Lua reports for `path`: `"@" + directory + "/" + path`.
    func chunkName(_ path: String) -> String {
        if directory.isEmpty { return "@" + path }
        return directory.hasSuffix("/") ? "@" + directory + path : "@" + directory + "/" + path
    }

    /// The route a top-level file serves, if it is one.
    static func routeName(ofPath path: String) -> String? {
        guard path.hasSuffix(".lua"), !path.contains("/") else { return nil }
        let name = path.dropLast(4)
        guard !name.isEmpty, name.utf8.allSatisfy(isRouteByte) else { return nil }
        return String(name)
    }

    private static func isRouteByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b == 0x2D
    }

    /// Reads every `*.lua` file under `directory` (symlinked files are followed,
    /// symlinked directories are not).
    ///
    /// - Throws: ``ScriptBundleError`` when the directory or one of its files cannot be read.
    public static func load(directory: String, version: Int) throws(ScriptBundleError) -> ScriptBundle {
        guard FileSystem.kind(of: directory, followLinks: true) == .directory else {
            throw ScriptBundleError(path: directory, problem: "not a readable directory")
        }
        var files: [String: [UInt8]] = [:]
        try collect(root: directory, relative: "", depth: 0, into: &files)
        return ScriptBundle(directory: directory, version: version, files: files)
    }

    private static func collect(root: String, relative: String, depth: Int,
                                into files: inout [String: [UInt8]]) throws(ScriptBundleError) {
        let dir = relative.isEmpty ? root : root + "/" + relative
        guard depth < 32 else { throw ScriptBundleError(path: dir, problem: "nested too deep") }
        let names: [String]
        do { names = try FileSystem.entries(of: dir) } catch { throw ScriptBundleError(path: dir, problem: error.message) }
        for name in names {
            let path = relative.isEmpty ? name : relative + "/" + name
            let full = root + "/" + path
            let kind = FileSystem.kind(of: full, followLinks: false)
            if kind == .directory {
                try collect(root: root, relative: path, depth: depth + 1, into: &files)
            } else if name.hasSuffix(".lua"), FileSystem.kind(of: full, followLinks: true) == .file {
                do { files[path] = try FileSystem.contents(of: full) } catch {
                    throw ScriptBundleError(path: full, problem: error.message)
                }
            }
        }
    }
}

/// A scripts directory that could not be read.
public struct ScriptBundleError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var problem: String

    public var description: String { "scripts directory '\(path)': \(problem)" }
}

extension ScriptBundle {
    /// Whether `path` is an operator's test file (`NAME_test.lua`, at any depth),
    /// which `ivr-engine test` runs and the engine neither serves nor loads.
    public static func isTestFile(_ path: String) -> Bool {
        let name = path.split(separator: "/").last ?? Substring(path)
        return name.hasSuffix("_test.lua") && name.count > "_test.lua".count
    }
}
