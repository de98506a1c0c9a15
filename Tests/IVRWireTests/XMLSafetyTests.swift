import IVRWire
import Testing

/// Hostile and broken XML: refused, quickly, without fetching anything.
@Suite("XML-RPC safety")
struct XMLSafetyTests {
    static let simpleCall = methodCall("GET_IVR_ACTION", [("IVR_UNIQUE_ID", "<string>abc</string>")])

    @Test func truncatedDocument() {
        let xml = SeedRequests.getIVRActionXML
        for cut in [10, 60, xml.utf8.count / 2, xml.utf8.count - 5] {
            let error = wireError { try decode(String(decoding: xml.utf8.prefix(cut), as: UTF8.self)) }
            #expect(error?.kind == .malformed, "cut at \(cut)")
            #expect(error?.format == .xml)
            #expect(error?.message.hasPrefix("malformed XML") == true)
        }
    }

    @Test func mismatchedTagsSayWhere() {
        let error = wireError { try decode("<methodCall>\n<methodName>X</methodname>\n</methodCall>") }
        #expect(error?.kind == .malformed)
        #expect(error?.message.contains("line 2") == true, "\(error?.message ?? "-")")
    }

    @Test func anyDTDIsRefused() {
        let body = "<?xml version=\"1.0\"?>\n<!DOCTYPE methodCall>\n" + Self.simpleCall.replacingOccurrencesOfHeader()
        let error = wireError { try decode(body) }
        #expect(error?.kind == .malformed)
        #expect(error?.format == .xml)
        #expect(error?.message.contains("DTD") == true, "\(error?.message ?? "-")")
    }

    @Test func billionLaughsIsRefusedQuickly() {
        var dtd = "<!DOCTYPE methodCall [\n<!ENTITY lol \"lol\">\n"
        dtd += "<!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
        for i in 2...9 {
            let prev = "&lol\(i - 1);"
            dtd += "<!ENTITY lol\(i) \"\(String(repeating: prev, count: 10))\">\n"
        }
        dtd += "]>\n"
        let body = "<?xml version=\"1.0\"?>\n" + dtd
            + methodCall("GET_IVR_ACTION", [("IVR_UNIQUE_ID", "<string>abc</string>"), ("CALLER_NAME", "<string>&lol9;</string>")])
                .replacingOccurrencesOfHeader()
        let clock = ContinuousClock()
        var error: WireError?
        let elapsed = clock.measure { error = wireError { try decode(body) } }
        #expect(error?.kind == .malformed)
        #expect(error?.message.contains("DTD") == true)
        #expect(elapsed < .milliseconds(200), "took \(elapsed)")
    }

    @Test func externalEntityIsNotFetched() throws {
        let secret = "/tmp/ivrwire-xxe-\(UInt64.random(in: 0...UInt64.max)).txt"
        let marker = "XXE-MARKER-\(UInt32.random(in: 0...UInt32.max))"
        try writeFile(secret, marker)
        defer { removeFile(secret) }
        let bodies = [
            // General external entity.
            "<?xml version=\"1.0\"?>\n<!DOCTYPE methodCall [<!ENTITY xxe SYSTEM \"file://\(secret)\">]>\n"
                + methodCall("GET_IVR_ACTION", [("IVR_UNIQUE_ID", "<string>&xxe;</string>")]).replacingOccurrencesOfHeader(),
            // Parameter entity pulling in an external DTD.
            "<?xml version=\"1.0\"?>\n<!DOCTYPE methodCall [<!ENTITY % ext SYSTEM \"file://\(secret)\"> %ext;]>\n"
                + Self.simpleCall.replacingOccurrencesOfHeader(),
            // External subset.
            "<?xml version=\"1.0\"?>\n<!DOCTYPE methodCall SYSTEM \"file://\(secret)\">\n" + Self.simpleCall.replacingOccurrencesOfHeader(),
            // Network: NONET, and never reached anyway.
            "<?xml version=\"1.0\"?>\n<!DOCTYPE methodCall [<!ENTITY xxe SYSTEM \"http://127.0.0.1:9/x\">]>\n"
                + methodCall("GET_IVR_ACTION", [("IVR_UNIQUE_ID", "<string>&xxe;</string>")]).replacingOccurrencesOfHeader(),
        ]
        for body in bodies {
            let error = wireError { try decode(body) }
            #expect(error?.kind == .malformed)
            #expect(error?.message.contains("DTD") == true, "\(error?.message ?? "-")")
            #expect(error?.message.contains(marker) == false)
        }
    }

    @Test func invalidUTF8IsRefused() {
        let xml = methodCall("GET_IVR_ACTION", [("IVR_UNIQUE_ID", "<string>abc</string>"), ("CALLER_NAME", "<string>@@</string>")])
        for bad: [UInt8] in [[0xC3, 0x28], [0xFF], [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0xE2, 0x82]] {
            var bytes = xml.bytes
            let at = bytes.firstIndex(of: UInt8(ascii: "@")) ?? 0
            bytes.replaceSubrange(at..<(at + 2), with: bad)
            let error = wireError { try WireCodec.decodeRequest(bytes) }
            #expect(error?.kind == .malformed, "\(bad)")
            #expect(error?.format == .xml)
            // libxml2 reads an encoded surrogate as a character, then refuses that character.
            let named = error?.message.contains("invalid UTF-8") == true || error?.message.contains("invalid Char") == true
            #expect(named, "\(error?.message ?? "-")")
        }
    }

