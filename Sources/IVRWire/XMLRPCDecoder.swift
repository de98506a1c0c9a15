internal import CLibXML2

/// XML-RPC (xmlrpc.com) as Voicenter speaks it, read with libxml2 and written by hand.
public enum XMLRPC {
    /// The deepest nesting of `<struct>`/`<array>` values accepted.
    static let maxDepth = 64

    /// Parses a `<methodCall>`: its method name and the values of its params.
    ///
    /// Liberal in what it reads: a `<value>` without a type element is a string
    /// (kept as written, whitespace included); `<i4>`, `<i8>` and `<int>` are
    /// 64-bit; `<nil/>` is ``WireValue/null``; `<dateTime.iso8601>` is kept as
    /// its text; `<base64>` becomes the decoded text when that is UTF-8.
    ///
    /// - Throws: ``WireError`` `.tooLarge` over `maxBytes`; `.missingMethod`
    ///   without `<methodName>`; `.malformed` (format `.xml`) for everything else.
    public static func parseMethodCall(
        _ body: UnsafeRawBufferPointer, maxBytes: Int
    ) throws(WireError) -> (methodName: String, params: [WireValue]) {
        try LibXML.parse(body, maxBytes: maxBytes) { root throws(WireError) in
            guard LibXML.isElement(root, named: "methodCall") else {
                throw malformed("the root element is <\(LibXML.name(of: root))>, expected <methodCall>")
            }
            var methodName: String?
            var params: [WireValue] = []
            var next = try LibXML.firstElement(root.pointee.children, in: root)
            while let child = next {
                if LibXML.isElement(child, named: "methodName") {
                    methodName = try LibXML.text(of: child).trimmingASCIIWhitespace()
                } else if LibXML.isElement(child, named: "params") {
                    params = try XMLRPCTree.params(child)
                } else {
                    throw malformed("unexpected <\(LibXML.name(of: child))> in <methodCall>")
                }
                next = try LibXML.firstElement(child.pointee.next, in: root)
            }
            guard let methodName, !methodName.isEmpty else {
                throw WireError(.missingMethod, format: .xml, "missing <methodName>")
            }
            return (methodName, params)
        }
    }

    /// Parses a `<methodResponse>` into its single value; a `<fault>` becomes
    /// its struct (`faultCode`, `faultString`).
    public static func parseMethodResponse(_ body: UnsafeRawBufferPointer, maxBytes: Int) throws(WireError) -> WireValue {
        try LibXML.parse(body, maxBytes: maxBytes) { root throws(WireError) in
            guard LibXML.isElement(root, named: "methodResponse") else {
                throw malformed("the root element is <\(LibXML.name(of: root))>, expected <methodResponse>")
            }
            guard let child = try LibXML.firstElement(root.pointee.children, in: root),
                  try LibXML.firstElement(child.pointee.next, in: root) == nil else {
                throw malformed("<methodResponse> must hold exactly one <params> or <fault>")
            }
            if LibXML.isElement(child, named: "params") {
                let params = try XMLRPCTree.params(child)
                guard params.count == 1 else { throw malformed("a <methodResponse> must have exactly one <param>") }
                return params[0]
            }
            if LibXML.isElement(child, named: "fault") {
                guard let value = try LibXML.onlyElement(of: child, named: "value") else {
                    throw malformed("<fault> must hold one <value>")
                }
                return try XMLRPCTree.value(value, member: nil, depth: 0)
            }
            throw malformed("unexpected <\(LibXML.name(of: child))> in <methodResponse>")
        }
    }

    static func malformed(_ message: String) -> WireError {
        WireError(.malformed, format: .xml, "malformed XML-RPC: \(message)")
    }
}

/// Turns libxml2 nodes into ``WireValue``s, one small function per XML-RPC type.
enum XMLRPCTree {
    /// The values of the `<param>`s inside `<params>`.
    static func params(_ params: XMLNodePointer) throws(WireError) -> [WireValue] {
        var values: [WireValue] = []
        var next = try LibXML.firstElement(params.pointee.children, in: params)
        while let param = next {
            guard LibXML.isElement(param, named: "param") else {
                throw XMLRPC.malformed("unexpected <\(LibXML.name(of: param))> in <params>")
            }
            guard let inner = try LibXML.onlyElement(of: param, named: "value") else {
                throw XMLRPC.malformed("<param> must hold one <value>")
            }
            values.append(try value(inner, member: nil, depth: 0))
            next = try LibXML.firstElement(param.pointee.next, in: params)
        }
        return values
    }

    /// Decodes a `<value>` element. `member` names the enclosing struct member, for messages.
    static func value(_ node: XMLNodePointer, member: String?, depth: Int) throws(WireError) -> WireValue {
        var typed: XMLNodePointer?
        var hasText = false
        var child = node.pointee.children
        while let c = child {
            if c.pointee.type == XML_ELEMENT_NODE {
                guard typed == nil else { throw XMLRPC.malformed("<value> holds more than one element\(where: member)") }
                typed = c
            } else if LibXML.isText(c) && !LibXML.isBlankText(c) {
                hasText = true
            }
            child = c.pointee.next
        }
        // No type element: the text is a string, whitespace and all.
        guard let typed else { return .string(try LibXML.text(of: node)) }
        guard !hasText else { throw XMLRPC.malformed("<value> mixes text and <\(LibXML.name(of: typed))>\(where: member)") }

        if LibXML.isElement(typed, named: "string") { return .string(try LibXML.text(of: typed)) }
        if LibXML.isElement(typed, named: "int") || LibXML.isElement(typed, named: "i4")
            || LibXML.isElement(typed, named: "i8") {
            return .int(try integer(typed, member: member))
        }
        if LibXML.isElement(typed, named: "struct") { return try structure(typed, depth: depth + 1) }
        if LibXML.isElement(typed, named: "array") { return try array(typed, member: member, depth: depth + 1) }
        if LibXML.isElement(typed, named: "boolean") { return .bool(try boolean(typed, member: member)) }
        if LibXML.isElement(typed, named: "nil") { return .null }
        if LibXML.isElement(typed, named: "double") { return .double(try double(typed, member: member)) }
        if LibXML.isElement(typed, named: "dateTime.iso8601") { return .string(try LibXML.text(of: typed)) }
        if LibXML.isElement(typed, named: "base64") { return .string(try base64(typed, member: member)) }
        throw XMLRPC.malformed("unknown type <\(LibXML.name(of: typed))>\(where: member)")
    }

