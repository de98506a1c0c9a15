import Foundation
import IVRWire
import Testing

/// The sample menus, served for real, walked through a whole call in each format.
@Suite struct WholeCallTests {
    static let sampleMenus: [String: String] = {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("sample-menus")
        var scripts: [String: String] = [:]
        for name in ["main.lua", "layer.lua"] {
            scripts[name] = (try? String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)) ?? ""
        }
        return scripts
    }()

    @Test(arguments: [WireFormat.xml, .json])
    func menuSayDigitsRetriesAndHangup(format: WireFormat) throws {
        let server = try TestServer(scripts: Self.sampleMenus)
        let client = try server.client()
        let id = "ced4619f30fc17182d8e41ddf4d6869X"

        var response = try client.request("POST", "/", body: Wire.getAction(id, format: format))
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == format.contentType)
        var reply = try Wire.parse(response, format)
        #expect(reply["STATUS"] == .int(0))
        #expect(reply["ACTION"] == .string("MENU"))
        #expect(reply["LANGUAGE"] == .string("he"))
        #expect(reply["DATA", "MENU"] == .string("main"))
        #expect(reply["DATA", "REC"] == .string("welcome"))
        #expect(reply["DATA", "LOOP"] == .int(2))
        #expect(reply["DATA", "VALIDATION"] == .int(1))

        response = try client.request("POST", "/", body: Wire.getAction(id, dtmf: "3", menu: "main", format: format))
        reply = try Wire.parse(response, format)
        #expect(reply["ACTION"] == .string("SAYDIGITS"))
        #expect(reply["DATA", "DIGITS"] == .string("0541234567"))
        #expect(reply["DATA", "SAYDIGITSRECORD"] == .string("blank"))

        // Two wrong keys: the menu again; the third: goodbye.
        for _ in 0..<2 {
            reply = try Wire.parse(try client.request("POST", "/", body: Wire.getAction(id, dtmf: "7", menu: "main", format: format)), format)
            #expect(reply["ACTION"] == .string("MENU"))
            #expect(reply["DATA", "REC"] == .string("invalid_choice"))
        }
        reply = try Wire.parse(try client.request("POST", "/", body: Wire.getAction(id, dtmf: "7", menu: "main", format: format)), format)
        #expect(reply["ACTION"] == .string("HANGUP"))
        #expect(reply["DATA", "HANGUP_CAUSE"] == .int(16))
        #expect(reply["DATA", "HANGUP_REC"] == .string("goodbye"))

        response = try client.request("POST", "/", body: Wire.hangup(id, format: format))
        #expect(response.status == 200)
        #expect(try Wire.parse(response, format) == .structure([WireMember("STATUS", .int(0))]))
        #expect(server.engine.activeCalls == 0)
    }

    @Test(arguments: [WireFormat.xml, .json])
    func transferFailsThenVoicemail(format: WireFormat) throws {
        let server = try TestServer(scripts: Self.sampleMenus)
        let client = try server.client()
        let id = "1bcd7954224861f85a2d70612f248282"
        _ = try client.request("POST", "/", body: Wire.getAction(id, format: format))
        let reply = try Wire.parse(try client.request("POST", "/", body: Wire.getAction(id, dtmf: "1", menu: "main", format: format)), format)
        #expect(reply["ACTION"] == .string("CALL"))
        #expect(reply["DATA", "TARGET"] == .string("0501234567"))
        #expect(reply["DATA", "CALLERID"] == .string("0541234567"))
        #expect(reply["DATA", "CALLERNAME"] == .string("Dana"))
        #expect(reply["DATA", "CALL_MAX_DIAL"] == .int(30))
        #expect(reply["DATA", "REC_STATUS"] == .int(1))
        #expect(reply["DATA", "NEXT_MENU"] == .string("transfer_failed"))
        #expect(reply["DATA", "NEXT_MENU_LOOP"] == .int(2))

        let after = try Wire.parse(try client.request("POST", "/", body: Wire.getAction(
            id, dtmf: "1", menu: "transfer_failed", previous: "main", format: format)), format)
        #expect(after["ACTION"] == .string("SILENTRECORD"))
        #expect(after["DATA", "MAXDURATION"] == .int(120))
    }

    @Test(arguments: [WireFormat.xml, .json])
    func layerGoToLayerThenDial(format: WireFormat) throws {
        let server = try TestServer(scripts: Self.sampleMenus)
        let client = try server.client()
        let id = "xxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        var reply = try Wire.parse(try client.request("POST", "/layer", body: Wire.layer(id, dtmf: "1234567", layer: .int(8), format: format)), format)
        #expect(reply["STATUS"] == .int(0))
        #expect(reply["ACTION"] == .string("GO_TO_LAYER"))
        #expect(reply["LAYER"] == .int(22))
        #expect(reply["DATA"] == nil)
        #expect(reply["CALLER_NAME"] == .string("Account 1234567"))
        #expect(reply["CUSTOM_DATA", "account"] == .string("1234567"))
        #expect(reply["CUSTOM_DATA", "source"] == .string("ivr-engine"))

        // LAYER_ID as a string, as some integrations send it.
        reply = try Wire.parse(try client.request("POST", "/layer", body: Wire.layer(id, dtmf: "1", layer: .string("22"), format: format)), format)
        #expect(reply["ACTION"] == .string("DIAL"))
        #expect(reply["TARGETS"] == .array([.structure([WireMember("TARGET", .string("0501234567")), WireMember("TYPE", .string("PHONE"))])]))
        #expect(reply["RECORDING"] == .string("yes"))
        #expect(reply["MAX_DIAL_DURATION"] == .int(30))
        #expect(reply["CUSTOM_DATA", "account"] == .string("1234567"))

        let ack = try client.request("POST", "/layer", body: Wire.hangup(id, format: format))
        #expect(try Wire.parse(ack, format)["STATUS"] == .int(0))
    }
}
