import ArgumentParser
import Foundation
import IVRHTTP
import Logging

/// How log lines are written on stderr.
enum LogFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case json
}

enum LogSetup {
    /// Installs the process-wide log handler and returns the root logger.
    static func bootstrap(format: LogFormat, level: Logger.Level) -> Logger {
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler
            switch format {
            case .text: handler = TextLogHandler(label: label)
            case .json: handler = JSONLogHandler(label: label)
            }
            handler.logLevel = level
            return handler
        }
        return Logger(label: "ivr-engine")
    }
}

/// One JSON object per line on stderr: ts, level, message, and the metadata.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var object: [String: String] = [
            "ts": String(format: "%.3f", Date().timeIntervalSince1970),
            "level": event.level.rawValue, "message": event.message.description, "label": label,
        ]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
            object[key] = value.description
        }
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
        FileHandle.standardError.write(data + Data([0x0A]))
    }
}

/// One text line per event on stderr: `TIME LEVEL LABEL: MESSAGE key=value ...`.
/// Every value (and the message) has its control characters escaped and is cut
/// to 512 bytes, so nothing a caller sends (an `IVR_UNIQUE_ID` with a newline)
/// can forge or bury a line.
struct TextLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var line = ISO8601DateFormatter.string(from: Date(), timeZone: .gmt, formatOptions: [.withInternetDateTime])
        line += " \(event.level.rawValue) \(label): \(LogSafe.text(event.message.description))"
        let all = metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 })
        for (key, value) in all.sorted(by: { $0.key < $1.key }) {
            line += " \(LogSafe.text(key, limit: 64))=\(LogSafe.text(value.description))"
        }
        line += "\n"
        FileHandle.standardError.write(Data(line.utf8))
    }
}
