/*
 * The C side of `ivr-engine test`'s Lua API, in a test file's own state.
 *
 * The primitives (fail, call, set_clock) and the call object's methods are C
 * functions called straight from test code, so `luaL_where(L, 1)` is the test
 * line. They call Swift through ivr_test_callbacks with memory enforcement
 * off; Swift reports failure by status and the trampolines here raise the Lua
 * error afterwards, so a Lua error never crosses a Swift frame.
 *
 * A simulated request can take as long as the engine's deadline: the time
 * budget of the test's Lua code starts again when it returns, so the budget
 * bounds the test's own code between requests, not the scripts it drives.
 */
#define _POSIX_C_SOURCE 200809L
#include "internal.h"

#include <string.h>
#include <time.h>

static const char ivr_key_test_cb = 0;
static const char ivr_key_test_line = 0;

/* Name of the call objects' metatable (also its __name). */
#define IVR_TEST_CALL_MT "ivr.test.call"

/* Runs a Swift callback with memory enforcement off. */
#define IVR_TEST_UNENFORCED(c, expr) do { int saved_ = (c)->enforce; (c)->enforce = 0; expr; (c)->enforce = saved_; } while (0)

static const ivr_test_callbacks *ivr_test_cb(lua_State *L) {
    lua_rawgetp(L, LUA_REGISTRYINDEX, &ivr_key_test_cb);
    const ivr_test_callbacks *cb = (const ivr_test_callbacks *)lua_touserdata(L, -1);
    lua_pop(L, 1);  /* the registry keeps the userdata alive */
    return cb;
}

/* The time budget of the running test code starts again (after a simulated request). */
static void ivr_test_rearm(ivr_ctx *c) {
    if (!c->active || c->fired != IVR_FIRED_NONE) return;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    c->deadline_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec + c->budget_ns;
}

/* The innermost frame, from `level` up, running test-file code (a chunk named "@path"). */
static int ivr_test_frame(lua_State *L, int level, lua_Debug *ar) {
    for (; lua_getstack(L, level, ar); level++) {
        if (lua_getinfo(L, "Sl", ar) && ar->source != NULL && ar->source[0] == '@' && ar->currentline > 0) return 1;
    }
    return 0;
}

/* Raises the message Swift pushed (or `fallback`), prefixed with the caller's line. */
static int ivr_test_raise(lua_State *L, int base, const char *fallback) {
    if (lua_gettop(L) <= base || lua_type(L, -1) != LUA_TSTRING) {
        lua_settop(L, base);
        lua_pushstring(L, fallback);
    }
    luaL_where(L, 1);
    lua_insert(L, -2);
    lua_concat(L, 2);
    return lua_error(L);
}

/* ---- primitives ---- */

/* fail(message): records a failed assertion at the innermost test-file line. */
static int ivr_test_fail(lua_State *L) {
    size_t len;
    const char *message = luaL_checklstring(L, 1, &len);
    lua_Debug ar;
    const char *source = "";
    int line = 0;
    if (ivr_test_frame(L, 1, &ar)) {
        source = ar.source + 1;
        line = ar.currentline;
    }
    ivr_ctx *c = ivr_ctx_of(L);
    const ivr_test_callbacks *cb = ivr_test_cb(L);
    if (cb != NULL && cb->fail != NULL) {
        IVR_TEST_UNENFORCED(c, cb->fail(c->owner, source, strlen(source), line, message, len));
    }
    return 0;
}

/* set_clock(t | nil): the time scripts (and this state) see. */
static int ivr_test_set_clock(lua_State *L) {
    int has = !lua_isnoneornil(L, 1);
    double t = has ? luaL_checknumber(L, 1) : 0;
    ivr_set_clock_override(L, has, t);
    ivr_ctx *c = ivr_ctx_of(L);
    const ivr_test_callbacks *cb = ivr_test_cb(L);
    if (cb != NULL && cb->set_clock != NULL) IVR_TEST_UNENFORCED(c, cb->set_clock(c->owner, has, t));
    return 0;
}

