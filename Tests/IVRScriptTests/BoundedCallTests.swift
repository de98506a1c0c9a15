import IVRScript
import IVRState
import IVRWire
import Testing

/// The bounded copies of the library functions that could run long inside one C call
/// (Sources/CLuaShims/bounded.c): pattern matching, the plain search, table.sort and the
/// table element loops are stopped by the time budget and the interrupter, and otherwise
/// give exactly what stock Lua 5.4.4 gives.
@Suite struct BoundedCallTests {
    static let normal = "function on_input(call) return ivr.hangup{ hangup_rec = 'fine' } end"

    /// Runs `source` on `worker`, then checks a normal request still works on it.
    private func runThenRecover(_ source: String, worker: ScriptWorker,
                                pulse: InterruptPulse? = nil,
                                sourceLocation: SourceLocation = #_sourceLocation) -> (ScriptResult, Duration) {
        let start = ContinuousClock.now
        let result = worker.handle(context(getAction()), state: StateTable(), bundle: mainBundle(source, version: 1))
        let elapsed = ContinuousClock.now - start
        pulse?.stop()
        let next = worker.handle(context(getAction(menu: "m")), state: StateTable(), bundle: mainBundle(Self.normal, version: 2))
        #expect(next.action?["HANGUP_REC"] == .string("fine"), "\(next.failure?.message ?? "")", sourceLocation: sourceLocation)
        return (result, elapsed)
    }

    // MARK: Stopped by the time budget

    // Each call below runs for several seconds in stock Lua (far longer for slightly
    // bigger arguments) without running a Lua instruction or allocating, so neither the
    // count hook nor the allocator could stop it.
    @Test(arguments: [
        ("string.find(string.rep('a', 30), string.rep('a*', 9) .. 'b')", "find, backtracking"),
        ("string.find(string.rep('a', 90), string.rep('.-', 5) .. 'b')", "find, lazy repetitions"),
        ("string.match(string.rep('a', 30), string.rep('a*', 9) .. 'b')", "match"),
        ("for _ in string.gmatch(string.rep('a', 30), string.rep('a*', 9) .. 'b') do end", "gmatch"),
        ("string.gsub(string.rep('a', 30), string.rep('a*', 9) .. 'b', '')", "gsub"),
        ("local s = string.rep('a', 30) s:find(string.rep('a*', 9) .. 'b')", "method call"),
        ("local s = string.rep('a', 30) s:gsub(string.rep('a*', 9) .. 'b', '%0')", "gsub method call"),
        ("string.find(string.rep('a', 4e6), string.rep('a', 1e5) .. 'b', 1, true)", "plain find"),
        ("string.find(string.rep('a', 4e6), string.rep('a', 1e5) .. 'b')", "find without specials"),
        ("string.find(string.rep('(', 1.5e5), '%b()')", "unbalanced %b"),
        ("local big = string.rep('a', 1 << 20) local t = {} for i = 1, 2e4 do t[i] = big end table.sort(t)",
         "sort of long strings, no comparator"),
        ("table.move({}, 1, 3e8, 1)", "move of many nils"),
        ("table.insert(setmetatable({}, { __len = function() return 3e8 end }), 1, 0)", "insert under __len"),
        ("table.remove(setmetatable({}, { __len = function() return 3e8 end }), 1)", "remove under __len"),
        ("pcall(string.find, string.rep('a', 30), string.rep('a*', 9) .. 'b') return ivr.hangup{}", "pcall swallowing"),
        ("coroutine.wrap(function() pcall(string.find, string.rep('a', 30), string.rep('a*', 9) .. 'b') end)()\n return ivr.hangup{}",
         "pcall in a coroutine"),
    ])
    func pathologicalCallsTimeOut(body: String, label: String) {
        let worker = makeWorker(timeout: .milliseconds(200))
        let (result, elapsed) = runThenRecover("function on_start(call)\n  \(body)\nend", worker: worker)
        #expect(result.failure?.reason == .timeout, "\(label): \(result.failure?.message ?? "succeeded")")
        #expect(result.failure?.message.contains("time budget (200 ms)") == true, "\(label): \(result.failure?.message ?? "")")
        #expect(elapsed < .seconds(2), "\(label) took \(elapsed)")
    }

