import IVRCallModel
import IVRWire
import Testing

/// The call model on its own: the fields of each request, and how replies move a call on.
@Suite struct CallModelTests {
    static func action(_ kind: ActionKind, _ fields: [String: WireValue]) throws -> IVRReply {
        .action(try IVRAction(kind: kind, language: "he", fields: fields), status: 0)
    }

    static func dict(_ fields: [WireMember]) -> [String: WireValue] {
        Dictionary(fields.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })
    }

    @Test func defaultsAreTheDocumentedOnes() {
        let call = CallModel(id: "c1")
        #expect(call.route == "main")
        #expect(call.format == .json)
        #expect(call.callerID == "0541234567")
        #expect(call.callerName == "")
        #expect(call.did == "0730000000")
        #expect(CallDefaults.language == "he")
    }

    @Test func startThenPressesFollowTheHandedMenus() throws {
        var call = CallModel(id: "c1", callerName: "Dana")
        let first = call.start(now: 100)
        #expect(first.map(\.name) == ["DID", "CALLER_ID", "CALLER_NAME", "IVR_UNIQUE_ID", "DTMF", "MENU", "PREVIOUS_MENU"])
        #expect(Self.dict(first)["MENU"] == .string("-1"))
        #expect(Self.dict(first)["CALLER_NAME"] == .string("Dana"))
        // No menu handed out yet: a press has nothing to answer.
        #expect(call.press("1", now: 101) == nil)
        let next = call.follow(try Self.action(.menu, ["REC": .string("welcome"), "MENU": .string("main")]))
        #expect(next == .prompt(.menu("main")))
        let pressed = call.press("3", now: 102)
        let press = try #require(pressed)
        #expect(Self.dict(press)["MENU"] == .string("main"))
        #expect(Self.dict(press)["PREVIOUS_MENU"] == .string("-1"))
        #expect(Self.dict(press)["DTMF"] == .string("3"))
        _ = call.follow(try Self.action(.sayDigits, ["REC": .string("n"), "MENU": .string("other"),
                                                     "SAYDIGITSRECORD": .string("b"), "DIGITS": .string("12")]))
        let pressedAgain = call.press("", now: 103)
        let again = try #require(pressedAgain)
        #expect(Self.dict(again)["MENU"] == .string("other"))
        #expect(Self.dict(again)["PREVIOUS_MENU"] == .string("main"))
    }

    @Test func aCallsNextMenuIsWhereAFailedTransferComesBack() throws {
        var call = CallModel(id: "c1")
        _ = call.start(now: 1)
        let next = call.follow(try Self.action(.call, ["TARGET": .string("0501234567"), "CALLERID": .string("0541234567"), "CALLERNAME": .string(""), "NEXT_MENU": .string("failed")]))
        #expect(next == .transfer(target: "0501234567", failsTo: .menu("failed")))
        #expect(call.handedMenu == "failed")
        let bare = call.follow(try Self.action(.call, ["TARGET": .string("0509"), "CALLERID": .string("0541234567"), "CALLERNAME": .string("")]))
        #expect(bare == .transfer(target: "0509", failsTo: nil))
    }

    @Test func layersCarryThePreviousLayer() throws {
        var call = CallModel(id: "c1", route: "layer")
        #expect(Self.dict(call.layer(8, digits: "1234", now: 1))["PREVIOUS_LAYER_ID"] == .int(-1))
        let go = try IVRAction(kind: .goToLayer, language: nil, fields: ["LAYER": .int(22)])
        #expect(call.follow(.action(go, status: 0)) == .prompt(.layer(22)))
        let second = Self.dict(call.layer(22, digits: "1", now: 2))
        #expect(second["LAYER_ID"] == .int(22))
        #expect(second["PREVIOUS_LAYER_ID"] == .int(8))
    }

    @Test func endingsAndRefusals() throws {
        var call = CallModel(id: "c1")
        #expect(call.follow(try Self.action(.hangup, [:])) == .ended)
        #expect(call.follow(.status(0)) == .ended)
        #expect(call.follow(nil) == .ended)
    }

    @Test func hangupDerivesTheDurationFromTheFirstRequest() {
        var call = CallModel(id: "c1")
        _ = call.start(now: 1000)
        let fields = Self.dict(call.hangup(CallHangup(callStatus: "CANCEL"), now: 1042))
        #expect(fields["CALL_START_EPOCH"] == .int(1000))
        #expect(fields["CALL_TIME_EPOCH"] == .int(1042))
        #expect(fields["CALL_DURATION"] == .int(42))
        #expect(fields["CALL_STATUS"] == .string("CANCEL"))
        #expect(fields["CALL_DAILTIME"] == .int(0))
        let given = Self.dict(call.hangup(CallHangup(target: "0501", callDuration: 7), now: 1042))
        #expect(given["CALL_DURATION"] == .int(7))
        #expect(given["TARGET"] == .string("0501"))
    }

    @Test func requestsEncodeInBothFormatsAndDecodeBack() throws {
        var call = CallModel(id: "c1")
        let fields = call.start(now: 1)
        for format in [WireFormat.json, .xml] {
            let body = CallRequest.encode(.getIVRAction, fields, as: format)
            let request = try WireCodec.decodeRequest(body)
            #expect(request.format == format)
            #expect(request.method == .getIVRAction)
            #expect(request.callID == "c1")
            #expect(request.menu == "-1")
        }
    }
}
