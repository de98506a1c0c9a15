/*
 * The `ivr` table's C side: action constructors (trampolines into Swift),
 * the action userdata, ivr.log and ivr.now.
 *
 * An action is a full userdata holding one retained pointer to a Swift box;
 * its __gc hands the pointer back to Swift to release. Swift callbacks run
 * with memory enforcement off and report failure by status; the trampolines
 * here raise the Lua error after Swift has returned.
 */
#include "internal.h"

#include <string.h>

const char ivr_key_action_mt = 0;

/* Runs a callback with memory enforcement off (Swift must not meet a Lua error). */
#define IVR_UNENFORCED(c, expr) do { int saved_ = (c)->enforce; (c)->enforce = 0; expr; (c)->enforce = saved_; } while (0)

/* ---- action userdata ---- */

void **ivr_new_action(lua_State *L) {
    void **slot = (void **)lua_newuserdatauv(L, sizeof(void *), 0);
    *slot = NULL;
    lua_rawgetp(L, LUA_REGISTRYINDEX, &ivr_key_action_mt);
    lua_setmetatable(L, -2);
    return slot;
}

void *ivr_to_action(lua_State *L, int idx) {
    if (lua_type(L, idx) != LUA_TUSERDATA) return NULL;
    void **slot = (void **)lua_touserdata(L, idx);
    if (slot == NULL || !lua_getmetatable(L, idx)) return NULL;
    lua_rawgetp(L, LUA_REGISTRYINDEX, &ivr_key_action_mt);
    int same = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
    return same ? *slot : NULL;
}

static void *ivr_check_action(lua_State *L) {
    void *box = ivr_to_action(L, 1);
    if (box == NULL) luaL_error(L, "expected an ivr action");
    return box;
}

static int ivr_action_gc(lua_State *L) {
    void **slot = (void **)lua_touserdata(L, 1);
    if (slot != NULL && *slot != NULL) {
        ivr_ctx *c = ivr_ctx_of(L);
        void *box = *slot;
        *slot = NULL;
        if (c->cb.action_release != NULL) c->cb.action_release(box);
    }
    return 0;
}

static int ivr_action_index(lua_State *L) {
    void *box = ivr_check_action(L);
    ivr_ctx *c = ivr_ctx_of(L);
    lua_settop(L, 2);
    int n = 0;
    IVR_UNENFORCED(c, n = c->cb.action_index != NULL ? c->cb.action_index(c->owner, L, box) : 0);
    if (n != 1) {
        lua_settop(L, 2);
        lua_pushnil(L);
    }
    return 1;
}

static int ivr_action_tostring(lua_State *L) {
    void *box = ivr_check_action(L);
    ivr_ctx *c = ivr_ctx_of(L);
    lua_settop(L, 1);
    int n = 0;
    IVR_UNENFORCED(c, n = c->cb.action_tostring != NULL ? c->cb.action_tostring(c->owner, L, box) : 0);
    if (n != 1 || lua_type(L, -1) != LUA_TSTRING) {
        lua_settop(L, 1);
        lua_pushliteral(L, "ivr.action");
    }
    return 1;
}

static int ivr_action_newindex(lua_State *L) {
    return luaL_error(L, "actions are read-only: build a new one with its ivr constructor");
}

void ivr_setup_actions(lua_State *L) {
    luaL_newmetatable(L, IVR_ACTION_MT);
    lua_pushcfunction(L, ivr_action_gc);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, ivr_action_index);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, ivr_action_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushcfunction(L, ivr_action_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_rawsetp(L, LUA_REGISTRYINDEX, &ivr_key_action_mt);
}

/* ---- constructors ---- */

/* ivr.<name>{...}: upvalue 1 is the kind, upvalue 2 the constructor's name. */
static int ivr_constructor(lua_State *L) {
    ivr_ctx *c = ivr_ctx_of(L);
    if (lua_type(L, 1) != LUA_TTABLE) {
        const char *name = lua_tostring(L, lua_upvalueindex(2));
        return luaL_error(L, "ivr.%s: expected a table of fields, as in ivr.%s{...}, got %s", name, name,
                          luaL_typename(L, 1));
    }
    lua_settop(L, 1);
    luaL_checkstack(L, 24, "ivr constructor");
    int kind = (int)lua_tointeger(L, lua_upvalueindex(1));
    int rc = 1;
    IVR_UNENFORCED(c, rc = c->cb.make_action != NULL ? c->cb.make_action(c->owner, L, kind) : 1);
    if (rc == 0 && ivr_to_action(L, -1) != NULL) return 1;
    if (lua_gettop(L) < 2 || lua_type(L, -1) != LUA_TSTRING) {
        lua_settop(L, 1);
        lua_pushfstring(L, "ivr.%s: could not build the action", lua_tostring(L, lua_upvalueindex(2)));
    }
    luaL_where(L, 1);
    lua_insert(L, -2);
    lua_concat(L, 2);
    return lua_error(L);
}

void ivr_register_constructor(lua_State *L, const char *name, int kind) {
    lua_rawgetp(L, LUA_REGISTRYINDEX, &ivr_key_ivr);
    lua_pushinteger(L, kind);
    lua_pushstring(L, name);
    lua_pushcclosure(L, ivr_constructor, 2);
    lua_setfield(L, -2, name);
    lua_pop(L, 1);
}

/* ---- helpers ---- */

