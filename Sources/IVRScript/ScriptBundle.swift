import FoundationEssentials

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

    public init(directory: String, version: Int, files: [String: [UInt8]]) {
        self.version = version
        self.directory = directory
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

    /// Reads every `*.lua` file under `directory`.
    ///
    /// - Throws: ``ScriptBundleError`` when the directory or one of its files cannot be read.
    public static func load(directory: String, version: Int) throws -> ScriptBundle {
        let fm = FileManager.default
        var isDirectory = false
        guard fm.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory else {
            throw ScriptBundleError(path: directory, problem: "not a readable directory")
        }
        let paths: [String]
        do {
            paths = try fm.subpathsOfDirectory(atPath: directory)
        } catch {
            throw ScriptBundleError(path: directory, problem: "cannot list it (\(error))")
        }
        var files: [String: [UInt8]] = [:]
        let root = URL(fileURLWithPath: directory, isDirectory: true)
        for path in paths where path.hasSuffix(".lua") {
            let full = root.appendingPathComponent(path).path
            var isDir = false
            guard fm.fileExists(atPath: full, isDirectory: &isDir), !isDir else { continue }
            guard let data = fm.contents(atPath: full) else {
                throw ScriptBundleError(path: full, problem: "cannot read it")
            }
            files[path] = [UInt8](data)
        }
        return ScriptBundle(directory: directory, version: version, files: files)
    }
}

/// A scripts directory that could not be read.
public struct ScriptBundleError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var problem: String

    public var description: String { "scripts directory '\(path)': \(problem)" }
}
