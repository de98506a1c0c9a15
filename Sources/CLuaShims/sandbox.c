/*
 * The sandbox: what a script's environment holds, and how it is frozen.
 *
 * One base table per state holds the allowlisted base functions and read-only
 * views of string, table, math, utf8, coroutine, os (time, date, clock) and
 * ivr. Each chunk (a route or a module) gets its own environment whose
 * metatable reads the base; its top level runs once, then ivr_freeze_env moves
 * its globals behind a proxy so any later assignment is an error.
 */
#include "internal.h"

#include <math.h>
#include <string.h>

const char ivr_key_base = 0;
const char ivr_key_env_mt = 0;
const char ivr_key_ivr = 0;
const char ivr_key_protected = 0;
const char ivr_key_load = 0;

/* ---- protected tables (rawset refuses them) ---- */

void ivr_protect(lua_State *L, int idx) {
    idx = lua_absindex(L, idx);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &ivr_key_protected);
    lua_pushvalue(L, idx);
    lua_pushboolean(L, 1);
    lua_rawset(L, -3);
    lua_pop(L, 1);
}

static int ivr_is_protected(lua_State *L, int idx) {
    idx = lua_absindex(L, idx);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &ivr_key_protected);
    lua_pushvalue(L, idx);
    int found = lua_rawget(L, -2) != LUA_TNIL;
    lua_pop(L, 2);
    return found;
}

/* ---- read-only views ---- */

static int ivr_readonly_newindex(lua_State *L) {
    return luaL_error(L, "attempt to modify read-only table '%s'", lua_tostring(L, lua_upvalueindex(1)));
}

static int ivr_readonly_pairs(lua_State *L) {
    lua_getglobal(L, "next");
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushnil(L);
    return 3;
}

void ivr_make_view(lua_State *L, const char *name) {
    int real = lua_gettop(L);
    lua_newtable(L);
    lua_createtable(L, 0, 4);
    lua_pushvalue(L, real);
    lua_setfield(L, -2, "__index");
    lua_pushstring(L, name);
    lua_pushcclosure(L, ivr_readonly_newindex, 1);
    lua_setfield(L, -2, "__newindex");
    lua_pushvalue(L, real);
    lua_pushcclosure(L, ivr_readonly_pairs, 1);
    lua_setfield(L, -2, "__pairs");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    ivr_protect(L, -1);
    lua_replace(L, real);
}

/* ---- wrapped base functions ---- */

/* Calls upvalue 1 (the original function) with this call's arguments. */
static int ivr_call_original(lua_State *L) {
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

static int ivr_rawset(lua_State *L) {
    if (lua_type(L, 1) == LUA_TTABLE && ivr_is_protected(L, 1))
        return luaL_error(L, "rawset: this table is read-only (globals are frozen after load: keep per-call data in call.state)");
    return ivr_call_original(L);
}

static int ivr_setmetatable(lua_State *L) {
    if (lua_type(L, 2) == LUA_TTABLE) {
        lua_pushliteral(L, "__gc");
        int has_gc = lua_rawget(L, 2) != LUA_TNIL;
        lua_pop(L, 1);
        if (has_gc) return luaL_error(L, "setmetatable: __gc metamethods are not available to scripts");
    }
    return ivr_call_original(L);
}

static int ivr_collectgarbage(lua_State *L) {
    const char *opt = luaL_optstring(L, 1, "collect");
    if (strcmp(opt, "collect") != 0 && strcmp(opt, "count") != 0 && strcmp(opt, "step") != 0)
        return luaL_error(L, "collectgarbage: option '%s' is not available to scripts", opt);
    return ivr_call_original(L);
}

/* load(chunk [, chunkname [, mode [, env]]]): text only; env defaults to the script's. */
static int ivr_load(lua_State *L) {
    int has_env = lua_gettop(L) >= 4;
    lua_settop(L, 4);
    lua_pushliteral(L, "t");
    lua_replace(L, 3);
    if (!has_env) {
        lua_pushvalue(L, lua_upvalueindex(1));
        lua_replace(L, 4);
    }
    lua_rawgetp(L, LUA_REGISTRYINDEX, &ivr_key_load);
    lua_insert(L, 1);
    lua_call(L, 4, LUA_MULTRET);
    return lua_gettop(L);
}

/* os.time(): the clock override when there is no argument. */
static int ivr_os_time(lua_State *L) {
    ivr_ctx *c = ivr_ctx_of(L);
    if (lua_isnoneornil(L, 1) && c->has_clock) {
        lua_pushinteger(L, (lua_Integer)floor(c->clock));
        return 1;
    }
    return ivr_call_original(L);
}

/* os.date([format [, time]]): the clock override when there is no time. */
static int ivr_os_date(lua_State *L) {
    ivr_ctx *c = ivr_ctx_of(L);
    if (lua_isnoneornil(L, 2) && c->has_clock) {
        lua_settop(L, 1);
        lua_pushinteger(L, (lua_Integer)floor(c->clock));
    }
    return ivr_call_original(L);
}

/* ---- frozen environments ---- */

static int ivr_frozen_newindex(lua_State *L) {
    const char *name = luaL_tolstring(L, 2, NULL);
    return luaL_error(L, "cannot assign global '%s' after load: keep per-call data in call.state", name);
}

void ivr_freeze_env(lua_State *L, int env) {
    env = lua_absindex(L, env);
    lua_newtable(L);
    int hidden = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, env)) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, hidden);
    }
    lua_pushnil(L);
    while (lua_next(L, env)) {
        lua_pop(L, 1);
        lua_pushvalue(L, -1);
        lua_pushnil(L);
        lua_rawset(L, env);
    }
    lua_rawgetp(L, LUA_REGISTRYINDEX, &ivr_key_env_mt);
    lua_setmetatable(L, hidden);
    lua_createtable(L, 0, 3);
    lua_pushvalue(L, hidden);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, ivr_frozen_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, env);
    ivr_protect(L, env);
}

