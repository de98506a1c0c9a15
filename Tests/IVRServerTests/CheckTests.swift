import Foundation
import Testing

/// `ivr-engine check`: one `path:line: message` per problem, exit 1; else a summary, exit 0.
@Suite struct CheckTests {
    private let clean = #"function on_start(call) return ivr.menu{ rec = "hi", menu = "m" } end"#

    @Test func cleanDirectoryPrintsASummary() throws {
        let dir = try TestServer.makeDirectory([
            "main.lua": #"local u = require("lib.util")"# + "\n" + #"function on_start(call) return u.menu() end"#,
            "layer.lua": "function on_layer(call) return ivr.go_to_layer{ layer = 8 } end",  // no on_start: fine
            "lib/util.lua": #"return { menu = function() return ivr.menu{ rec = "hi", menu = "m" } end }"#,
        ])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try EngineCLI.run(["check", "--scripts", dir])
        #expect(run.status == 0)
        #expect(run.stdout == "ok: 3 scripts checked (layer, main, lib/util.lua)\n")
    }

    @Test func syntaxErrorNamesFileAndLine() throws {
        let dir = try TestServer.makeDirectory([
            "main.lua": clean,
            "bad.lua": "function on_start(call)\n  return ivr.menu{ rec = \"x\", menu = \"m\"\nend\n",
        ])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try EngineCLI.run(["check", "--scripts", dir])
        #expect(run.status == 1)
        #expect(run.lines.count == 1)
        #expect(run.stdout.hasPrefix("\(dir)/bad.lua:3: '}' expected"))
    }

    @Test func topLevelRuntimeError() throws {
        let dir = try TestServer.makeDirectory(["main.lua": "local x = nil\nX = x.y\n"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try EngineCLI.run(["check", "--scripts", dir])
        #expect(run.status == 1)
        #expect(run.stdout.hasPrefix("\(dir)/main.lua:2: attempt to index a nil value"))
    }

    @Test func onStartMisusingAConstructorNamesTheCallLine() throws {
        let dir = try TestServer.makeDirectory(["start.lua": """
            function on_start(call)
              local greeting = "hi"
              return ivr.menu{ rec = greeting, menu = "m", colour = "red" }
            end
            """])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try EngineCLI.run(["check", "--scripts", dir])
        #expect(run.status == 1)
        #expect(run.stdout == "\(dir)/start.lua:3: ivr.menu: unknown key 'colour'\n")
    }

    @Test func everyLineStartsWithTheScriptPath() throws {
        let dir = try TestServer.makeDirectory([
            "errobj.lua": "error({})",                                      // no location in the message
            "none.lua": "function on_start(call) return nil end",            // not an action
            "lib/broken.lua": "local = 3",                                  // a module that does not compile
            "main.lua": clean,
        ])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try EngineCLI.run(["check", "--scripts", dir])
        #expect(run.status == 1)
        #expect(run.lines.count == 3, "\(run.stdout)")
        for line in run.lines { #expect(line.hasPrefix(dir + "/"), "\(line)") }
        #expect(run.stdout.contains("\(dir)/errobj.lua: (error object is a table value)"))
        #expect(run.stdout.contains("\(dir)/none.lua:1: on_start returned nil"))
        #expect(run.stdout.contains("\(dir)/lib/broken.lua:1:"))
    }

    @Test func sampleMenusCheckClean() throws {
        let run = try EngineCLI.run(["check", "--scripts", EngineCLI.sampleMenus])
        #expect(run.status == 0)
        #expect(run.stdout == "ok: 3 scripts checked (campaign, layer, main)\n")
    }

    @Test func unreadableDirectoryIsAClearError() throws {
        let run = try EngineCLI.run(["check", "--scripts", "/nonexistent/scripts"])
        #expect(run.status == 2)
        #expect(run.stdout.isEmpty)
        #expect(run.stderr.contains("/nonexistent/scripts"))
    }

    @Test func helpDocumentsTheCommand() throws {
        let run = try EngineCLI.run(["check", "--help"])
        #expect(run.status == 0)
        #expect(run.stdout.contains("on_start"))
        #expect(run.stdout.contains("Exit status"))
    }
}
