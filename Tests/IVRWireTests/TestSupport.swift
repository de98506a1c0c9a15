import IVRWire
import Testing

/// The ``WireError`` `body` throws, or nil when it returns.
func wireError<T>(_ body: () throws -> T, sourceLocation: SourceLocation = #_sourceLocation) -> WireError? {
    do {
        _ = try body()
        return nil
    } catch let error as WireError {
        return error
    } catch {
        Issue.record("not a WireError: \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

extension String {
    var bytes: [UInt8] { Array(utf8) }
}

extension Array where Element == UInt8 {
    var text: String { String(decoding: self, as: UTF8.self) }
}

func decode(_ text: String, contentType: String? = nil, maxBytes: Int = 65536) throws(WireError) -> IVRRequest {
    try WireCodec.decodeRequest(text.bytes, contentType: contentType, maxBytes: maxBytes)
}

func parseJSON(_ bytes: [UInt8], maxDepth: Int = 64) throws(WireError) -> WireValue {
    let result = bytes.withUnsafeBytes { raw in
        Result { () throws(WireError) in try JSON.parse(raw, maxDepth: maxDepth) }
    }
    return try result.get()
}

func parseJSON(_ text: String, maxDepth: Int = 64) throws(WireError) -> WireValue {
    try parseJSON(text.bytes, maxDepth: maxDepth)
}

func parseResponse(_ bytes: [UInt8], maxBytes: Int = 65536) throws(WireError) -> WireValue {
    let result = bytes.withUnsafeBytes { raw in
        Result { () throws(WireError) in try XMLRPC.parseMethodResponse(raw, maxBytes: maxBytes) }
    }
    return try result.get()
}

func parseResponse(_ text: String) throws(WireError) -> WireValue {
    try parseResponse(text.bytes)
}

func parseCall(_ bytes: [UInt8], maxBytes: Int = 65536) throws(WireError) -> (methodName: String, params: [WireValue]) {
    let result = bytes.withUnsafeBytes { raw in
        Result { () throws(WireError) in try XMLRPC.parseMethodCall(raw, maxBytes: maxBytes) }
    }
    return try result.get()
}

func parseCall(_ text: String) throws(WireError) -> (methodName: String, params: [WireValue]) {
    try parseCall(text.bytes)
}

/// A methodCall with `members` as the struct of its one param, written by hand.
func methodCall(_ method: String, _ members: [(String, String)]) -> String {
    var xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<methodCall><methodName>\(method)</methodName><params><param><value><struct>"
    for (name, value) in members {
        xml += "<member><name>\(name)</name><value>\(value)</value></member>"
    }
    return xml + "</struct></value></param></params></methodCall>"
}

/// A `<value>` in a one-member struct, decoded through the whole request path.
func decodeMember(_ valueXML: String) throws(WireError) -> WireValue? {
    let xml = methodCall("GET_IVR_ACTION", [("IVR_UNIQUE_ID", "<string>abc</string>"), ("X", valueXML)])
    return try decode(xml).fields["X"]
}

extension WireValue {
    /// The value with every struct's members sorted by name, to compare
    /// documents whose member order differs (Voicenter's examples vary it).
    var sortedMembers: WireValue {
        switch self {
        case .array(let items): return .array(items.map(\.sortedMembers))
        case .structure(let members):
            return .structure(members.map { WireMember($0.name, $0.value.sortedMembers) }.sorted { $0.name < $1.name })
        default: return self
        }
    }
}

/// A tiny struct builder: `obj(("A", .int(1)))`.
func obj(_ members: (String, WireValue)...) -> WireValue {
    .structure(members.map { WireMember($0.0, $0.1) })
}

import Foundation

func writeFile(_ path: String, _ content: String) throws {
    try content.write(toFile: path, atomically: true, encoding: .utf8)
}

func removeFile(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
}