/* ---- require ---- */

static int ivr_valid_module_name(const char *s, size_t len) {
    int segment = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        if (ch == '.') {
            if (segment == 0) return 0;
            segment = 0;
        } else if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_') {
            segment++;
        } else {
            return 0;
        }
    }
    return segment > 0;
}

/* require(name): upvalue 1 is the version record {modules=, loading=}, upvalue 2 the version. */
static int ivr_require(lua_State *L) {
    size_t len;
    const char *name = luaL_checklstring(L, 1, &len);
    lua_settop(L, 1);
    if (!ivr_valid_module_name(name, len))
        return luaL_error(L, "module '%s' not found in the scripts directory", name);
    lua_getfield(L, lua_upvalueindex(1), "modules"); /* 2 */
    lua_pushvalue(L, 1);
    if (lua_rawget(L, 2) != LUA_TNIL) return 1;
    lua_pop(L, 1);
    lua_getfield(L, lua_upvalueindex(1), "loading"); /* 3 */
    lua_pushvalue(L, 1);
    if (lua_rawget(L, 3) != LUA_TNIL)
        return luaL_error(L, "require cycle: module '%s' is required while it is still loading", name);
    lua_pop(L, 1);

    ivr_ctx *c = ivr_ctx_of(L);
    int saved = c->enforce;
    c->enforce = 0;
    int rc = c->cb.load_module != NULL
        ? c->cb.load_module(c->owner, L, lua_tointeger(L, lua_upvalueindex(2)), name, len)
        : 1;
    c->enforce = saved;
    if (rc == 1) return luaL_error(L, "module '%s' not found in the scripts directory", name);
    if (rc != 0) {
        if (lua_gettop(L) < 4 || lua_type(L, -1) != LUA_TSTRING) lua_pushfstring(L, "module '%s' failed to compile", name);
        return lua_error(L);
    }
    /* 4: the chunk; 5: its environment */
    ivr_push_env(L, lua_upvalueindex(1), lua_tointeger(L, lua_upvalueindex(2)));
    lua_pushvalue(L, 5);
    if (lua_setupvalue(L, 4, 1) == NULL) lua_pop(L, 1);

    lua_pushvalue(L, 1);
    lua_pushboolean(L, 1);
    lua_rawset(L, 3);
    lua_pushvalue(L, 4);
    lua_pushvalue(L, 1);
    int status = lua_pcall(L, 1, 1, 0); /* 6: the module's value, or the error */
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    lua_rawset(L, 3);
    if (status != LUA_OK) return lua_error(L);
    if (lua_isnil(L, 6)) {
        lua_pushboolean(L, 1);
        lua_replace(L, 6);
    }
    ivr_freeze_env(L, 5);
    lua_pop(L, 1);
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 6);
    lua_rawset(L, 2);
    lua_settop(L, 6);
    return 1;
}

void ivr_push_version_record(lua_State *L) {
    lua_createtable(L, 0, 2);
    lua_newtable(L);
    lua_setfield(L, -2, "modules");
    lua_newtable(L);
    lua_setfield(L, -2, "loading");
}

void ivr_push_env(lua_State *L, int record, lua_Integer version) {
    record = lua_absindex(L, record);
    lua_createtable(L, 0, 8);
    int env = lua_gettop(L);
    lua_pushvalue(L, record);
    lua_pushinteger(L, version);
    lua_pushcclosure(L, ivr_require, 2);
    lua_setfield(L, env, "require");
    lua_pushvalue(L, env);
    lua_pushcclosure(L, ivr_load, 1);
    lua_setfield(L, env, "load");
    lua_pushvalue(L, env);
    lua_setfield(L, env, "_G");
    lua_rawgetp(L, LUA_REGISTRYINDEX, &ivr_key_env_mt);
    lua_setmetatable(L, env);
}

void ivr_push_function_where(lua_State *L, int idx) {
    lua_Debug ar;
    lua_pushvalue(L, idx);
    if (lua_type(L, -1) == LUA_TFUNCTION && lua_getinfo(L, ">S", &ar) && ar.linedefined > 0) {
        lua_pushfstring(L, "%s:%d", ar.short_src, ar.linedefined);
    } else {
        lua_settop(L, lua_gettop(L) - 1);
        lua_pushliteral(L, "?");
    }
}

