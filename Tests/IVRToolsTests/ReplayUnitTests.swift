import IVRTools
import IVRWire
import Testing

/// Replay's parts that need no engine and no socket.
@Suite struct ReplayUnitTests {
    @Test func freshIDsReplaceOnlyTheIDValueAndPatchInPlace() throws {
        let body = Array(#"{"METHOD":"GET_IVR_ACTION","DATA":{"IVR_UNIQUE_ID":"1","DTMF":"1","MENU":"main1"}}"#.utf8)
        let step = RecordedStep(timestamp: 0, micros: 0, request: body, status: 200, response: [], origin: "x:1")
        let template = CallTemplate(RecordedCall(id: "1", route: "main", format: .json, steps: [step], hasWireID: true))
        var bytes = template.bodies[0]
        bytes.withUnsafeMutableBufferPointer { buffer in
            CallTemplate.patch(buffer.baseAddress!, offsets: template.digitOffsets[0], shift: 0, tag: 0xabcd, play: 0x2a)
        }
        let request = try WireCodec.decodeRequest(bytes)
        #expect(request.callID == "1-abcd0000002a")
        #expect(request.dtmf == "1")
        #expect(request.menu == "main1")
        #expect(template.freshID(tag: 0xabcd, play: 0x2a) == Array("1-abcd0000002a".utf8))
    }

    @Test func repliesAreComparedAsValues() {
        let json = ReplyValue.decode(Array(#"{"STATUS":0,"ACTION":"MENU","LANGUAGE":"he","DATA":{"MENU":"main","REC":"a"}}"#.utf8))
        let reordered = ReplyValue.decode(Array(#" { "DATA" : { "REC":"a", "MENU":"main" }, "LANGUAGE":"he", "ACTION":"MENU", "STATUS":0 }"#.utf8))
        #expect(ReplyValue.differences(json, reordered) == [])
        let changed = ReplyValue.decode(Array(#"{"STATUS":0,"ACTION":"MENU","LANGUAGE":"en","DATA":{"MENU":"main","REC":"b","LOOP":2}}"#.utf8))
        #expect(ReplyValue.differences(json, changed) == [
            #"LANGUAGE: "he" != "en""#, #"DATA.REC: "a" != "b""#, "DATA.LOOP: (absent) != 2",
        ])
        // An int is not the string of its digits.
        #expect(ReplyValue.differences(.structure([WireMember("LOOP", .int(2))]),
                                       .structure([WireMember("LOOP", .string("2"))])) == [#"LOOP: 2 != "2""#])
    }

    @Test func recordedRepliesReadInWords() {
        let body = Array(#"{"STATUS":0,"ACTION":"MENU","LANGUAGE":"he","DATA":{"REC":"welcome","LOOP":2,"DELAY":3,"SIZE":1,"MENU":"main","VALIDATION":1}}"#.utf8)
        #expect(ReplyValue.words(status: 200, body: body)
                == "MENU main: play welcome x2, collect up to 1 digit (validation on), 3 s between plays")
        #expect(ReplyValue.words(status: 404, body: Array("error: no script for /x\n".utf8)) == "HTTP 404: error: no script for /x")
    }
}