/* call{...}: a new simulated call. */
static int ivr_test_call(lua_State *L) {
    if (!lua_isnoneornil(L, 1) && lua_type(L, 1) != LUA_TTABLE)
        return luaL_error(L, "call: expected a table of fields, as in call{ caller_id = \"0541234567\" }, got %s",
                          luaL_typename(L, 1));
    lua_settop(L, 1);
    luaL_checkstack(L, 24, "call");
    ivr_ctx *c = ivr_ctx_of(L);
    const ivr_test_callbacks *cb = ivr_test_cb(L);
    int rc = 1;
    if (cb != NULL && cb->new_call != NULL) IVR_TEST_UNENFORCED(c, rc = cb->new_call(c->owner, L));
    if (rc != 0 || lua_gettop(L) != 2 || !lua_isinteger(L, 2)) return ivr_test_raise(L, 1, "call: could not start a call");
    lua_Integer handle = lua_tointeger(L, 2);
    lua_Integer *slot = (lua_Integer *)lua_newuserdatauv(L, sizeof(lua_Integer), 0);
    *slot = handle;
    luaL_setmetatable(L, IVR_TEST_CALL_MT);
    return 1;
}

/* ---- call objects ---- */

/* c:start(), c:press(...), c:layer(...), c:hangup{...}: upvalue 1 the request, 2 its name. */
static int ivr_test_request(lua_State *L) {
    int request = (int)lua_tointeger(L, lua_upvalueindex(1));
    const char *name = lua_tostring(L, lua_upvalueindex(2));
    lua_Integer *slot = (lua_Integer *)luaL_testudata(L, 1, IVR_TEST_CALL_MT);
    if (slot == NULL) return luaL_error(L, "%s: call it on a call, with a colon: c:%s(...)", name, name);
    luaL_checkstack(L, 24, name);
    int base = lua_gettop(L);
    ivr_ctx *c = ivr_ctx_of(L);
    const ivr_test_callbacks *cb = ivr_test_cb(L);
    int rc = 1;
    if (cb != NULL && cb->call_request != NULL) IVR_TEST_UNENFORCED(c, rc = cb->call_request(c->owner, L, *slot, request));
    ivr_test_rearm(c);
    if (rc == 0 && lua_gettop(L) == base + 1) return 1;
    return ivr_test_raise(L, base, "the request could not be made");
}

/* c.key: a method, else a field from Swift (state, id, menu, ...). Upvalue 1: the methods. */
static int ivr_test_call_index(lua_State *L) {
    lua_settop(L, 2);
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) return 1;
    lua_settop(L, 2);
    lua_Integer *slot = (lua_Integer *)luaL_testudata(L, 1, IVR_TEST_CALL_MT);
    if (slot == NULL || lua_type(L, 2) != LUA_TSTRING) {
        lua_pushnil(L);
        return 1;
    }
    luaL_checkstack(L, 24, "call field");
    ivr_ctx *c = ivr_ctx_of(L);
    const ivr_test_callbacks *cb = ivr_test_cb(L);
    if (cb != NULL && cb->call_field != NULL) IVR_TEST_UNENFORCED(c, cb->call_field(c->owner, L, *slot));
    if (lua_gettop(L) != 3) {
        lua_settop(L, 2);
        lua_pushnil(L);
    }
    return 1;
}

static int ivr_test_call_newindex(lua_State *L) {
    return luaL_error(L, "a call is read-only: give its fields to call{...}");
}

/* tostring(c): "call <id>". */
static int ivr_test_call_tostring(lua_State *L) {
    lua_settop(L, 1);
    lua_pushliteral(L, "id");
    lua_Integer *slot = (lua_Integer *)luaL_testudata(L, 1, IVR_TEST_CALL_MT);
    ivr_ctx *c = ivr_ctx_of(L);
    const ivr_test_callbacks *cb = ivr_test_cb(L);
    if (slot != NULL && cb != NULL && cb->call_field != NULL) IVR_TEST_UNENFORCED(c, cb->call_field(c->owner, L, *slot));
    lua_pushfstring(L, "call %s", lua_gettop(L) == 3 && lua_type(L, 3) == LUA_TSTRING ? lua_tostring(L, 3) : "?");
    return 1;
}

