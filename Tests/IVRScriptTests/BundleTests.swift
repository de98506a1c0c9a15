#if canImport(Glibc)
import Glibc
#endif
import IVRScript
import IVRState
import IVRWire
import Testing

/// ScriptBundle: routes, loading a directory, and versions side by side (the basis of reload).
@Suite struct BundleTests {
    @Test func routesAreTopLevelScriptsWithPlainNames() {
        let b = ScriptBundle(directory: "d", version: 1, files: [
            "main.lua": [], "sales-2.lua": [], "Night_Shift.lua": [], "lib/util.lua": [], "my route.lua": [],
            "x.y.lua": [], ".lua": [], "readme.txt": [],
        ])
        #expect(b.routes == ["Night_Shift", "main", "sales-2"])
        #expect(b.hasRoute("main"))
        #expect(!b.hasRoute("util"))
    }

    @Test func loadReadsEveryLuaFileRecursively() throws {
        let dir = try #require(TempDirectory())
        defer { dir.remove() }
        let main = "function on_start(call) return ivr.hangup{ hangup_rec = require('lib.deep.util').name } end"
        #expect(dir.makeDirectory("lib/deep"))
        #expect(dir.write("main.lua", main))
        #expect(dir.write("lib/deep/util.lua", "return { name = 'שלום' }"))
        #expect(dir.write("notes.txt", "ignored"))
        #expect(symlink(dir.path + "/lib", dir.path + "/loop") == 0)  // a symlinked directory is not followed

        let b = try ScriptBundle.load(directory: dir.path, version: 7)
        #expect(b.version == 7)
        #expect(b.directory == dir.path)
        #expect(Set(b.files.keys) == ["main.lua", "lib/deep/util.lua"])
        #expect(b.files["lib/deep/util.lua"] == Array("return { name = 'שלום' }".utf8))
        #expect(b.routes == ["main"])

        let result = makeWorker().handle(context(getAction()), state: StateTable(), bundle: b)
        #expect(result.action?["HANGUP_REC"] == .string("שלום"))
    }

    @Test func loadOfAMissingDirectoryThrowsAClearError() {
        #expect {
            _ = try ScriptBundle.load(directory: "/nonexistent/ivr-scripts", version: 1)
        } throws: { error in
            "\(error)" == "scripts directory '/nonexistent/ivr-scripts': not a readable directory"
        }
    }

    // MARK: Versions

    @Test func topLevelRunsOncePerVersionAndVersionsLiveSideBySide() {
        let logs = LogCapture()
        let worker = makeWorker(logs: logs)
        let v1 = mainBundle("ivr.log.info('load v1')\nfunction on_start() return ivr.hangup{ hangup_rec = 'v1' } end", version: 1)
        let v2 = mainBundle("ivr.log.info('load v2')\nfunction on_start() return ivr.hangup{ hangup_rec = 'v2' } end", version: 2)
        for _ in 0..<3 {
            #expect(worker.handle(context(getAction()), state: StateTable(), bundle: v1).action?["HANGUP_REC"] == .string("v1"))
            #expect(worker.handle(context(getAction()), state: StateTable(), bundle: v2).action?["HANGUP_REC"] == .string("v2"))
        }
        #expect(logs.messages(.info) == ["load v1", "load v2"])

        worker.retainOnly(versions: [2])
        #expect(worker.handle(context(getAction()), state: StateTable(), bundle: v2).succeeded)
        #expect(worker.handle(context(getAction()), state: StateTable(), bundle: v1).succeeded)
        #expect(logs.messages(.info) == ["load v1", "load v2", "load v1"])
    }

    @Test func modulesAreCachedPerVersion() {
        let worker = makeWorker()
        let files = [
            "main.lua": "local c = require('c')\nfunction on_start() return ivr.hangup{ hangup_cause = c.next() } end",
            "c.lua": "local n = 0\nreturn { next = function() n = n + 1; return n end }",
        ]
        let v1 = bundle(files, version: 1)
        let v2 = bundle(files, version: 2)
        _ = worker.handle(context(getAction()), state: StateTable(), bundle: v1)
        _ = worker.handle(context(getAction()), state: StateTable(), bundle: v1)
        #expect(worker.handle(context(getAction()), state: StateTable(), bundle: v2).action?["HANGUP_CAUSE"] == .int(1))
        #expect(worker.handle(context(getAction()), state: StateTable(), bundle: v1).action?["HANGUP_CAUSE"] == .int(3))
    }

    @Test func droppedVersionsAreCollected() {
        let worker = makeWorker()
        let big = "BIG = string.rep('x', 4e6)\nfunction on_start() return ivr.hangup{} end"
        let base = worker.memoryInUse
        for version in 1...5 {
            _ = worker.handle(context(getAction()), state: StateTable(), bundle: mainBundle(big, version: version))
            worker.retainOnly(versions: [version])
        }
        #expect(worker.memoryInUse < base + (10 << 20))
    }
}