    @Test func declaredEncodingIsIgnored() throws {
        // The protocol is UTF-8 only: UTF-8 under a Latin-1 declaration reads as UTF-8...
        var bytes = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>".bytes
        bytes += methodCall("GET_IVR_ACTION", [("IVR_UNIQUE_ID", "<string>abc</string>"), ("N", "<string>caf\u{E9}</string>")])
            .replacingOccurrencesOfHeader().bytes
        #expect(try WireCodec.decodeRequest(bytes).fields["N"] == .string("caf\u{E9}"))
        // ... and Latin-1 bytes are invalid UTF-8.
        var latin1 = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>".bytes
        latin1 += "<methodCall><methodName>GET_IVR_ACTION</methodName><params><param><value><struct><member><name>IVR_UNIQUE_ID</name><value>caf".bytes
        latin1 += [0xE9]
        latin1 += "</value></member></struct></value></param></params></methodCall>".bytes
        #expect(wireError { try WireCodec.decodeRequest(latin1) }?.kind == .malformed)
    }

    @Test func otherEncodingsAreRefused() {
        let utf16LE = Array("<methodCall/>".utf16.flatMap { [UInt8(truncatingIfNeeded: $0), UInt8($0 >> 8)] })
        for body in [utf16LE, [0xFF, 0xFE] + utf16LE, [0xFE, 0xFF, 0x00, 0x3C], [0x3C, 0x00, 0x00, 0x00], [0x4C, 0x6F, 0xA7, 0x94]] {
            let error = wireError { try parseCall(body) }
            #expect(error?.kind == .malformed)
            #expect(error?.format == .xml)
        }
        // A UTF-16 declaration on UTF-8 bytes is ignored like any other.
        let declared = "<?xml version=\"1.0\" encoding=\"UTF-16\"?>" + Self.simpleCall.replacingOccurrencesOfHeader()
        #expect(throws: Never.self) { try decode(declared) }
    }

    @Test func parserStateDoesNotLeakBetweenParses() throws {
        // The same thread reuses its parser context: errors, stopped parses and
        // successes must not affect each other.
        let dtd = "<!DOCTYPE methodCall>" + Self.simpleCall.replacingOccurrencesOfHeader()
        for _ in 0..<50 {
            #expect(wireError { try decode(dtd) }?.message.contains("DTD") == true)
            #expect(try decode(Self.simpleCall).callID == "abc")
            #expect(wireError { try decode("<methodCall><methodName>X") }?.kind == .malformed)
            #expect(try decode(SeedRequests.hangupCallXML).fields["CALL_TIME_EPOCH"] == .int(15_616_841_651))
            #expect(wireError { try decode(methodCall("GET_IVR_ACTION", [("IVR_UNIQUE_ID", "<string>&bad;</string>")])) } != nil)
            // Many distinct names grow the context's dictionary; it is replaced, not kept growing.
            let names = (0..<200).map { _ in ("N\(UInt32.random(in: 0...UInt32.max))", "x") }
            #expect(try decode(methodCall("GET_IVR_ACTION", [("IVR_UNIQUE_ID", "a")] + names)).fields.count == 201)
        }
    }

    @Test func oversizeBodyIsTooLarge() {
        let body = Self.simpleCall + String(repeating: " ", count: 100)
        let error = wireError { try decode(body, maxBytes: body.utf8.count - 1) }
        #expect(error?.kind == .tooLarge)
        #expect(error?.format == .xml)
        #expect(wireError { try parseCall(body.bytes, maxBytes: 10) }?.kind == .tooLarge)
        #expect(throws: Never.self) { try decode(body, maxBytes: body.utf8.count) }
    }

    @Test func concurrentDecodingIsSafe() async throws {
        let bodies = [SeedRequests.getIVRActionXML.bytes, SeedRequests.hangupCallXML.bytes, Array(Self.simpleCall.utf8.prefix(40))]
        try await withThrowingTaskGroup(of: Int.self) { group in
            for t in 0..<16 {
                group.addTask {
                    var ok = 0
                    for i in 0..<200 {
                        let body = bodies[(t + i) % bodies.count]
                        if let request = try? WireCodec.decodeRequest(body), !request.callID.isEmpty { ok += 1 }
                    }
                    return ok
                }
            }
            var total = 0
            for try await ok in group { total += ok }
            // The third body is truncated; the other two are valid.
            let expected = (0..<16).reduce(0) { sum, t in sum + (0..<200).filter { (t + $0) % bodies.count != 2 }.count }
            #expect(total == expected)
        }
    }
}

extension String {
    /// The document without its `<?xml ...?>` line, to put a DOCTYPE after one of our own.
    func replacingOccurrencesOfHeader() -> String {
        guard hasPrefix("<?xml"), let end = firstIndex(of: "\n") else { return self }
        return String(self[index(after: end)...])
    }
}
