import IVRWire

/// A request body as Voicenter sends it, in either format.
public enum CallRequest {
    /// XML-RPC: a `methodCall` whose one param is the struct of `fields`;
    /// JSON: `{"METHOD": …, "DATA": {fields}}`.
    public static func encode(_ method: IVRMethod, _ fields: [WireMember], as format: WireFormat) -> [UInt8] {
        let data = WireValue.structure(fields)
        switch format {
        case .xml: return XMLRPC.encodeMethodCall(method.rawValue, params: [data])
        case .json:
            return JSON.encode(.structure([WireMember("METHOD", .string(method.rawValue)), WireMember("DATA", data)]))
        }
    }
}
