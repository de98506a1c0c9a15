internal import CLibXML2
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The elements XML-RPC knows, told apart by local name (a namespace prefix is
/// ignored: Apache's `ex:i8` is `i8`).
enum XMLRPCTag: UInt8 {
    case methodCall, methodResponse, methodName, params, param, fault
    case value, string, int, i4, i8, boolean, double, dateTime, base64, null
    case structure, member, name, array, data
    case other

    /// The tag of the NUL-terminated local name `name`.
    init(_ name: UnsafePointer<xmlChar>) {
        @inline(__always)
        func matches(_ literal: StaticString) -> Bool {
            literal.withUTF8Buffer { bytes in
                // `name` ends with a NUL and `bytes` has none: a shorter name stops at the first mismatch.
                for i in 0..<bytes.count where name[i] != bytes[i] { return false }
                return name[bytes.count] == 0
            }
        }
        switch name[0] {
        case UInt8(ascii: "v"): self = matches("value") ? .value : .other
        case UInt8(ascii: "m"):
            if matches("member") { self = .member } else if matches("methodName") { self = .methodName }
            else if matches("methodCall") { self = .methodCall } else if matches("methodResponse") { self = .methodResponse }
            else { self = .other }
        case UInt8(ascii: "n"): self = matches("name") ? .name : matches("nil") ? .null : .other
        case UInt8(ascii: "s"): self = matches("string") ? .string : matches("struct") ? .structure : .other
        case UInt8(ascii: "p"): self = matches("param") ? .param : matches("params") ? .params : .other
        case UInt8(ascii: "i"): self = matches("int") ? .int : matches("i4") ? .i4 : matches("i8") ? .i8 : .other
        case UInt8(ascii: "b"): self = matches("boolean") ? .boolean : matches("base64") ? .base64 : .other
        case UInt8(ascii: "d"):
            self = matches("data") ? .data : matches("double") ? .double : matches("dateTime.iso8601") ? .dateTime : .other
        case UInt8(ascii: "a"): self = matches("array") ? .array : .other
        case UInt8(ascii: "f"): self = matches("fault") ? .fault : .other
        default: self = .other
        }
    }

    /// The element's local name, for messages.
    var name: String {
        switch self {
        case .methodCall: "methodCall"
        case .methodResponse: "methodResponse"
        case .methodName: "methodName"
        case .params: "params"
        case .param: "param"
        case .fault: "fault"
        case .value: "value"
        case .string: "string"
        case .int: "int"
        case .i4: "i4"
        case .i8: "i8"
        case .boolean: "boolean"
        case .double: "double"
        case .dateTime: "dateTime.iso8601"
        case .base64: "base64"
        case .null: "nil"
        case .structure: "struct"
        case .member: "member"
        case .name: "name"
        case .array: "array"
        case .data: "data"
        case .other: "?"
        }
    }
}

/// Assembles a `<methodCall>` or `<methodResponse>` from libxml2's SAX events,
/// with an explicit stack of open elements: no tree is built, nothing recurses.
///
/// Each open element has a ``Frame``: `current` for the innermost, `parents`
/// for those around it. Finished values wait on `values` (struct members on
/// `members`, member names on `names`) until their container closes and takes
/// its slice. The first shape error is kept in ``failure``; from then on events
/// are only counted, so libxml2 still reads the whole document and an XML
/// syntax error further on is reported instead (as with a tree). Shape errors
/// are found in document order.
///
/// Used by exactly one parse, on one thread: ``LibXML/parse(_:maxBytes:into:)``
/// lends it to libxml2's callbacks through the parser context's `_private`
/// pointer for the duration of that parse, and only then. A struct reached
/// through a pointer, not a class: a class's stored properties would be
/// checked for exclusive access at run time on every event, which cost more
/// than building the tree did.
struct XMLRPCBuilder {
    /// What an open element is, which decides what may come inside it.
    enum Kind: UInt8 {
        case document, methodCall, methodName, params, param, value, scalar, null
        case structure, member, name, array, data, methodResponse, fault
    }

    /// An open element (plain data, cheap to push and pop).
    struct Frame {
        var kind: Kind
        /// The element's own tag (for a scalar, its type).
        var tag: XMLRPCTag
        /// For a `<value>`: the tag of its type element, once seen.
        var typed: XMLRPCTag = .other
        /// For a `<member>`: whether its `<name>` and its `<value>` have been read.
        var hasName = false, hasValue = false
        /// Element children seen so far.
        var children: Int32 = 0
        /// `values.count` (`members.count` for a struct) when the element opened;
        /// for a `<member>` with a name, the index of its name in `names`.
        var start: Int = 0
    }

    /// The frames around the innermost: a stack whose slots are reused (no
    /// array is grown or shrunk per element once the document's depth is reached).
    struct FrameStack {
        /// The first levels, in place (no array, no reference count); deeper ones in `deeper`.
        private var near = InlineArray<24, Frame>(repeating: Frame(kind: .document, tag: .other))
        private var deeper: [Frame] = []
        private(set) var count = 0

        var isEmpty: Bool { count == 0 }

        @inline(__always)
        mutating func push(_ frame: Frame) {
            if count < near.count { near[count] = frame } else { deeper.append(frame) }
            count += 1
        }

        @inline(__always)
        mutating func pop() -> Frame? {
            guard count > 0 else { return nil }
            count -= 1
            return count < near.count ? near[count] : deeper.removeLast()
        }

        subscript(index: Int) -> Frame { index < near.count ? near[index] : deeper[index - near.count] }

        func lastIndex(where predicate: (Frame) -> Bool) -> Int? {
            var index = count - 1
            while index >= 0 {
                if predicate(self[index]) { return index }
                index -= 1
            }
            return nil
        }
    }

    /// The root element expected: `.methodCall` or `.methodResponse`.
    let root: XMLRPCTag

    /// The first shape error (without the "malformed XML-RPC: " prefix), if any.
    private(set) var failure: String?
    /// Whether libxml2 reported a DOCTYPE (the parse is stopped there).
    var sawDTD = false
    /// Whether the root element has been opened, and closed.
    private(set) var sawRoot = false, rootClosed = false
    /// The last `<methodName>`, trimmed.
    private(set) var methodName: String?
    /// The values of the last `<params>` of a methodCall.
    private(set) var params: [WireValue] = []
    /// The value of a methodResponse (its param, or its fault's struct).
    private(set) var response: WireValue?

    private var current = Frame(kind: .document, tag: .other)
    private var parents = FrameStack()
    /// The character data of the innermost text element (`<methodName>`,
    /// `<name>`, a scalar, an untyped `<value>`), as libxml2 delivered it.
    private var text = ""
    private var values: [WireValue] = []
    private var members: [WireMember] = []
    /// The names of the open members that have one, outermost first.
    private var names: [String] = []
    /// Open elements, skipped ones included.
    private var depth = 0
    /// The namespace prefixes declared by open elements (`xmlns:PREFIX`), with
    /// the depth of the element declaring each.
    private var declaredPrefixes: [(name: [UInt8], depth: Int)] = []
    /// Open `<struct>`s and `<array>`s.
    private var nesting = 0
    /// Open elements whose content is ignored (inside `<nil>`, after a failure...).
    private var skipped = 0
    /// The depth (`parents.count`) of a `<member>` whose name is still to be
    /// read to finish `failure`.
    private var awaitingName: Int?
    /// Whether `text` is collecting that member's name.
    private var capturingName = false
    /// The unknown element a `<methodResponse>` holds.
    private var unexpectedInResponse: String?

    init(root: XMLRPCTag) {
        self.root = root
        values.reserveCapacity(8)
        members.reserveCapacity(16)
        names.reserveCapacity(4)
    }

    // MARK: Events

    /// A start tag as libxml2's SAX1 reports it: the qualified name (`prefix:local`
    /// or `local`) and the attributes (name, value, name, value, ..., NULL).
    ///
    /// Namespaces are followed only as far as XML-RPC needs: an `xmlns:PREFIX`
    /// attribute declares PREFIX for the element and its content, and an
    /// element named with a declared prefix is known by its local name (Apache's
    /// `ex:i8` is `i8`); with an undeclared one it is `prefix:local`, which
    /// XML-RPC does not know (as libxml2's namespace-aware parsers see it).
    mutating func startElement(qualifiedName: UnsafePointer<xmlChar>, attributes: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?) {
        depth += 1
        if let attributes { declarePrefixes(attributes) }
        // The usual case: an XML-RPC element without a prefix (no known tag has a colon).
        let plain = XMLRPCTag(qualifiedName)
        if plain != .other {
            return startElement(qualifiedName, tag: plain, undeclaredPrefix: false, qualifiedName: qualifiedName)
        }
        var colon = 0
        while qualifiedName[colon] != 0 && qualifiedName[colon] != UInt8(ascii: ":") { colon += 1 }
        guard qualifiedName[colon] != 0 else {
            return startElement(qualifiedName, tag: .other, undeclaredPrefix: false, qualifiedName: qualifiedName)
        }
        let declared = declaredPrefixes.contains { prefix in
            guard prefix.name.count == colon else { return false }
            for i in 0..<colon where prefix.name[i] != qualifiedName[i] { return false }
            return true
        }
        let local = qualifiedName + colon + 1
        startElement(local, tag: declared ? XMLRPCTag(local) : .other, undeclaredPrefix: !declared, qualifiedName: qualifiedName)
    }

    /// Records the `xmlns:PREFIX` declarations among a start tag's attributes.
    private mutating func declarePrefixes(_ attributes: UnsafeMutablePointer<UnsafePointer<xmlChar>?>) {
        var i = 0
        while let name = attributes[i] {
            // "xmlns:" and at least one byte of prefix.
            if name[0] == UInt8(ascii: "x"), name[1] == UInt8(ascii: "m"), name[2] == UInt8(ascii: "l"),
               name[3] == UInt8(ascii: "n"), name[4] == UInt8(ascii: "s"), name[5] == UInt8(ascii: ":"), name[6] != 0 {
                let prefix = UnsafeBufferPointer(start: name + 6, count: strlen(UnsafeRawPointer(name + 6).assumingMemoryBound(to: CChar.self)))
                declaredPrefixes.append((Array(prefix), depth))
            }
            i += 2
        }
    }

    /// A start tag by its local name, whose tag is `tag`. `undeclaredPrefix`: the
    /// element has a prefix no namespace is declared for, and is then
    /// `qualifiedName`, which XML-RPC does not know.
    private mutating func startElement(_ localName: UnsafePointer<xmlChar>, tag: XMLRPCTag, undeclaredPrefix: Bool,
                                       qualifiedName: UnsafePointer<xmlChar>) {
        if skipped > 0 || failure != nil { return startSkipped(tag) }
        /// The element's name, for messages.
        func name() -> String {
            String(cString: undeclaredPrefix ? qualifiedName : localName)
        }
        current.children += 1
        switch current.kind {
        case .document:
            sawRoot = true
            guard tag == root else {
                return refuse("the root element is <\(name())>, expected <\(root.name)>")
            }
            push(tag == .methodCall ? .methodCall : .methodResponse, tag)
        case .methodCall:
            switch tag {
            case .methodName: pushText(.methodName, tag)
            case .params: push(.params, tag, start: values.count)
            default: refuse("unexpected <\(name())> in <methodCall>")
            }
        case .methodName, .name, .scalar:
            refuse("unexpected <\(name())> inside <\(current.tag.name)>")
        case .params:
            if tag == .param { push(.param, tag) } else { refuse("unexpected <\(name())> in <params>") }
        case .param:
            if tag == .value && current.children == 1 { pushText(.value, tag) } else { refuse("<param> must hold one <value>") }
        case .value:
            startTyped(tag, name)
        case .null:
            // Whatever <nil> holds is ignored.
            skipped += 1
        case .structure:
            if tag == .member { push(.member, tag) } else { refuse("unexpected <\(name())> in <struct>") }
        case .member:
            switch tag {
            case .name:
                if current.hasName { return refuse("<member> has two <name>s") }
                pushText(.name, tag)
            case .value:
                if current.hasValue { return refuse("<member> has two <value>s") }
                pushText(.value, tag)
            default:
                refuse("unexpected <\(name())> in <member>")
            }
        case .array:
            if tag == .data && current.children == 1 { push(.data, tag) }
            else { refuse("<array> must hold one <data>", inMember: true) }
        case .data:
            if tag == .value { pushText(.value, tag) }
            else { refuse("unexpected <\(name())> in <data>", inMember: true) }
        case .methodResponse:
            guard current.children == 1 else { return refuse("<methodResponse> must hold exactly one <params> or <fault>") }
            switch tag {
            case .params: push(.params, tag, start: values.count)
            case .fault: push(.fault, tag)
            default:
                // Refused when <methodResponse> closes, unless a second element comes first.
                unexpectedInResponse = name()
                skipped += 1
            }
        case .fault:
            if tag == .value && current.children == 1 { pushText(.value, tag) } else { refuse("<fault> must hold one <value>") }
        }
    }

    /// The type element inside the current `<value>`.
    private mutating func startTyped(_ tag: XMLRPCTag, _ name: () -> String) {
        guard current.children == 1 else { return refuse("<value> holds more than one element", inMember: true) }
        guard text.isASCIIBlank else { return refuse("<value> mixes text and <\(name())>", inMember: true) }
        current.typed = tag
        switch tag {
        case .string, .int, .i4, .i8, .boolean, .double, .dateTime, .base64:
            pushText(.scalar, tag)
        case .null:
            push(.null, tag)
        case .structure:
            guard nesting < XMLRPC.maxDepth else { return refuse("nesting deeper than \(XMLRPC.maxDepth) levels") }
            nesting += 1
            push(.structure, tag, start: members.count)
        case .array:
            guard nesting < XMLRPC.maxDepth else { return refuse("nesting deeper than \(XMLRPC.maxDepth) levels") }
            nesting += 1
            push(.array, tag, start: values.count)
        default:
            refuse("unknown type <\(name())>", inMember: true)
        }
    }

    /// A start tag whose element is ignored. After a failure that waits for a
    /// member's name, the `<name>` of that member is still read.
    private mutating func startSkipped(_ tag: XMLRPCTag) {
        if skipped == 0, awaitingName == parents.count, current.kind == .member, !current.hasName, tag == .name {
            capturingName = true
            text = ""
        }
        skipped += 1
    }

    /// An end tag; true when it closes the root element.
    mutating func endElement() -> Bool {
        while let last = declaredPrefixes.last, last.depth == depth { declaredPrefixes.removeLast() }
        depth -= 1
        if skipped > 0 {
            skipped -= 1
            if capturingName && skipped == 0 {
                capturingName = false
                current.hasName = true
                current.start = names.count
                names.append(text)
            }
            return false
        }
        guard let parent = parents.pop() else { return false }
        let frame = current
        current = parent
        if failure == nil {
            close(frame)
        } else if awaitingName == parents.count + 1 {
            finishFailure(frame)
        }
        if parents.isEmpty {
            rootClosed = true
            return true
        }
        return false
    }

    mutating func characters(_ bytes: UnsafePointer<xmlChar>, _ count: Int) {
        if skipped > 0 || failure != nil {
            if capturingName && skipped == 1 { appendText(bytes, count) }
            return
        }
        switch current.kind {
        case .methodName, .name, .scalar:
            appendText(bytes, count)
        case .value:
            if current.children == 0 {
                appendText(bytes, count)
            } else if !isBlank(bytes, count) {
                fail("<value> mixes text and <\(current.typed.name)>", inMember: true)
            }
        case .null, .document:
            break
        case .methodCall, .params, .param, .structure, .member, .array, .data, .methodResponse, .fault:
            // Layout whitespace between structural elements is not content.
            if !isBlank(bytes, count) { fail("unexpected text in <\(current.tag.name)>") }
        }
    }

    // MARK: Closing elements

    /// The end of `frame`'s element, whose parent is `current` again; no failure so far.
    private mutating func close(_ frame: Frame) {
        switch frame.kind {
        case .document, .methodCall, .data:
            break
        case .methodName:
            methodName = text.trimmingASCIIWhitespace()
        case .params:
            guard let items = takeValues(from: frame.start) else { return }
            if root == .methodCall {
                params = items
            } else if items.count == 1 {
                response = items[0]
            } else {
                fail("a <methodResponse> must have exactly one <param>")
            }
        case .param:
            if frame.children == 0 { fail("<param> must hold one <value>") }
        case .value:
            // No type element: the text is a string, whitespace and all.
            if frame.children == 0 { values.append(.string(text)) }
            if current.kind == .member { current.hasValue = true }
        case .scalar:
            do throws(XMLRPCScalar.Problem) {
                values.append(try XMLRPCScalar.decode(frame.tag, text))
            } catch {
                fail(error.message, inMember: true)
            }
        case .null:
            values.append(.null)
        case .structure:
            nesting -= 1
            guard frame.start <= members.count else { return fail("internal error: struct members lost") }
            let items: [WireMember]
            if frame.start == 0 {
                items = members
                members = []
            } else {
                items = Array(members[frame.start...])
                members.removeSubrange(frame.start...)
            }
            values.append(.structure(items))
        case .member:
            guard frame.hasName, frame.start == names.count - 1, let name = names.popLast() else {
                return fail("<member> without <name>")
            }
            guard frame.hasValue, let value = values.popLast() else { return fail("member '\(name)' has no <value>") }
            members.append(WireMember(name, value))
        case .name:
            current.hasName = true
            current.start = names.count
            names.append(text)
        case .array:
            nesting -= 1
            guard frame.children > 0 else { return fail("<array> must hold one <data>", inMember: true) }
            guard let items = takeValues(from: frame.start) else { return }
            values.append(.array(items))
        case .methodResponse:
            if frame.children == 0 {
                fail("<methodResponse> must hold exactly one <params> or <fault>")
            } else if let other = unexpectedInResponse {
                fail("unexpected <\(other)> in <methodResponse>")
            }
        case .fault:
            guard frame.children > 0, let value = values.popLast() else { return fail("<fault> must hold one <value>") }
            response = value
        }
    }

    /// The values from `start` on, removed from `values`.
    private mutating func takeValues(from start: Int) -> [WireValue]? {
        guard start <= values.count else {
            fail("internal error: values lost")
            return nil
        }
        if start == 0 {
            defer { values = [] }
            return values
        }
        let items = Array(values[start...])
        values.removeSubrange(start...)
        return items
    }

    // MARK: Helpers

    private mutating func push(_ kind: Kind, _ tag: XMLRPCTag, start: Int = 0) {
        parents.push(current)
        current = Frame(kind: kind, tag: tag, start: start)
    }

    /// Opens an element whose character data is collected in `text`.
    private mutating func pushText(_ kind: Kind, _ tag: XMLRPCTag) {
        text = ""
        push(kind, tag)
    }

    private mutating func appendText(_ bytes: UnsafePointer<xmlChar>, _ count: Int) {
        if text.isEmpty {
            // A member name or method name of Voicenter's is the literal: no string is made.
            if current.kind == .name, let known = VoicenterNames.requestKey(bytes, count) { text = known; return }
            if current.kind == .methodName, let known = VoicenterNames.method(bytes, count) { text = known; return }
        }
        // libxml2 has checked the UTF-8 and cuts text between characters.
        let chunk = String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
        if text.isEmpty { text = chunk } else { text += chunk }
    }

    /// Fails on a start tag: the element and its content are skipped.
    private mutating func refuse(_ message: String, inMember: Bool = false) {
        fail(message, inMember: inMember)
        skipped += 1
    }

    /// Records the first shape error. `inMember`: the message names the struct
    /// member the value belongs to (the innermost open `<member>`); when that
    /// member's `<name>` comes after its `<value>`, the message waits for it.
    private mutating func fail(_ message: String, inMember: Bool = false) {
        guard failure == nil else { return }
        failure = message
        guard inMember else { return }
        let member: (frame: Frame, depth: Int)?
        if current.kind == .member {
            member = (current, parents.count)
        } else if let index = parents.lastIndex(where: { $0.kind == .member }) {
            member = (parents[index], index)
        } else {
            member = nil
        }
        guard let member else { return }
        if member.frame.hasName, member.frame.start < names.count {
            failure = message + " in member '\(names[member.frame.start])'"
        } else {
            awaitingName = member.depth
        }
    }

    /// The member `failure` waited for has closed.
    private mutating func finishFailure(_ member: Frame) {
        awaitingName = nil
        guard let message = failure else { return }
        if member.hasName, member.start < names.count {
            failure = message + " in member '\(names[member.start])'"
        } else {
            // Without a name the member itself is wrong, whatever its value.
            failure = "<member> without <name>"
        }
    }

    private func isBlank(_ bytes: UnsafePointer<xmlChar>, _ count: Int) -> Bool {
        for i in 0..<count {
            switch bytes[i] {
            case 0x20, 0x09, 0x0A, 0x0D: continue
            default: return false
            }
        }
        return true
    }
}

// MARK: libxml2 callbacks

/// The SAX handler table (SAX1: see ``install(on:)``) XML-RPC parses with: only elements and character
/// data reach ``XMLRPCBuilder``.
///
/// Every other handler is NULL: no document or node is ever allocated (no
/// `startDocument`), comments and processing instructions are dropped, no
/// entity is resolved or declared (`resolveEntity`, `getEntity`, `entityDecl`:
/// libxml2 still expands the five predefined entities and character references
/// itself), CDATA arrives as characters (`XML_PARSE_NOCDATA`).
enum XMLRPCSAX {
    /// Replaces `context`'s handlers with these (fresh or reused context alike).
    static func install(on context: xmlParserCtxtPtr) {
        guard let sax = context.pointee.sax else { return }
        sax.pointee = xmlSAXHandler()
        // SAX1: libxml2's plain start and end tags, without its namespace
        // machinery (about a fifth of a request's parse); prefixes are handled
        // by ``XMLRPCBuilder/startElement(qualifiedName:attributes:)``.
        sax.pointee.initialized = 1
        sax.pointee.startElement = { context, name, attributes in
            guard let name else { return }
            XMLRPCSAX.withBuilder(context) { $0.startElement(qualifiedName: name, attributes: attributes) }
        }
        sax.pointee.endElement = { context, _ in
            var rootClosed = false
            XMLRPCSAX.withBuilder(context) { rootClosed = $0.endElement() }
            // Only blanks left: the parse is over, whatever libxml2 would make of the padding.
            if rootClosed, let context { _ = ivr_xml_stop_after_root(context.assumingMemoryBound(to: xmlParserCtxt.self)) }
        }
        let characters: charactersSAXFunc = { context, bytes, count in
            guard let bytes, count > 0 else { return }
            XMLRPCSAX.withBuilder(context) { $0.characters(bytes, Int(count)) }
        }
        sax.pointee.characters = characters
        // The same function: libxml2 then never guesses which whitespace is ignorable.
        sax.pointee.ignorableWhitespace = characters
        // Any DOCTYPE stops the parse before its internal subset: no entity is
        // ever declared, loaded or expanded (no XXE, no billion laughs).
        sax.pointee.internalSubset = { context, _, _, _ in
            guard let context else { return }
            XMLRPCSAX.withBuilder(context) { $0.sawDTD = true }
            xmlStopParser(context.assumingMemoryBound(to: xmlParserCtxt.self))
        }
        // Errors stay in the context (read after the parse), never printed.
        sax.pointee.serror = { _, _ in }
    }

    /// Runs `body` on the builder lent to the parse `context` is running (the
    /// context is libxml2's user data), if any.
    @inline(__always)
    fileprivate static func withBuilder(_ context: UnsafeMutableRawPointer?, _ body: (inout XMLRPCBuilder) -> Void) {
        guard let builder = context?.assumingMemoryBound(to: xmlParserCtxt.self).pointee._private else { return }
        body(&builder.assumingMemoryBound(to: XMLRPCBuilder.self).pointee)
    }
}