    @Test func sortWithACComparatorTimesOut() {
        // A million elements (built by C code, in a few ms) sorted with a C comparator:
        // about a second in stock Lua, with no Lua instruction run in between.
        let worker = makeWorker(timeout: .milliseconds(200), memory: 128 << 20)
        let source = """
            function on_start(call)
              local t = { string.byte(string.rep("\\3\\1\\2\\5\\4", 199000), 1, -1) }
              table.sort(t, math.ult)
            end
            """
        let (result, elapsed) = runThenRecover(source, worker: worker)
        #expect(result.failure?.reason == .timeout, "\(result.failure?.message ?? "succeeded")")
        #expect(elapsed < .seconds(2), "took \(elapsed)")
    }

    @Test func stopNamesTheLineOfTheCall() {
        let source = "function on_start(call)\n  local s = string.rep('a', 30)\n  return s:find(string.rep('a*', 9) .. 'b')\nend"
        let failure = run(source, worker: makeWorker(timeout: .milliseconds(100))).failure
        #expect(failure?.message.hasPrefix("menus/main.lua:3: script ran out of its time budget (100 ms)") == true,
                "\(failure?.message ?? "")")
    }

    @Test func emptyRepeatsReturnAtOnce() {
        // Stock string.rep copies an empty string once per count: some seconds for
        // these (and centuries for math.maxinteger).
        let source = """
            function on_start(call)
              local a, b = string.rep("", 2e9), ("").rep("", 2e9, "")
              return ivr.hangup{ hangup_rec = "[" .. a .. b .. "]" }
            end
            """
        let start = ContinuousClock.now
        let result = run(source, worker: makeWorker(timeout: .milliseconds(200)))
        #expect(result.action?["HANGUP_REC"] == .string("[]"), "\(result.failure?.message ?? "")")
        #expect(ContinuousClock.now - start < .seconds(2))
    }

    @Test func ordinaryCallsAreNotStopped() {
        // Plenty of matching and sorting, each call well under the budget.
        let source = """
            function on_start(call)
              local n = 0
              for i = 1, 200 do
                local line = "CALLER_ID=0501234567;DID=035551234;MENU=m" .. i
                n = n + #line:gsub("%d", "#") + #(line:match("DID=(%d+)")) + (line:find("MENU", 1, true))
                for k, v in line:gmatch("(%w+)=(%w+)") do n = n + #k + #v end
              end
              local t = {}
              for i = 1, 5000 do t[i] = (i * 7919) % 10007 end
              table.sort(t)
              table.sort(t, function(a, b) return a > b end)
              return ivr.hangup{ hangup_rec = tostring(n) .. " " .. t[1] .. " " .. t[#t] }
            end
            """
        let result = run(source, worker: makeWorker(timeout: .milliseconds(1000)))
        #expect(result.action?["HANGUP_REC"] == .string("23984 10006 5"), "\(result.failure?.message ?? "")")
    }

    // MARK: Interrupter

    @Test func interrupterStopsAPathologicalFind() {
        // Several seconds in stock Lua; the interrupt must land inside the call.
        let worker = makeWorker(timeout: .seconds(30))
        let pulse = InterruptPulse(worker.interrupter, after: .milliseconds(300))
        let source = "function on_start(call)\n  string.find(string.rep('a', 30), string.rep('a*', 9) .. 'b')\nend"
        let (result, elapsed) = runThenRecover(source, worker: worker, pulse: pulse)
        #expect(result.failure?.reason == .deadline, "\(result.failure?.message ?? "succeeded")")
        #expect(result.failure?.message.contains("deadline passed") == true)
        #expect(elapsed < .seconds(5), "took \(elapsed)")
    }

    @Test func interrupterStopsAPathologicalSort() {
        let worker = makeWorker(timeout: .seconds(30))
        let pulse = InterruptPulse(worker.interrupter, after: .milliseconds(300))
        let source = """
            function on_start(call)
              local big = string.rep("a", 1 << 20)
              local t = {}
              for i = 1, 2e4 do t[i] = big end
              table.sort(t)
            end
            """
        let (result, elapsed) = runThenRecover(source, worker: worker, pulse: pulse)
        #expect(result.failure?.reason == .deadline, "\(result.failure?.message ?? "succeeded")")
        #expect(elapsed < .seconds(5), "took \(elapsed)")
    }

    // MARK: Same results as stock Lua

    /// Helpers for the cases: `ser` turns pcall's results into "ok|v1|v2" (an error
    /// without its "file:line: " prefix), `collect` joins what gmatch yields.
    static let prelude = #"""
        local function ser(ok, ...)
          local n = select("#", ...)
          local t = { tostring(ok) }
          for i = 1, n do t[i + 1] = tostring((select(i, ...))) end
          if not ok then t[2] = t[2]:gsub("^[^:]+:%d+: ", "") end
          return table.concat(t, "|", 1, n + 1)
        end
        local function collect(s, p, init)
          local out = {}
          for a, b in string.gmatch(s, p, init) do
            out[#out + 1] = b ~= nil and (tostring(a) .. "=" .. tostring(b)) or tostring(a)
          end
          return "[" .. table.concat(out, " ") .. "]"
        end
        local function list(t)
          local m = 0
          for k in pairs(t) do if math.type(k) == "integer" and k > m then m = k end end
          local o = {}
          for i = 1, m do o[i] = tostring(t[i]) end
          return "{" .. table.concat(o, ",") .. "}"
        end
        local function sorted(t, f) table.sort(t, f) return list(t) end
        local function inserted(t, ...) table.insert(t, ...) return list(t) end
        local function removed(t, ...) local v = table.remove(t, ...) return tostring(v) .. " " .. list(t) end
        local function moved(t, ...) table.move(t, ...) return list(t) end
        """#

    /// Runs every case (a Lua expression) in one handler and checks its result against
    /// the stock Lua 5.4.4 result recorded beside it.
    private func checkAgainstStock(_ cases: [(String, String)], sourceLocation: SourceLocation = #_sourceLocation) {
        let functions = cases.map { "  function() return \($0.0) end," }.joined(separator: "\n")
        let source = """
            \(Self.prelude)
            local cases = {
            \(functions)
            }
            function on_start(call)
              local out = {}
              for i, f in ipairs(cases) do out[i] = ser(pcall(f)) end
              return ivr.hangup{ hangup_rec = table.concat(out, "\\n") }
            end
            """
        let result = run(source, worker: makeWorker(timeout: .seconds(5)))
        guard case .string(let text)? = result.action?["HANGUP_REC"] else {
            Issue.record("the cases did not run: \(result.failure?.message ?? "no result")", sourceLocation: sourceLocation)
            return
        }
        let got = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(got.count == cases.count, sourceLocation: sourceLocation)
        for (i, (expression, stock)) in cases.enumerated() where i < got.count {
            #expect(got[i] == stock, "\(expression)", sourceLocation: sourceLocation)
        }
    }

    @Test func findGivesStockResults() { checkAgainstStock(Self.find) }
    @Test func matchGivesStockResults() { checkAgainstStock(Self.match) }
    @Test func gmatchGivesStockResults() { checkAgainstStock(Self.gmatch) }
    @Test func gsubGivesStockResults() { checkAgainstStock(Self.gsub) }
    @Test func patternErrorsAreStock() { checkAgainstStock(Self.errors) }
    @Test func repGivesStockResults() { checkAgainstStock(Self.rep) }
    @Test func sortGivesStockResults() { checkAgainstStock(Self.sort) }
    @Test func tableFunctionsGiveStockResults() { checkAgainstStock(Self.table) }

    // Recorded by running the same expressions under stock Lua 5.4.4 (Debian's liblua5.4).
    // The two empty string.rep cases were recorded with small counts: stock Lua takes
    // seconds to return the same empty string.

    static let find: [(String, String)] = [
        (#"string.find("hello world", "o w")"#, #"true|5|7"#),
        (#"string.find("hello world", "(o)%s(w)")"#, #"true|5|7|o|w"#),
        (#"string.find("hello", "l+")"#, #"true|3|4"#),
        (#"string.find("hello", "xyz")"#, #"true|nil"#),
        (#"string.find("a.b", ".", 1, true)"#, #"true|2|2"#),
        (#"string.find("a+b", "+", 1, true)"#, #"true|2|2"#),
        (#"string.find("a+b", "+")"#, #"true|2|2"#),
        (#"string.find("abc", "b", -1)"#, #"true|nil"#),
        (#"string.find("abc", "", 10)"#, #"true|nil"#),
        (#"string.find("abc", "", 4)"#, #"true|4|3"#),
        (#"string.find("abc", "c", -10)"#, #"true|3|3"#),
        (#"("hello"):find("l")"#, #"true|3|3"#),
        (#"("hello"):find("l", 1, true)"#, #"true|3|3"#),
        (#"string.find("THE (quick) fox", "%((%a+)%)")"#, #"true|5|11|quick"#),
        (#"string.find("hello", "()ll()")"#, #"true|3|4|3|5"#),
        (#"string.find("x(a(b)c)y", "%b()")"#, #"true|2|8"#),
        (#"string.find("x(a(b)c y", "%b()")"#, #"true|4|6"#),
        (#"string.find("THE (quick) fox", "%f[%a]%a+%f[%A]", 5)"#, #"true|6|10"#),
        (#"string.find("hello", "^h")"#, #"true|1|1"#),
        (#"string.find("hello", "^e")"#, #"true|nil"#),
        (#"string.find("hello", "o$")"#, #"true|5|5"#),
        (#"string.find("a$b", "$b")"#, #"true|2|3"#),
        (#"string.find("say 'hi' now", "(['\"])(.-)%1")"#, #"true|5|8|'|hi"#),
        (#"string.find("a\0b", "\0", 1, true)"#, #"true|2|2"#),
        (#"string.find("a\0b", "%z")"#, #"true|2|2"#),
        (#"string.find("[x]", "[]]")"#, #"true|3|3"#),
        (#"string.find("a-b", "[%-]")"#, #"true|2|2"#),
        (#"string.find("abc123", "[^%a]+")"#, #"true|4|6"#),
    ]

    static let match: [(String, String)] = [
        (#"string.match("key = value", "(%w+)%s*=%s*(%w+)")"#, #"true|key|value"#),
        (#"string.match("2024-05-20", "(%d+)-(%d+)-(%d+)")"#, #"true|2024|05|20"#),
        (#"string.match("hello", ".-")"#, #"true|"#),
        (#"string.match("hello", "()")"#, #"true|1"#),
        (#"string.match("  trim  ", "^%s*(.-)%s*$")"#, #"true|trim"#),
        (#"string.match("hello", "(l+)", -3)"#, #"true|ll"#),
        (#"string.match("hello", "h(.)")"#, #"true|e"#),
        (#"("0501234567"):match("^05(%d)(%d+)$")"#, #"true|0|1234567"#),
        (#"string.match("hello", "(h)(e)(l)(l)(o)")"#, #"true|h|e|l|l|o"#),
        (#"string.match("hello", "%u")"#, #"true|nil"#),
        (#"string.match("aa", "(a)%1")"#, #"true|a"#),
    ]

    static let gmatch: [(String, String)] = [
        (#"collect("a=1, b=2, c=3", "(%w+)=(%w+)")"#, #"true|[a=1 b=2 c=3]"#),
        (#"collect("^a^b", "^.")"#, #"true|[^a ^b]"#),
        (#"collect("hello", "^h")"#, #"true|[]"#),
        (#"collect("one two three", "%a+", 5)"#, #"true|[two three]"#),
        (#"collect("one two three", "%a+", -5)"#, #"true|[three]"#),
        (#"collect("abc", "")"#, #"true|[   ]"#),
        (#"collect("abc", "()")"#, #"true|[1 2 3 4]"#),
        (#"collect("ab cd", "%a*")"#, #"true|[ab cd]"#),
        (#"collect("THE (quick) fox", "%f[%a]%a+")"#, #"true|[THE quick fox]"#),
    ]

    static let gsub: [(String, String)] = [
        (#"string.gsub("hello world", "o", "0")"#, #"true|hell0 w0rld|2"#),
        (#"string.gsub("hello world", "(%w+)", "<%1>")"#, #"true|<hello> <world>|2"#),
        (#"string.gsub("hello", "", "-")"#, #"true|-h-e-l-l-o-|6"#),
        (#"string.gsub("abc", "%w", "%0%0")"#, #"true|aabbcc|3"#),
        (#"string.gsub("hello world", "%w+", "%%")"#, #"true|% %|2"#),
        (#"string.gsub("$name is $age", "%$(%w+)", {name = "Dana", age = 30})"#, #"true|Dana is 30|2"#),
        (#"string.gsub("a b c", "%a", {a = "1", b = false})"#, #"true|1 b c|3"#),
        (#"string.gsub("1 2 3", "%d", function(d) return d * 2 end)"#, #"true|2 4 6|3"#),
        (#"string.gsub("abc", "%a", function(c) if c == "b" then return "B" end end)"#, #"true|aBc|3"#),
        (#"string.gsub("aaaa", "a", "b", 2)"#, #"true|bbaa|2"#),
        (#"string.gsub("aaaa", "a", "b", 0)"#, #"true|aaaa|0"#),
        (#"string.gsub("aaa", "^a", "b")"#, #"true|baa|1"#),
        (#"string.gsub("abc", "()", "%1")"#, #"true|1a2b3c4|4"#),
        (#"string.gsub("abc", "b*", "-")"#, #"true|-a-c-|3"#),
        (#"string.gsub("hello world", "(o)", 7)"#, #"true|hell7 w7rld|2"#),
        (#"string.gsub("abc", "x", "y")"#, #"true|abc|0"#),
        (#"("a,b,,c"):gsub(",", ";")"#, #"true|a;b;;c|3"#),
        (#"string.gsub("abc", "b", "%2")"#, #"false|invalid capture index %2"#),
        (#"string.gsub("abc", "b", "%x")"#, #"false|invalid use of '%' in replacement string"#),
        (#"string.gsub("abc", "b", function() return {} end)"#, #"false|invalid replacement value (a table)"#),
        (#"string.gsub("abc", "(b)", {b = true})"#, #"false|invalid replacement value (a boolean)"#),
        (#"string.gsub("a", "a", true)"#, #"false|bad argument #3 to 'gsub' (string/function/table expected, got boolean)"#),
    ]

    static let errors: [(String, String)] = [
        (#"string.find("a", "[a")"#, #"false|malformed pattern (missing ']')"#),
        (#"string.find("a", "[^")"#, #"false|malformed pattern (missing ']')"#),
        (#"string.find("a", "a%")"#, #"false|malformed pattern (ends with '%')"#),
        (#"string.find("a", "%b")"#, #"false|malformed pattern (missing arguments to '%b')"#),
        (#"string.find("a", "%f")"#, #"false|missing '[' after '%f' in pattern"#),
        (#"string.find("a", "(a")"#, #"false|unfinished capture"#),
        (#"string.match("a", "a)")"#, #"false|invalid pattern capture"#),
        (#"string.find("aa", "(a)%2")"#, #"false|invalid capture index %2"#),
        (#"string.match(string.rep("a", 1000), string.rep("a?", 1000))"#, #"false|pattern too complex"#),
        (#"string.find("a", string.rep("()", 33))"#, #"false|too many captures"#),
        (#"string.find(nil, "a")"#, #"false|bad argument #1 to 'find' (string expected, got nil)"#),
    ]

    static let rep: [(String, String)] = [
        (#"string.rep("ab", 3, ",")"#, #"true|ab,ab,ab"#),
        (#"string.rep("ab", 3)"#, #"true|ababab"#),
        (#"string.rep("", 2e9)"#, #"true|"#),
        (#"#string.rep("", 2e9, "")"#, #"true|0"#),
        (#"string.rep("x", 0)"#, #"true|"#),
        (#"string.rep("x", -1, ",")"#, #"true|"#),
        (#"string.rep("", 3, ",")"#, #"true|,,"#),
        (#"string.rep("x", 1e10)"#, #"false|resulting string too large"#),
    ]

    static let sort: [(String, String)] = [
        (#"sorted({5, 2, 8, 1, 9, 3})"#, #"true|{1,2,3,5,8,9}"#),
        (#"sorted({5, 2, 8, 1, 9, 3}, function(a, b) return a > b end)"#, #"true|{9,8,5,3,2,1}"#),
        (#"sorted({"pear", "apple", "fig", "banana"})"#, #"true|{apple,banana,fig,pear}"#),
        (#"sorted({3, 1, 2}, math.ult)"#, #"true|{1,2,3}"#),
        (#"sorted({})"#, #"true|{}"#),
        (#"sorted({1})"#, #"true|{1}"#),
        (#"sorted({2, 1})"#, #"true|{1,2}"#),
        (#"sorted({3, 3, 1, 1, 2, 2, 3, 1})"#, #"true|{1,1,1,2,2,3,3,3}"#),
        (#"sorted({5, 4, 3, 2, 1, 6, 7, 8, 9, 10, 11, 12}, function(a, b) return true end)"#, #"false|invalid order function for sorting"#),
        (#"sorted({1, "x", 2})"#, #"false|attempt to compare string with number"#),
        (#"sorted({{}, {}})"#, #"false|attempt to compare two table values"#),
        (#"sorted({2, 1}, 3)"#, #"false|bad argument #2 to 'sort' (function expected, got number)"#),
        (#"sorted(setmetatable({}, {__len = function() return math.maxinteger end}))"#, #"false|bad argument #1 to 'sort' (array too big)"#),
        (#"table.sort(7)"#, #"false|bad argument #1 to 'sort' (table expected, got number)"#),
    ]

    static let table: [(String, String)] = [
        (#"inserted({1, 2, 3}, 2, "x")"#, #"true|{1,x,2,3}"#),
        (#"inserted({1, 2, 3}, "x")"#, #"true|{1,2,3,x}"#),
        (#"inserted({1, 2, 3}, 5, "x")"#, #"false|bad argument #2 to 'insert' (position out of bounds)"#),
        (#"inserted({1, 2, 3}, 1, 2, 3)"#, #"false|wrong number of arguments to 'insert'"#),
        (#"removed({1, 2, 3}, 1)"#, #"true|1 {2,3}"#),
        (#"removed({1, 2, 3})"#, #"true|3 {1,2}"#),
        (#"removed({}, 0)"#, #"true|nil {}"#),
        (#"removed({1, 2, 3}, 7)"#, #"false|bad argument #1 to 'remove' (position out of bounds)"#),
        (#"moved({1, 2, 3}, 1, 3, 2)"#, #"true|{1,1,2,3}"#),
        (#"moved({1, 2, 3}, 2, 3, 1)"#, #"true|{2,3,3}"#),
        (#"moved({1, 2, 3}, 1, 0, 5)"#, #"true|{1,2,3}"#),
        (#"table.move({}, 1, math.maxinteger, 2)"#, #"false|bad argument #4 to 'move' (destination wrap around)"#),
        (#"table.move({}, -1, math.maxinteger, 1)"#, #"false|bad argument #3 to 'move' (too many elements to move)"#),
        (#"table.concat({1, 2, "x"}, ", ")"#, #"true|1, 2, x"#),
        (#"table.concat({1, 2, 3}, "-", 2, 3)"#, #"true|2-3"#),
        (#"table.concat({}, "x")"#, #"true|"#),
        (#"table.concat({1, {}, 3})"#, #"false|invalid value (table) at index 2 in table for 'concat'"#),
        (#"table.concat({1, 2, 3}, "", 3, 2)"#, #"true|"#),
    ]
}
