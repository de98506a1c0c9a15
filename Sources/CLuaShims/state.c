/* call.state between Lua and its stored form: a Lua table written to bytes
   (ivr_state_encode) and back (ivr_state_push), with no Swift value between.
   The format is IVRState's StateCoding (see StateCoding.swift); the two must
   agree, and Tests/IVRScriptTests/StateCodingTests.swift checks that they do.

     state  := version(1 byte = 1) table | (nothing: the empty table)
     table  := count(u32) { key value }*count
     key    := 'f' | 't' | 'i' int64 | 'd' double | 's' len(u32) bytes
     value  := key | 'T' table
   Integers, doubles and lengths are little-endian. */
#include "internal.h"
#include <stdlib.h>
#include <string.h>

#define STATE_MAX_DEPTH 64

/* ---- writing --------------------------------------------------------------- */

typedef struct {
    ivr_ctx *c;
    const void *open[STATE_MAX_DEPTH + 1]; /* tables being written, for cycles */
    int keys[STATE_MAX_DEPTH + 1];         /* stack index of each level's key, for the path */
    int failed;
    int error_slot;                        /* stack slot that receives the error message */
} writer;

static int reserve(ivr_ctx *c, size_t more) {
    if (c->scratch_len + more <= c->scratch_cap) return 1;
    size_t cap = c->scratch_cap ? c->scratch_cap : 256;
    while (cap < c->scratch_len + more) {
        if (cap > SIZE_MAX / 2) return 0;
        cap *= 2;
    }
    uint8_t *grown = realloc(c->scratch, cap);
    if (grown == NULL) return 0;
    c->scratch = grown;
    c->scratch_cap = cap;
    return 1;
}

static int put(writer *w, const void *bytes, size_t n) {
    if (!reserve(w->c, n)) return 0;
    memcpy(w->c->scratch + w->c->scratch_len, bytes, n);
    w->c->scratch_len += n;
    return 1;
}

static int put_byte(writer *w, uint8_t b) { return put(w, &b, 1); }

static int put_u32(writer *w, uint32_t v) {
    uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
    return put(w, b, 4);
}

static int put_u64(writer *w, uint64_t v) {
    uint8_t b[8];
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)(v >> (8 * i));
    return put(w, b, 8);
}

static int is_identifier(const char *s, size_t n) {
    if (n == 0 || (s[0] >= '0' && s[0] <= '9')) return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_')) return 0;
    }
    return 1;
}

/* Pushes "call.state.a[1]..." for the keys of levels 0..depth-1. */
static void push_path(lua_State *L, const writer *w, int depth) {
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addstring(&b, "call.state");
    for (int i = 0; i < depth; i++) {
        int k = w->keys[i];
        switch (lua_type(L, k)) {
        case LUA_TSTRING: {
            size_t n;
            const char *s = lua_tolstring(L, k, &n);
            if (is_identifier(s, n)) {
                luaL_addchar(&b, '.');
                luaL_addlstring(&b, s, n);
            } else {
                luaL_addstring(&b, "[\"");
                luaL_addlstring(&b, s, n);
                luaL_addstring(&b, "\"]");
            }
            break;
        }
        case LUA_TNUMBER: {
            char text[64];
            if (lua_isinteger(L, k)) snprintf(text, sizeof text, "[%lld]", (long long)lua_tointeger(L, k));
            else snprintf(text, sizeof text, "[%.14g]", lua_tonumber(L, k));
            luaL_addstring(&b, text);
            break;
        }
        case LUA_TBOOLEAN:
            luaL_addstring(&b, lua_toboolean(L, k) ? "[true]" : "[false]");
            break;
        default:
            luaL_addstring(&b, "[?]");
        }
    }
    luaL_pushresult(&b);
}

/* Leaves the error message "PATH: what" as the failure (see ivr_state_encode). */
static int fail(lua_State *L, writer *w, int depth, const char *what) {
    if (w->failed) return 0;
    w->failed = 1;
    push_path(L, w, depth);
    lua_pushstring(L, ": ");
    lua_pushstring(L, what);
    lua_concat(L, 3);
    lua_replace(L, w->error_slot);
    return 0;
}