/* ---- setup ---- */

static const char *const ivr_base_names[] = {
    "assert", "error", "ipairs", "next", "pairs", "pcall", "xpcall", "rawequal", "rawget", "rawlen",
    "select", "getmetatable", "tonumber", "tostring", "type", "_VERSION", NULL,
};

/* Copies globals[name] into the table at `dst`. */
static void ivr_copy_global(lua_State *L, int dst, const char *name) {
    lua_getglobal(L, name);
    lua_setfield(L, dst, name);
}

/* Sets dst[name] = closure(f, globals[name]). */
static void ivr_wrap_global(lua_State *L, int dst, const char *name, lua_CFunction f) {
    lua_getglobal(L, name);
    lua_pushcclosure(L, f, 1);
    lua_setfield(L, dst, name);
}

/* Opens library `name`, puts the `bounded` functions (or NULL) in it in place of
   the originals, pushes a read-only view of it, and stores it in base[name]. */
static void ivr_add_library(lua_State *L, int base, const char *name, lua_CFunction open,
                            const luaL_Reg *bounded) {
    luaL_requiref(L, name, open, 0);
    if (bounded != NULL) luaL_setfuncs(L, bounded, 0);
    ivr_make_view(L, name);
    lua_setfield(L, base, name);
}

int ivr_setup_sandbox(lua_State *L) {
    /* Registry tables. */
    lua_newtable(L);
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &ivr_key_protected);

    luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
    lua_pop(L, 1);
    lua_getglobal(L, "load");
    lua_rawsetp(L, LUA_REGISTRYINDEX, &ivr_key_load);

    lua_newtable(L);
    int base = lua_gettop(L);
    for (const char *const *n = ivr_base_names; *n != NULL; n++) ivr_copy_global(L, base, *n);
    ivr_wrap_global(L, base, "rawset", ivr_rawset);
    ivr_wrap_global(L, base, "setmetatable", ivr_setmetatable);
    ivr_wrap_global(L, base, "collectgarbage", ivr_collectgarbage);

    /* The string library is also the string metatable's __index (s:find()),
       so the bounded functions (bounded.c) serve method calls too. */
    ivr_add_library(L, base, LUA_STRLIBNAME, luaopen_string, ivr_bounded_string_funcs);
    ivr_add_library(L, base, LUA_TABLIBNAME, luaopen_table, ivr_bounded_table_funcs);
    ivr_add_library(L, base, LUA_MATHLIBNAME, luaopen_math, NULL);
    ivr_add_library(L, base, LUA_UTF8LIBNAME, luaopen_utf8, NULL);
    ivr_add_library(L, base, LUA_COLIBNAME, luaopen_coroutine, NULL);

    /* os: time, date and clock only. */
    luaL_requiref(L, LUA_OSLIBNAME, luaopen_os, 0);
    int os = lua_gettop(L);
    lua_createtable(L, 0, 3);
    lua_getfield(L, os, "time");
    lua_pushcclosure(L, ivr_os_time, 1);
    lua_setfield(L, -2, "time");
    lua_getfield(L, os, "date");
    lua_pushcclosure(L, ivr_os_date, 1);
    lua_setfield(L, -2, "date");
    lua_getfield(L, os, "clock");
    lua_setfield(L, -2, "clock");
    ivr_make_view(L, "os");
    lua_setfield(L, base, "os");
    lua_pop(L, 1);

    /* The string metatable: scripts must not reach or change it. */
    lua_pushliteral(L, "");
    if (lua_getmetatable(L, -1)) {
        lua_pushboolean(L, 0);
        lua_setfield(L, -2, "__metatable");
        lua_pop(L, 1);
    }
    lua_pop(L, 1);

    /* ivr: constructors are added by the host; log and now here. */
    ivr_setup_actions(L);
    lua_newtable(L);
    int ivr = lua_gettop(L);
    ivr_setup_helpers(L, ivr);
    lua_pushvalue(L, ivr);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &ivr_key_ivr);
    ivr_make_view(L, "ivr");
    lua_setfield(L, base, "ivr");

    /* print is ivr.log.info. */
    lua_rawgetp(L, LUA_REGISTRYINDEX, &ivr_key_ivr);
    lua_getfield(L, -1, "log");
    lua_getfield(L, -1, "info");
    lua_setfield(L, base, "print");
    lua_pop(L, 2);

    ivr_protect(L, base);
    lua_pushvalue(L, base);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &ivr_key_base);

    /* The metatable of every environment while it loads, and of every hidden globals table. */
    lua_createtable(L, 0, 2);
    lua_pushvalue(L, base);
    lua_setfield(L, -2, "__index");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_rawsetp(L, LUA_REGISTRYINDEX, &ivr_key_env_mt);
    lua_settop(L, 0);
    return 0;
}