/* ivr.log.<level>(message, ...): upvalue 1 is the level. Arguments joined by spaces. */
static int ivr_log(lua_State *L) {
    ivr_ctx *c = ivr_ctx_of(L);
    int n = lua_gettop(L);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 1; i <= n; i++) {
        if (i > 1) luaL_addchar(&b, ' ');
        luaL_tolstring(L, i, NULL);
        luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    size_t len;
    const char *message = lua_tolstring(L, -1, &len);
    int level = (int)lua_tointeger(L, lua_upvalueindex(1));
    if (c->cb.log != NULL) IVR_UNENFORCED(c, c->cb.log(c->owner, level, message, len));
    return 0;
}

static int ivr_now(lua_State *L) {
    lua_pushnumber(L, ivr_unix_now(ivr_ctx_of(L)));
    return 1;
}

void ivr_setup_helpers(lua_State *L, int ivr_table) {
    static const char *const levels[] = {"debug", "info", "warn", "error"};
    lua_createtable(L, 0, 4);
    for (int i = 0; i < 4; i++) {
        lua_pushinteger(L, i);
        lua_pushcclosure(L, ivr_log, 1);
        lua_setfield(L, -2, levels[i]);
    }
    ivr_make_view(L, "ivr.log");
    lua_setfield(L, ivr_table, "log");
    lua_pushcfunction(L, ivr_now);
    lua_setfield(L, ivr_table, "now");
}

/* ---- call tables ---- */

static const char ivr_key_call_mt = 0;
static const char ivr_key_current_call = 0;

/* The fields of a call table, in the order of IVR_CALL_FIELD_* (CLuaShims.h). */
#define IVR_CALL_FIELDS(X) \
    X("id") X("did") X("caller_id") X("caller_name") X("method") X("format") X("route") X("seq") \
    X("dtmf") X("menu") X("previous_menu") X("layer_id") X("previous_layer_id") X("hangup") X("request")
#define IVR_FIELD_NAME(s) s,
#define IVR_FIELD_LENGTH(s) sizeof(s) - 1,
static const char *const ivr_call_field_names[IVR_CALL_FIELD_COUNT] = { IVR_CALL_FIELDS(IVR_FIELD_NAME) };
static const size_t ivr_call_field_lengths[IVR_CALL_FIELD_COUNT] = { IVR_CALL_FIELDS(IVR_FIELD_LENGTH) };

/* Whether `t` is the call table of the request being served. */
static int ivr_is_current_call(lua_State *L, int t) {
    lua_rawgetp(L, LUA_REGISTRYINDEX, &ivr_key_current_call);
    int current = lua_rawequal(L, t, -1);
    lua_pop(L, 1);
    return current;
}

/* Pushes field `i` of the request being served (nil when it has none) and, when
   it is not nil, keeps it in the call table at `t` under the string at `key` (its name). */
static void ivr_fill_call_field(lua_State *L, int t, int key, int i) {
    ivr_ctx *c = ivr_ctx_of(L);
    luaL_checkstack(L, 8, "call");
    int top = lua_gettop(L);
    int rc = 1;
    IVR_UNENFORCED(c, rc = c->cb.push_call_field != NULL ? c->cb.push_call_field(c->owner, L, i) : 1);
    if (rc != 0 || lua_gettop(L) != top + 1) {
        lua_settop(L, top);
        lua_pushnil(L);
        return;
    }
    if (lua_isnil(L, -1)) return;
    lua_pushvalue(L, key);  /* the name, as the script's own string: not made again */
    lua_pushvalue(L, -2);
    lua_rawset(L, t);
}

/* __index of call tables: a field is made the first time a script reads it
   (a handler reads a few of them), from the request being served, and kept.
   A call table kept from an earlier request gets no new fields. */
static int ivr_call_index(lua_State *L) {
    if (lua_type(L, 2) != LUA_TSTRING || !ivr_is_current_call(L, 1)) return 0;
    size_t length;
    const char *key = lua_tolstring(L, 2, &length);
    for (int i = 0; i < IVR_CALL_FIELD_COUNT; i++) {
        /* The length first: most names differ in it. */
        if (ivr_call_field_lengths[i] == length && memcmp(key, ivr_call_field_names[i], length) == 0) {
            ivr_fill_call_field(L, 1, 2, i);
            return 1;
        }
    }
    return 0;
}

/* __pairs of call tables: every field is made first, so a traversal sees them all. */
static int ivr_call_pairs(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    if (ivr_is_current_call(L, 1)) {
        for (int i = 0; i < IVR_CALL_FIELD_COUNT; i++) {
            lua_getfield(L, 1, ivr_call_field_names[i]);  /* runs __index for a field not made yet */
            lua_pop(L, 1);
        }
    }
    lua_getglobal(L, "next");  /* the state's own base library, as ivr_readonly_pairs uses */
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

void ivr_mark_call_table(lua_State *L, int idx) {
    idx = lua_absindex(L, idx);
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &ivr_key_call_mt) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_createtable(L, 0, 3);
        lua_pushcfunction(L, ivr_call_index);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, ivr_call_pairs);
        lua_setfield(L, -2, "__pairs");
        lua_pushboolean(L, 0);
        lua_setfield(L, -2, "__metatable");
        lua_pushvalue(L, -1);
        lua_rawsetp(L, LUA_REGISTRYINDEX, &ivr_key_call_mt);
    }
    lua_setmetatable(L, idx);
    lua_pushvalue(L, idx);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &ivr_key_current_call);
}