static int write_scalar(lua_State *L, writer *w, int idx) {
    switch (lua_type(L, idx)) {
    case LUA_TBOOLEAN:
        return put_byte(w, lua_toboolean(L, idx) ? 't' : 'f');
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx)) {
            return put_byte(w, 'i') && put_u64(w, (uint64_t)lua_tointeger(L, idx));
        } else {
            double d = lua_tonumber(L, idx);
            uint64_t bits;
            memcpy(&bits, &d, 8);
            return put_byte(w, 'd') && put_u64(w, bits);
        }
    case LUA_TSTRING: {
        size_t n;
        const char *s = lua_tolstring(L, idx, &n);
        if (n > UINT32_MAX) return 0;
        return put_byte(w, 's') && put_u32(w, (uint32_t)n) && put(w, s, n);
    }
    default:
        return 0;
    }
}

static int write_table(lua_State *L, writer *w, int idx, int depth);

static int write_value(lua_State *L, writer *w, int idx, int depth) {
    int t = lua_type(L, idx);
    switch (t) {
    case LUA_TBOOLEAN: case LUA_TNUMBER: case LUA_TSTRING:
        return write_scalar(L, w, idx) || fail(L, w, depth, "out of memory writing call.state");
    case LUA_TTABLE:
        return put_byte(w, 'T') && write_table(L, w, idx, depth);
    case LUA_TFUNCTION: return fail(L, w, depth, "a function cannot be kept in call.state");
    case LUA_TTHREAD: return fail(L, w, depth, "a thread (coroutine) cannot be kept in call.state");
    case LUA_TUSERDATA:
        if (ivr_to_action(L, idx) != NULL) return fail(L, w, depth, "an action cannot be kept in call.state");
        return fail(L, w, depth, "a userdata cannot be kept in call.state");
    default: {
        char what[80];
        snprintf(what, sizeof what, "a %s cannot be kept in call.state", lua_typename(L, t));
        return fail(L, w, depth, what);
    }
    }
}

/* Writes the table at idx (an absolute index), whose path is `depth` keys long. */
static int write_table(lua_State *L, writer *w, int idx, int depth) {
    const void *me = lua_topointer(L, idx);
    for (int i = 0; i < depth; i++) {
        if (w->open[i] == me) return fail(L, w, depth, "a cycle (a table inside itself) cannot be kept in call.state");
    }
    if (depth >= STATE_MAX_DEPTH || !lua_checkstack(L, 6)) {
        char what[96];
        snprintf(what, sizeof what, "tables nested more than %d deep cannot be kept in call.state", STATE_MAX_DEPTH);
        return fail(L, w, depth, what);
    }
    w->open[depth] = me;
    size_t count_at = w->c->scratch_len;
    if (!put_u32(w, 0)) return fail(L, w, depth, "out of memory writing call.state");
    uint32_t count = 0;
    lua_pushnil(L);
    while (lua_next(L, idx) != 0) {
        int key = lua_gettop(L) - 1;
        int kt = lua_type(L, key);
        if (kt != LUA_TSTRING && kt != LUA_TNUMBER && kt != LUA_TBOOLEAN) {
            char what[128];
            snprintf(what, sizeof what, "a %s key cannot be kept in call.state (keys are strings, numbers or booleans)",
                     lua_typename(L, kt));
            lua_pop(L, 2);
            return fail(L, w, depth, what);
        }
        if (!write_scalar(L, w, key)) { lua_pop(L, 2); return fail(L, w, depth, "out of memory writing call.state"); }
        w->keys[depth] = key;
        if (!write_value(L, w, lua_gettop(L), depth + 1)) { lua_pop(L, 2); return 0; }
        count++;
        lua_pop(L, 1);
    }
    uint8_t *at = w->c->scratch + count_at;
    at[0] = (uint8_t)count; at[1] = (uint8_t)(count >> 8); at[2] = (uint8_t)(count >> 16); at[3] = (uint8_t)(count >> 24);
    return 1;
}

/* Runs unprotected: it is called between runs, when the allocator does not
   refuse (enforcement is off), so nothing here raises a Lua error. */
