import Dispatch
import Foundation
import IVRWire
import Synchronization

/// One request/response pair as `serve --record` keeps it.
public struct RecordedExchange: Sendable {
    /// Unix time of the request's arrival, in milliseconds.
    public var timestamp: Int64
    public var route: String
    public var format: WireFormat
    public var request: [UInt8]
    public var status: Int
    public var response: [UInt8]
    /// Server time from arrival to answer, in microseconds.
    public var micros: Int64
}

/// Appends exchanges to a JSONL file (`serve --record FILE.jsonl`) without
/// slowing the request path: callers only append to an in-memory batch; one
/// background thread formats and writes batches, and ``close()`` flushes.
///
/// Each line: `{"ts":…,"route":"main","format":"json","request":"…","status":200,"response":"…","micros":…}`.
public final class ExchangeRecorder: Sendable {
    private struct Pending {
        var batch: [RecordedExchange] = []
        var closed = false
    }
    private let pending = Mutex(Pending())
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let file: FileHandle
    public let path: String

    /// Opens (creating or appending to) `path` and starts the writer thread.
    public init(path: String) throws {
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw RecorderError("cannot create \(path)")
            }
        }
        guard let file = FileHandle(forWritingAtPath: path) else { throw RecorderError("cannot open \(path) for writing") }
        file.seekToEndOfFile()
        self.file = file
        self.path = path
        let thread = Thread { [self] in writeLoop() }
        thread.name = "ivr-recorder"
        thread.start()
    }

    /// Queues one exchange; cheap, never blocks on I/O.
    public func record(_ exchange: RecordedExchange) {
        let first = pending.withLock { p -> Bool in
            guard !p.closed else { return false }
            p.batch.append(exchange)
            return p.batch.count == 1
        }
        if first { wake.signal() }
    }

    /// Writes everything queued so far and closes the file. Later records are dropped.
    public func close() {
        let wasOpen = pending.withLock { p -> Bool in
            defer { p.closed = true }
            return !p.closed
        }
        guard wasOpen else { return }
        wake.signal()
        finished.wait()
    }

    private func writeLoop() {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 16)
        while true {
            wake.wait()
            let (batch, closed) = pending.withLock { p -> ([RecordedExchange], Bool) in
                defer { p.batch.removeAll(keepingCapacity: true) }
                return (p.batch, p.closed)
            }
            for exchange in batch { Self.appendLine(exchange, to: &buffer) }
            if !buffer.isEmpty {
                file.write(Data(buffer))
                buffer.removeAll(keepingCapacity: true)
            }
            if closed {
                try? file.synchronize()
                try? file.close()
                finished.signal()
                return
            }
        }
    }

    /// The JSON line of one exchange.
    static func appendLine(_ e: RecordedExchange, to out: inout [UInt8]) {
        out.append(contentsOf: Array(#"{"ts":"#.utf8))
        out.append(contentsOf: Array(String(e.timestamp).utf8))
        out.append(contentsOf: Array(#","route":"#.utf8))
        JSON.appendString(e.route, to: &out)
        out.append(contentsOf: Array(#","format":"#.utf8))
        JSON.appendString(e.format.rawValue, to: &out)
        out.append(contentsOf: Array(#","request":"#.utf8))
        JSON.appendString(String(decoding: e.request, as: UTF8.self), to: &out)
        out.append(contentsOf: Array(#","status":"#.utf8))
        out.append(contentsOf: Array(String(e.status).utf8))
        out.append(contentsOf: Array(#","response":"#.utf8))
        JSON.appendString(String(decoding: e.response, as: UTF8.self), to: &out)
        out.append(contentsOf: Array(#","micros":"#.utf8))
        out.append(contentsOf: Array(String(e.micros).utf8))
        out.append(contentsOf: Array("}\n".utf8))
    }
}

/// The record file could not be opened.
public struct RecorderError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
