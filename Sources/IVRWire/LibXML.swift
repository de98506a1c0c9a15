internal import CLibXML2

/// libxml2 is initialised once, before the first parse, whatever thread gets there first.
private let libxml2Initialised: Void = xmlInitParser()

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
    /// content; layout whitespace is dropped by ``XMLRPCBuilder`` instead.
    /// (`XML_PARSE_NO_XXE` does not exist before libxml2 2.13; a DTD stops the
    /// parse before any entity is declared, see ``XMLRPCSAX``.)
    private static let options: Int32 = Int32(bitPattern:
        XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue
        | XML_PARSE_NOCDATA.rawValue | XML_PARSE_IGNORE_ENC.rawValue)

    /// Parses `body` with libxml2, feeding its SAX events to `builder`; no tree is built.
    ///
    /// Throws when the body is not well-formed XML (libxml2's message, with its
    /// line) or holds a DTD (`<!DOCTYPE ...>`, refused as soon as it is read).
    /// Shape errors are the builder's, read by the caller.
    static func parse(_ body: UnsafeRawBufferPointer, maxBytes: Int, into builder: inout XMLRPCBuilder) throws(WireError) {
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
        XMLRPCSAX.install(on: context)
        // The builder is lent to the context only while libxml2 runs: its
        // callbacks find it through `_private`.
        let status = withUnsafeMutablePointer(to: &builder) { pointer -> Int32 in
            context.pointee._private = UnsafeMutableRawPointer(pointer)
            defer { context.pointee._private = nil }
            return ivr_xml_parse_padded(context, base.assumingMemoryBound(to: CChar.self), length, options)
        }

        guard status == 0 else {
            throw WireError(.malformed, format: .xml, "malformed XML: the parser could not be run")
        }
        // A stop that is not ours (see ivr_xml_stop_after_root) can only be the DOCTYPE handler's.
        let stopped = context.pointee.errNo == Int32(bitPattern: XML_ERR_USER_STOP.rawValue)
        if builder.sawDTD || (stopped && !builder.rootClosed) {
            throw WireError(.malformed, format: .xml, "malformed XML: a DTD (<!DOCTYPE>) is not allowed")
        }
        guard context.pointee.wellFormed != 0 else { throw lastError(of: context) }
        guard builder.sawRoot else {
            throw WireError(.malformed, format: .xml, "malformed XML: no root element")
        }
        keep = true
    }

    /// Whether libxml2 would auto-detect a non-UTF-8 encoding from the first
    /// bytes: a NUL among them (UTF-16/32), a UTF-16 byte order mark, or EBCDIC `<?xm`.
    private static func looksLikeAnotherEncoding(_ body: UnsafeRawBufferPointer) -> Bool {
        if body[0] == 0xFE || body[0] == 0xFF { return true }
        for i in 0..<min(4, body.count) where body[i] == 0 { return true }
        return body.count >= 4 && body[0] == 0x4C && body[1] == 0x6F && body[2] == 0xA7 && body[3] == 0x94
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

