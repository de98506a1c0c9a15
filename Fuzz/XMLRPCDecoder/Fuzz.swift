// libFuzzer target: the XML-RPC request decoder (libxml2 SAX2 events into a
// request), as the server runs it on a body that starts with '<'.
import IVRWire


let fuzzOne: FuzzTarget = { data, size in
    let body = UnsafeRawBufferPointer(start: data, count: size)
    _ = try? XMLRPC.parseMethodCall(body, maxBytes: 65536)
    _ = try? WireCodec.decodeRequest(body, contentType: "text/xml", maxBytes: 65536)
    return 0
}
