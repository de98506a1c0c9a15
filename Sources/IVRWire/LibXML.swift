internal import CLibXML2

/// libxml2 is initialised once, before the first parse, whatever thread gets there first.
private let libxml2Initialised: Void = xmlInitParser()

/// A parsed node of libxml2's tree.
typealias XMLNodePointer = UnsafeMutablePointer<xmlNode>

/// The one place that calls libxml2's parser, configured for untrusted input.
enum LibXML {
    /// No network, no entity substitution, no DTD loading or defaulting, no
    /// `XML_PARSE_HUGE` (libxml2's default depth and size limits stay on), no
    /// error printing (errors are read from the context), CDATA merged into text.
    ///
    /// `XML_PARSE_IGNORE_ENC`: the protocol is UTF-8 only, so an `encoding=`
    /// declaration is ignored and libxml2 never converts (its converters print
    /// their errors to stderr); bodies that would be auto-detected as UTF-16/32
    /// or EBCDIC are refused beforehand. libxml2 checks every UTF-8 sequence.
    /// Not `XML_PARSE_NOBLANKS`: its heuristic can drop whitespace that is
    /// content; layout whitespace is dropped by ``characters`` instead.
    /// (`XML_PARSE_NO_XXE` does not exist before libxml2 2.13; a DTD stops the
    /// parse before any entity is declared, see ``parse(_:maxBytes:_:)``.)
    private static let options: Int32 = Int32(bitPattern:
        XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue
        | XML_PARSE_NOCDATA.rawValue | XML_PARSE_IGNORE_ENC.rawValue)

    /// Parses `body` and hands its root element to `use`; the tree is freed afterwards.
    ///
    /// A document with a DTD (`<!DOCTYPE ...>`) is refused: the parse stops as
    /// soon as the DOCTYPE is read, before its internal subset, so no entity is
    /// ever declared, loaded or expanded (no XXE, no billion laughs).
    static func parse<R>(
        _ body: UnsafeRawBufferPointer, maxBytes: Int, _ use: (XMLNodePointer) throws(WireError) -> R
    ) throws(WireError) -> R {
        guard body.count <= maxBytes else {
            throw WireError(.tooLarge, format: .xml, "body of \(body.count) bytes exceeds the limit of \(maxBytes) bytes")
        }
        guard let base = body.baseAddress, body.count > 0 else {
            throw WireError(.malformed, format: .xml, "malformed XML: empty body")
        }
        guard let length = Int32(exactly: body.count) else {
            throw WireError(.tooLarge, format: .xml, "body of \(body.count) bytes is too large for the XML parser")
        }
        guard !looksLikeAnotherEncoding(body) else {
            throw WireError(.malformed, format: .xml, "malformed XML: the body is not UTF-8 (UTF-16, UTF-32 or EBCDIC)")
        }
        _ = libxml2Initialised
        guard let context = LibXMLContextCache.take() else {
            throw WireError(.malformed, format: .xml, "malformed XML: the parser could not be created")
        }
        var keep = false
        defer { if keep { LibXMLContextCache.give(context) } else { xmlFreeParserCtxt(context) } }
        configure(context)
        let document = ivr_xml_read_padded(context, base.assumingMemoryBound(to: CChar.self), length, options)
        defer { if let document { xmlFreeDoc(document) } }

        if context.pointee.errNo == Int32(bitPattern: XML_ERR_USER_STOP.rawValue) {
            throw WireError(.malformed, format: .xml, "malformed XML: a DTD (<!DOCTYPE>) is not allowed")
        }
        guard let document else { throw lastError(of: context) }
        if document.pointee.intSubset != nil || document.pointee.extSubset != nil {
            throw WireError(.malformed, format: .xml, "malformed XML: a DTD (<!DOCTYPE>) is not allowed")
        }
        guard let root = xmlDocGetRootElement(document) else {
            throw WireError(.malformed, format: .xml, "malformed XML: no root element")
        }
        keep = true
        return try use(root)
    }

    /// Whether libxml2 would auto-detect a non-UTF-8 encoding from the first
    /// bytes: a NUL among them (UTF-16/32), a UTF-16 byte order mark, or EBCDIC `<?xm`.
    private static func looksLikeAnotherEncoding(_ body: UnsafeRawBufferPointer) -> Bool {
        if body[0] == 0xFE || body[0] == 0xFF { return true }
        for i in 0..<min(4, body.count) where body[i] == 0 { return true }
        return body.count >= 4 && body[0] == 0x4C && body[1] == 0x6F && body[2] == 0xA7 && body[3] == 0x94
    }

    /// Installs this module's SAX callbacks on `context` (fresh or reused).
    private static func configure(_ context: xmlParserCtxtPtr) {
        guard let sax = context.pointee.sax else { return }
        // Errors go to this handler instead of stderr; the last one stays in the context.
        sax.pointee.serror = { _, _ in }
        sax.pointee.internalSubset = { userData, _, _, _ in
            // userData is the parser context (libxml2's default).
            guard let userData else { return }
            xmlStopParser(userData.assumingMemoryBound(to: xmlParserCtxt.self))
        }
        sax.pointee.externalSubset = nil
        sax.pointee.characters = characters
        sax.pointee.ignorableWhitespace = characters
    }