    static func structure(_ node: XMLNodePointer, depth: Int) throws(WireError) -> WireValue {
        guard depth <= XMLRPC.maxDepth else { throw XMLRPC.malformed("nesting deeper than \(XMLRPC.maxDepth) levels") }
        var members: [WireMember] = []
        var nextMember = try LibXML.firstElement(node.pointee.children, in: node)
        while let memberNode = nextMember {
            nextMember = try LibXML.firstElement(memberNode.pointee.next, in: node)
            guard LibXML.isElement(memberNode, named: "member") else {
                throw XMLRPC.malformed("unexpected <\(LibXML.name(of: memberNode))> in <struct>")
            }
            var name: String?
            var valueNode: XMLNodePointer?
            var nextPart = try LibXML.firstElement(memberNode.pointee.children, in: memberNode)
            while let part = nextPart {
                nextPart = try LibXML.firstElement(part.pointee.next, in: memberNode)
                if LibXML.isElement(part, named: "name") {
                    guard name == nil else { throw XMLRPC.malformed("<member> has two <name>s") }
                    name = try LibXML.text(of: part)
                } else if LibXML.isElement(part, named: "value") {
                    guard valueNode == nil else { throw XMLRPC.malformed("<member> has two <value>s") }
                    valueNode = part
                } else {
                    throw XMLRPC.malformed("unexpected <\(LibXML.name(of: part))> in <member>")
                }
            }
            guard let name else { throw XMLRPC.malformed("<member> without <name>") }
            guard let valueNode else { throw XMLRPC.malformed("member '\(name)' has no <value>") }
            members.append(WireMember(name, try value(valueNode, member: name, depth: depth)))
        }
        return .structure(members)
    }

    static func array(_ node: XMLNodePointer, member: String?, depth: Int) throws(WireError) -> WireValue {
        guard depth <= XMLRPC.maxDepth else { throw XMLRPC.malformed("nesting deeper than \(XMLRPC.maxDepth) levels") }
        guard let data = try LibXML.onlyElement(of: node, named: "data") else {
            throw XMLRPC.malformed("<array> must hold one <data>\(where: member)")
        }
        var items: [WireValue] = []
        var next = try LibXML.firstElement(data.pointee.children, in: data)
        while let valueNode = next {
            next = try LibXML.firstElement(valueNode.pointee.next, in: data)
            guard LibXML.isElement(valueNode, named: "value") else {
                throw XMLRPC.malformed("unexpected <\(LibXML.name(of: valueNode))> in <data>\(where: member)")
            }
            items.append(try value(valueNode, member: member, depth: depth))
        }
        return .array(items)
    }

    // MARK: Scalars

    static func integer(_ node: XMLNodePointer, member: String?) throws(WireError) -> Int64 {
        let text = try LibXML.text(of: node)
        let trimmed = text.trimmingASCIIWhitespace()
        if let value = Int64(trimmed) { return value }
        let digits = trimmed.utf8.drop(while: { $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "+") })
        let numeric = !digits.isEmpty && digits.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        let problem = numeric ? "out of the 64-bit range" : "not an integer"
        throw XMLRPC.malformed("<\(LibXML.name(of: node))> '\(trimmed)' is \(problem)\(where: member)")
    }

    static func boolean(_ node: XMLNodePointer, member: String?) throws(WireError) -> Bool {
        switch try LibXML.text(of: node).trimmingASCIIWhitespace() {
        case "1", "true": return true
        case "0", "false": return false
        case let other: throw XMLRPC.malformed("<boolean> '\(other)' is not 0 or 1\(where: member)")
        }
    }

    static func double(_ node: XMLNodePointer, member: String?) throws(WireError) -> Double {
        let trimmed = try LibXML.text(of: node).trimmingASCIIWhitespace()
        guard let value = Double(trimmed), value.isFinite else {
            throw XMLRPC.malformed("<double> '\(trimmed)' is not a finite number\(where: member)")
        }
        return value
    }

    /// The decoded text when it is UTF-8; else the base64 text itself.
    static func base64(_ node: XMLNodePointer, member: String?) throws(WireError) -> String {
        let text = try LibXML.text(of: node)
        guard let bytes = Base64.decode(text) else {
            throw XMLRPC.malformed("<base64> is not valid base64\(where: member)")
        }
        let isUTF8 = bytes.withUnsafeBufferPointer { UTF8Validation.isValid($0) }
        return isUTF8 ? String(decoding: bytes, as: UTF8.self) : text
    }
}

extension DefaultStringInterpolation {
    /// `" in member 'NAME'"`, or nothing outside a struct.
    mutating func appendInterpolation(where member: String?) {
        if let member { appendLiteral(" in member '\(member)'") }
    }
}
