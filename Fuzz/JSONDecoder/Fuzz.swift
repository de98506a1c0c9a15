// libFuzzer target: the strict JSON parser and the JSON request decoder.
import IVRWire


let fuzzOne: FuzzTarget = { data, size in
    let body = UnsafeRawBufferPointer(start: data, count: size)
    _ = try? JSON.parse(body)
    _ = try? WireCodec.decodeRequest(body, contentType: "application/json", maxBytes: 65536)
    return 0
}