    /// libxml2's text callback, minus the layout whitespace between XML-RPC's
    /// structural elements (it would cost a node each and is never content).
    /// Text inside `<value>`, `<string>`, `<name>` and the scalars is kept as is.
    private static let characters: charactersSAXFunc = { userData, text, length in
        guard let userData else { return }
        let context = userData.assumingMemoryBound(to: xmlParserCtxt.self)
        if let text, let parent = context.pointee.node, isStructural(parent), isBlank(text, Int(length)) {
            return
        }
        xmlSAX2Characters(userData, text, length)
    }

    private static func isStructural(_ node: XMLNodePointer) -> Bool {
        isElement(node, named: "member") || isElement(node, named: "struct") || isElement(node, named: "data")
            || isElement(node, named: "array") || isElement(node, named: "param") || isElement(node, named: "params")
            || isElement(node, named: "methodCall") || isElement(node, named: "methodResponse")
            || isElement(node, named: "fault")
    }

    private static func isBlank(_ text: UnsafePointer<xmlChar>, _ length: Int) -> Bool {
        for i in 0..<length {
            switch text[i] {
            case 0x20, 0x09, 0x0A, 0x0D: continue
            default: return false
            }
        }
        return true
    }

    /// The parser's last error as a ``WireError``, with its line.
    private static func lastError(of context: xmlParserCtxtPtr) -> WireError {
        guard let error = xmlCtxtGetLastError(context), let cMessage = error.pointee.message else {
            return WireError(.malformed, format: .xml, "malformed XML")
        }
        // libxml2's messages may span lines ("...\nBytes: 0xC3 0x28 ...\n"): make them one.
        var message = String(cString: cMessage).split(whereSeparator: \.isNewline).joined(separator: "; ")
        let notUTF8 = "Input is not proper UTF-8, indicate encoding !"
        if message.hasPrefix(notUTF8) {
            message = "invalid UTF-8" + message.dropFirst(notUTF8.count)
        }
        let line = error.pointee.line
        return WireError(.malformed, format: .xml, line > 0 ? "malformed XML at line \(line): \(message)" : "malformed XML: \(message)")
    }
}

// MARK: Tree walking

extension LibXML {
    /// Whether `node` is an element whose local name is `name`.
    @inline(__always)
    static func isElement(_ node: XMLNodePointer, named name: StaticString) -> Bool {
        guard node.pointee.type == XML_ELEMENT_NODE, let actual = node.pointee.name else { return false }
        return name.withUTF8Buffer { literal in
            // `actual` is NUL-terminated and `literal` has no NUL: a shorter name stops at the first mismatch.
            for i in 0..<literal.count where actual[i] != literal[i] { return false }
            return actual[literal.count] == 0
        }
    }

    /// The local name of `node`, for messages.
    static func name(of node: XMLNodePointer) -> String {
        node.pointee.name.map { String(cString: $0) } ?? "?"
    }

    /// Whether `node` is a text node of XML whitespace only.
    static func isBlankText(_ node: XMLNodePointer) -> Bool {
        guard let content = node.pointee.content else { return true }
        var i = 0
        while true {
            switch content[i] {
            case 0: return true
            case 0x20, 0x09, 0x0A, 0x0D: i += 1
            default: return false
            }
        }
    }

    /// Whether `node` carries character data (text or CDATA).
    @inline(__always)
    static func isText(_ node: XMLNodePointer) -> Bool {
        node.pointee.type == XML_TEXT_NODE || node.pointee.type == XML_CDATA_SECTION_NODE
    }

    /// The first element among `node` and its next siblings, children of `parent`.
    ///
    /// Comments, processing instructions and whitespace-only text are skipped;
    /// other text is an error: XML-RPC has no mixed content outside scalars.
    /// Walk the children with `firstElement(parent.children)`, then
    /// `firstElement(element.next)`.
    @inline(__always)
    static func firstElement(_ node: XMLNodePointer?, in parent: XMLNodePointer) throws(WireError) -> XMLNodePointer? {
        var child = node
        while let node = child {
            if node.pointee.type == XML_ELEMENT_NODE { return node }
            if isText(node) && !isBlankText(node) {
                throw WireError(.malformed, format: .xml, "malformed XML-RPC: unexpected text in <\(name(of: parent))>")
            }
            child = node.pointee.next
        }
        return nil
    }

    /// The only element child of `parent` if it is named `name`, else nil.
    static func onlyElement(of parent: XMLNodePointer, named name: StaticString) throws(WireError) -> XMLNodePointer? {
        guard let first = try firstElement(parent.pointee.children, in: parent),
              try firstElement(first.pointee.next, in: parent) == nil,
              isElement(first, named: name) else { return nil }
        return first
    }

    /// The character data directly inside `element`, exactly as written (after
    /// entity and character-reference expansion). Comments are skipped; an
    /// element inside is an error.
    static func text(of element: XMLNodePointer) throws(WireError) -> String {
        guard let first = element.pointee.children else { return "" }
        if first.pointee.next == nil && isText(first) {
            return first.pointee.content.map { String(cString: $0) } ?? ""
        }
        var bytes: [UInt8] = []
        var child: XMLNodePointer? = first
        while let node = child {
            if isText(node), let content = node.pointee.content {
                var i = 0
                while content[i] != 0 { bytes.append(content[i]); i += 1 }
            } else if node.pointee.type == XML_ELEMENT_NODE {
                throw WireError(.malformed, format: .xml,
                                "malformed XML-RPC: unexpected <\(name(of: node))> inside <\(name(of: element))>")
            }
            child = node.pointee.next
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