/* ---- setup ---- */

static int ivr_test_setup(lua_State *L) {
    static const char *const names[] = {"start", "press", "layer", "hangup"};
    static const int requests[] = {IVR_TEST_START, IVR_TEST_PRESS, IVR_TEST_LAYER, IVR_TEST_HANGUP};
    const ivr_test_callbacks *given = (const ivr_test_callbacks *)lua_touserdata(L, 1);
    ivr_test_callbacks *copy = (ivr_test_callbacks *)lua_newuserdatauv(L, sizeof *copy, 0);
    *copy = *given;
    lua_rawsetp(L, LUA_REGISTRYINDEX, &ivr_key_test_cb);

    luaL_newmetatable(L, IVR_TEST_CALL_MT);
    lua_createtable(L, 0, 4);
    for (int i = 0; i < 4; i++) {
        lua_pushinteger(L, requests[i]);
        lua_pushstring(L, names[i]);
        lua_pushcclosure(L, ivr_test_request, 2);
        lua_setfield(L, -2, names[i]);
    }
    lua_pushcclosure(L, ivr_test_call_index, 1);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, ivr_test_call_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushcfunction(L, ivr_test_call_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 1);
    return 0;
}

int ivr_test_install(lua_State *L, const ivr_test_callbacks *callbacks) {
    lua_pushcfunction(L, ivr_test_setup);
    lua_pushlightuserdata(L, (void *)callbacks);
    int status = lua_pcall(L, 1, 0, 0);
    if (status != LUA_OK) lua_pop(L, 1);
    return status;
}

void ivr_test_push_env(lua_State *L) {
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_setfield(L, -2, "_G");
    lua_createtable(L, 0, 2);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &ivr_key_base);
    lua_setfield(L, -2, "__index");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
}

void ivr_test_push_primitives(lua_State *L) {
    lua_createtable(L, 0, 3);
    lua_pushcfunction(L, ivr_test_fail);
    lua_setfield(L, -2, "fail");
    lua_pushcfunction(L, ivr_test_call);
    lua_setfield(L, -2, "call");
    lua_pushcfunction(L, ivr_test_set_clock);
    lua_setfield(L, -2, "set_clock");
}

/* ---- errors ---- */

/* Records the innermost test-file line, and turns the error into a string. */
static int ivr_test_msgh(lua_State *L) {
    ivr_ctx *c = ivr_ctx_of(L);
    int saved = c->enforce;
    c->enforce = 0;
    lua_settop(L, 1);
    lua_Debug ar;
    lua_pushinteger(L, ivr_test_frame(L, 1, &ar) ? ar.currentline : 0);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &ivr_key_test_line);
    int t = lua_type(L, 1);
    if (t == LUA_TSTRING || t == LUA_TNUMBER) {
        lua_tostring(L, 1);
    } else {
        if (!(luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)) {
            lua_settop(L, 1);
            lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
        }
        lua_replace(L, 1);
    }
    c->enforce = saved;
    return 1;
}

void ivr_test_push_msgh(lua_State *L) { lua_pushcfunction(L, ivr_test_msgh); }

int ivr_test_error_line(lua_State *L) {
    lua_rawgetp(L, LUA_REGISTRYINDEX, &ivr_key_test_line);
    int line = (int)lua_tointeger(L, -1);
    lua_pop(L, 1);
    lua_pushnil(L);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &ivr_key_test_line);
    return line;
}

void ivr_test_push_short_src(lua_State *L, int idx) {
    lua_Debug ar;
    lua_pushvalue(L, idx);
    if (lua_type(L, -1) == LUA_TFUNCTION && lua_getinfo(L, ">S", &ar)) {
        lua_pushstring(L, ar.short_src);
    } else {
        lua_settop(L, lua_gettop(L) - 1);
        lua_pushliteral(L, "?");
    }
}
