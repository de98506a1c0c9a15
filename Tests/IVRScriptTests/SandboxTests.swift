import IVRScript
import IVRState
import IVRWire
import Testing

/// lua-api.md "Budgets and sandbox": what scripts get, and every escape refused.
@Suite struct SandboxTests {
    /// Runs `body` in on_start; it must raise an error whose message contains `fragment`.
    private func refused(_ body: String, _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let source = "function on_start(call)\n  \(body)\n  return ivr.hangup{}\nend"
        let failure = run(source).failure
        #expect(failure?.reason == .error, "\(body) was not refused", sourceLocation: sourceLocation)
        #expect(failure?.message.contains(fragment) == true, "\(failure?.message ?? "")", sourceLocation: sourceLocation)
    }

    @Test(arguments: [
        ("io.open('/etc/passwd')", "global 'io'"),
        ("os.execute('true')", "field 'execute'"),
        ("os.remove('/tmp/x')", "field 'remove'"),
        ("os.rename('/tmp/x', '/tmp/y')", "field 'rename'"),
        ("os.getenv('HOME')", "field 'getenv'"),
        ("os.exit(1)", "field 'exit'"),
        ("os.tmpname()", "field 'tmpname'"),
        ("dofile('/etc/passwd')", "global 'dofile'"),
        ("loadfile('/etc/passwd')", "global 'loadfile'"),
        ("package.loadlib('libc.so.6', 'system')", "global 'package'"),
        ("debug.getregistry()", "global 'debug'"),
        ("require('os')", "module 'os' not found in the scripts directory"),
        ("require('io')", "module 'io' not found in the scripts directory"),
        ("require('debug')", "module 'debug' not found in the scripts directory"),
        ("require('../x')", "module '../x' not found in the scripts directory"),
        ("require('/etc/passwd')", "module '/etc/passwd' not found in the scripts directory"),
        ("getmetatable('').__index = {}", "attempt to index a boolean value"),
        ("getmetatable('').__index.upper = nil", "attempt to index a boolean value"),
        ("string.upper = function() return 'pwned' end", "attempt to modify read-only table 'string'"),
        ("table.insert = nil", "attempt to modify read-only table 'table'"),
        ("math.pi = 3", "attempt to modify read-only table 'math'"),
        ("os.time = nil", "attempt to modify read-only table 'os'"),
        ("ivr.menu = nil", "attempt to modify read-only table 'ivr'"),
        ("ivr.log.info = nil", "attempt to modify read-only table 'ivr.log'"),
        ("rawset(string, 'upper', print)", "rawset: this table is read-only"),
        ("setmetatable(string, nil)", "cannot change a protected metatable"),
        ("setmetatable({}, { __gc = function() end })", "__gc metamethods are not available to scripts"),
        ("collectgarbage('stop')", "collectgarbage: option 'stop' is not available to scripts"),
        ("collectgarbage('generational')", "option 'generational' is not available"),
    ])
    func escapesAreRefused(body: String, fragment: String) {
        refused(body, fragment)
    }

    @Test func binaryChunksAreRefused() {
        let source = """
            function on_start(call)
              local f, err = load(string.dump(function() return 1 end))
              return ivr.hangup{ hangup_rec = tostring(f) .. " " .. tostring(err) }
            end
            """
        let rec = run(source).action?["HANGUP_REC"]
        #expect(rec == .string("nil attempt to load a binary chunk (mode is 't')"))
        // Asking for mode "b" does not help.
        let forced = run("function on_start() local f, e = load(string.dump(print and function() end), 'x', 'b'); return ivr.hangup{ hangup_rec = tostring(e) } end")
        #expect(forced.action?["HANGUP_REC"] == .string("attempt to load a binary chunk (mode is 't')"))
    }

    @Test func librariesCannotBeChangedForOtherScripts() {
        // a.lua tries everything at load; b.lua still sees the real libraries.
        let b = bundle([
            "a.lua": """
                pcall(function() string.upper = nil end)
                pcall(rawset, string, "upper", nil)
                pcall(function() getmetatable("").__index = {} end)
                pcall(function() ivr.hangup = nil end)
                function on_start() return ivr.hangup{} end
                """,
            "b.lua": #"function on_start() return ivr.hangup{ hangup_rec = ("ok"):upper() .. string.upper("!") } end"#,
        ])
        let worker = makeWorker()
        #expect(worker.handle(context(getAction(), route: "a"), state: StateTable(), bundle: b).succeeded)
        let other = worker.handle(context(getAction(), route: "b"), state: StateTable(), bundle: b)
        #expect(other.action?["HANGUP_REC"] == .string("OK!"))
    }

