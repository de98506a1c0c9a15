#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The few POSIX calls ``ScriptBundle/load(directory:version:)`` needs (no
/// Foundation: its ICU clashes with libxml2's in modules that import IVRWire).
enum FileSystem {
    enum Kind: Equatable {
        case file, directory, other, missing
    }

    /// A failed system call, named.
    struct Failure: Error {
        var message: String

        static func last(_ call: String) -> Failure {
            Failure(message: "\(call): \(String(cString: strerror(errno)))")
        }
    }

    static func kind(of path: String, followLinks: Bool) -> Kind {
        var info = stat()
        let rc = followLinks ? stat(path, &info) : lstat(path, &info)
        guard rc == 0 else { return .missing }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .directory
        default: return .other
        }
    }

    /// The names in a directory, without `.` and `..`, sorted.
    static func entries(of path: String) throws(Failure) -> [String] {
        guard let dir = opendir(path) else { throw .last("opendir") }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// A whole file's bytes.
    static func contents(of path: String) throws(Failure) -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw .last("open") }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .last("read")
            }
            if n == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<n])
        }
    }
}