int ivr_state_encode(lua_State *L, int idx, const uint8_t **bytes, size_t *length) {
    ivr_ctx *c = ivr_ctx_of(L);
    idx = lua_absindex(L, idx);
    *bytes = NULL;
    *length = 0;
    c->scratch_len = 0;
    if (lua_type(L, idx) != LUA_TTABLE) return -1;
    /* An empty table is the empty encoding: nothing to allocate. */
    lua_pushnil(L);
    if (lua_next(L, idx) == 0) return 0;
    lua_pop(L, 2);
    if (!lua_checkstack(L, 8)) return 2;      /* no room even for a message */
    lua_pushnil(L);
    writer w = { .c = c, .failed = 0, .error_slot = lua_gettop(L) };
    if (!put_byte(&w, 1)) fail(L, &w, 0, "out of memory writing call.state");
    else write_table(L, &w, idx, 0);
    lua_settop(L, w.error_slot);
    if (w.failed) return 1;                  /* the message is on the stack */
    lua_pop(L, 1);
    *bytes = c->scratch;
    *length = c->scratch_len;
    return 0;
}

/* ---- reading --------------------------------------------------------------- */

typedef struct {
    const uint8_t *p;
    size_t n, at;
} reader;

static int get(reader *r, void *out, size_t k) {
    if (r->n - r->at < k) return 0;
    memcpy(out, r->p + r->at, k);
    r->at += k;
    return 1;
}

static int get_u32(reader *r, uint32_t *v) {
    uint8_t b[4];
    if (!get(r, b, 4)) return 0;
    *v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return 1;
}

static int get_u64(reader *r, uint64_t *v) {
    uint8_t b[8];
    if (!get(r, b, 8)) return 0;
    *v = 0;
    for (int i = 0; i < 8; i++) *v |= (uint64_t)b[i] << (8 * i);
    return 1;
}

static int read_table(lua_State *L, reader *r, int depth);

/* Pushes one key or value; 0 on malformed input (nothing pushed). */
static int read_item(lua_State *L, reader *r, int depth, int value) {
    uint8_t tag;
    if (!get(r, &tag, 1)) return 0;
    switch (tag) {
    case 'f': lua_pushboolean(L, 0); return 1;
    case 't': lua_pushboolean(L, 1); return 1;
    case 'i': { uint64_t v; if (!get_u64(r, &v)) return 0; lua_pushinteger(L, (lua_Integer)v); return 1; }
    case 'd': {
        uint64_t v; double d;
        if (!get_u64(r, &v)) return 0;
        memcpy(&d, &v, 8);
        if (!value && d != d) return 0;      /* a NaN key cannot be */
        lua_pushnumber(L, d);
        return 1;
    }
    case 's': {
        uint32_t len;
        if (!get_u32(r, &len) || r->n - r->at < len) return 0;
        lua_pushlstring(L, (const char *)r->p + r->at, len);
        r->at += len;
        return 1;
    }
    case 'T': return value && read_table(L, r, depth + 1);
    default: return 0;
    }
}

static int read_table(lua_State *L, reader *r, int depth) {
    uint32_t count;
    if (depth > STATE_MAX_DEPTH || !lua_checkstack(L, 4) || !get_u32(r, &count)) return 0;
    /* Each entry takes at least two bytes: a count beyond that is malformed. */
    if (count > (r->n - r->at) / 2) return 0;
    lua_createtable(L, 0, (int)count);
    for (uint32_t i = 0; i < count; i++) {
        if (!read_item(L, r, depth, 0)) { lua_pop(L, 1); return 0; }
        if (!read_item(L, r, depth, 1)) { lua_pop(L, 2); return 0; }
        lua_rawset(L, -3);
    }
    return 1;
}

int ivr_state_push(lua_State *L, const uint8_t *bytes, size_t length) {
    if (length == 0) { lua_createtable(L, 0, 0); return 0; }
    reader r = { .p = bytes, .n = length, .at = 1 };
    if (bytes[0] != 1 || !read_table(L, &r, 0) ) { lua_createtable(L, 0, 0); return -1; }
    if (r.at != r.n) { lua_pop(L, 1); lua_createtable(L, 0, 0); return -1; }
    return 0;
}

void ivr_state_scratch_free(ivr_ctx *c) {
    free(c->scratch);
    c->scratch = NULL;
    c->scratch_len = c->scratch_cap = 0;
}