    @Test func allowedLibrariesWork() {
        let source = """
            function on_start(call)
              local parts = {
                string.format("%03d", 7), table.concat({ "a", "b" }, "-"), tostring(math.floor(2.7)),
                utf8.char(0x05D0), tostring(utf8.len("שלום")), type(os.time()), type(os.clock()), os.date("!%Y", 0),
                tostring(select("#", 1, 2, 3)), tostring(tonumber("0x10")), type(coroutine.wrap(function() end)),
                tostring(rawequal(string, string)), tostring(rawlen({ 1, 2 })), tostring(rawget({ x = 1 }, "x")),
                _VERSION, tostring(next({})), type(pairs(string)), tostring(collectgarbage("count") > 0),
              }
              local n = 0
              for name, fn in pairs(string) do n = n + 1 end
              parts[#parts + 1] = tostring(n > 10)
              local ok, err = pcall(error, "caught")
              parts[#parts + 1] = err
              local ok2, e2 = xpcall(function() error("x", 0) end, function(m) return "handled " .. m end)
              parts[#parts + 1] = e2
              local t = setmetatable({}, { __index = function(_, k) return k .. "!" end })
              parts[#parts + 1] = t.hi
              return ivr.hangup{ hangup_rec = table.concat(parts, "|") }
            end
            """
        let result = run(source)
        #expect(result.action?["HANGUP_REC"] == .string(
            "007|a-b|2|א|4|number|number|1970|3|16|function|true|2|1|Lua 5.4|nil|function|true|true|caught|handled x|hi!"),
                "\(result.failure?.message ?? "")")
    }

    @Test func loadCompilesTextIntoTheScriptsEnvironment() {
        let source = """
            GREETING = "hello"
            function on_start(call)
              local f = load("return GREETING, on_start ~= nil")
              local g, found = f()
              local h = load("return x", "chunk", "t", { x = "own env" })
              return ivr.hangup{ hangup_rec = g .. " " .. tostring(found) .. " " .. h() }
            end
            """
        #expect(run(source).action?["HANGUP_REC"] == .string("hello true own env"))
        refused(#"load("leaked = 1")()"#, "cannot assign global 'leaked' after load")
    }

    @Test func printGoesToTheLog() {
        let logs = LogCapture()
        _ = run("function on_start() print('hello', 42, nil) return ivr.hangup{} end", worker: makeWorker(logs: logs))
        #expect(logs.messages(.info) == ["hello 42 nil"])
    }
}

/// lua-api.md "Where scripts live": globals are frozen after the top level ran.
@Suite struct FrozenGlobalsTests {
    static let source = """
        COUNTER = 0
        local helper = "kept"
        function on_start(call)
          return ivr.hangup{ hangup_rec = helper .. " " .. tostring(COUNTER) .. " " .. tostring(UNDEFINED) }
        end
        function on_input(call)
          if call.menu == "new" then
            fresh = 1 -- NEW
          elseif call.menu == "existing" then
            COUNTER = COUNTER + 1 -- EXISTING
          elseif call.menu == "G" then
            _G.COUNTER = 5 -- VIA_G
          elseif call.menu == "rawset" then
            rawset(_ENV, "COUNTER", 5) -- RAWSET
          elseif call.menu == "meta" then
            setmetatable(_ENV, nil) -- META
          end
          return ivr.hangup{}
        end
        """

    @Test func topLevelAssignmentsAreReadable() {
        #expect(run(Self.source).action?["HANGUP_REC"] == .string("kept 0 nil"))
    }

    @Test(arguments: [("new", "NEW", "fresh"), ("existing", "EXISTING", "COUNTER"), ("G", "VIA_G", "COUNTER")])
    func assigningAGlobalFromAHandlerFails(menu: String, marker: String, name: String) {
        let failure = run(Self.source, getAction(menu: menu)).failure
        let line = line(of: marker, in: Self.source)
        #expect(failure?.reason == .error)
        #expect(failure?.message == "menus/main.lua:\(line): cannot assign global '\(name)' after load: keep per-call data in call.state")
    }

    @Test func rawsetAndMetatableDoNotGetAround() {
        #expect(run(Self.source, getAction(menu: "rawset")).failure?.message.contains("rawset: this table is read-only") == true)
        #expect(run(Self.source, getAction(menu: "meta")).failure?.message.contains("cannot change a protected metatable") == true)
    }

    @Test func failedAssignmentChangesNothing() {
        let worker = makeWorker()
        let b = mainBundle(Self.source)
        _ = worker.handle(context(getAction(menu: "existing")), state: StateTable(), bundle: b)
        #expect(worker.handle(context(getAction()), state: StateTable(), bundle: b).action?["HANGUP_REC"] == .string("kept 0 nil"))
    }

    @Test func upvaluesAndTablesStayMutable() {
        // Frozen means the globals table; module state lives in locals, tables may change.
        let source = """
            local count = 0
            CONFIG = { hits = 0 }
            function on_start(call)
              count = count + 1
              CONFIG.hits = CONFIG.hits + 1
              return ivr.hangup{ hangup_cause = count * 10 + CONFIG.hits }
            end
            """
        let worker = makeWorker()
        let b = mainBundle(source)
        _ = worker.handle(context(getAction()), state: StateTable(), bundle: b)
        #expect(worker.handle(context(getAction()), state: StateTable(), bundle: b).action?["HANGUP_CAUSE"] == .int(22))
    }
}
