/*
 * CLuaShims: the parts of the script engine that must be C.
 *
 *  - Lua's function-like macros as static inline functions, so Swift can call them.
 *  - The budget: a counting allocator (memory cap) and a count hook (time budget,
 *    interrupt), with the protected call that runs script code under them.
 *  - The sandbox: the allowlisted base library, read-only library views, the
 *    per-script environments and their freezing, require, load, ivr.log, ivr.now.
 *  - Trampolines for the Swift callbacks (action constructors, action fields,
 *    module loading): Swift returns a status, C raises the Lua error afterwards,
 *    so a Lua error (a longjmp) never crosses a Swift frame.
 */
#ifndef CLUASHIMS_H
#define CLUASHIMS_H

#include <stddef.h>
#include <stdint.h>
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

/* ------------------------------------------------------------------------ */
/* Macros and constants Swift cannot import                                 */
/* ------------------------------------------------------------------------ */

static inline int ivr_registryindex(void) { return LUA_REGISTRYINDEX; }
static inline int ivr_upvalueindex(int i) { return lua_upvalueindex(i); }
static inline int ivr_noref(void) { return LUA_NOREF; }
static inline int ivr_multret(void) { return LUA_MULTRET; }
static inline void ivr_pop(lua_State *L, int n) { lua_pop(L, n); }
static inline void ivr_newtable(lua_State *L) { lua_newtable(L); }
static inline void ivr_insert(lua_State *L, int idx) { lua_insert(L, idx); }
static inline void ivr_remove(lua_State *L, int idx) { lua_remove(L, idx); }
static inline void ivr_replace(lua_State *L, int idx) { lua_replace(L, idx); }
static inline int ivr_isnoneornil(lua_State *L, int idx) { return lua_isnoneornil(L, idx); }
static inline void ivr_pushbytes(lua_State *L, const void *bytes, size_t len) {
    lua_pushlstring(L, (const char *)bytes, len);
}
static inline int ivr_loadbuffer(lua_State *L, const void *bytes, size_t len, const char *chunkname) {
    return luaL_loadbufferx(L, (const char *)bytes, len, chunkname, "t");
}
static inline int ivr_gc_collect(lua_State *L) { return lua_gc(L, LUA_GCCOLLECT); }

/* ------------------------------------------------------------------------ */
/* Swift callbacks                                                          */
/* ------------------------------------------------------------------------ */

/*
 * Functions Swift provides. C calls them with memory enforcement off and no
 * script code running, and they never raise: they report failure by their
 * return value (with a message pushed), and the C caller raises the Lua error.
 * `owner` is the Swift object that owns the state (unretained).
 */
typedef struct ivr_callbacks {
    /* Builds an action of kind `kind` from the table at index 1. Pushes the
       action userdata and returns 0, or pushes a message and returns 1. */
    int (*make_action)(void *owner, lua_State *L, int kind);
    /* Pushes field `key` (index 2) of the action `box` (index 1); returns 1. */
    int (*action_index)(void *owner, lua_State *L, void *box);
    /* Pushes the text of the action `box`; returns 1. */
    int (*action_tostring)(void *owner, lua_State *L, void *box);
    /* Releases `box` (the action userdata was collected). */
    void (*action_release)(void *box);
    /* Logs one line; level 0 debug, 1 info, 2 warn, 3 error. */
    void (*log)(void *owner, int level, const char *message, size_t len);
    /* Compiles module `name` of bundle version `version`: pushes the chunk and
       returns 0; returns 1 (nothing pushed) when the bundle has no such file;
       pushes the message and returns 2 when it does not compile. */
    int (*load_module)(void *owner, lua_State *L, lua_Integer version, const char *name, size_t len);
    /* Pushes field `field` (IVR_CALL_FIELD_*) of the call table of the request
       being served, or nil when the request has no such field, and returns 0;
       returns 1 (nothing pushed) when no request is being served. */
    int (*push_call_field)(void *owner, lua_State *L, int field);
} ivr_callbacks;

/* The fields of a call table that are made when a script first reads them
   (`state` is always there). */
enum {
    IVR_CALL_FIELD_ID, IVR_CALL_FIELD_DID, IVR_CALL_FIELD_CALLER_ID, IVR_CALL_FIELD_CALLER_NAME,
    IVR_CALL_FIELD_METHOD, IVR_CALL_FIELD_FORMAT, IVR_CALL_FIELD_ROUTE, IVR_CALL_FIELD_SEQ,
    IVR_CALL_FIELD_DTMF, IVR_CALL_FIELD_MENU, IVR_CALL_FIELD_PREVIOUS_MENU,
    IVR_CALL_FIELD_LAYER_ID, IVR_CALL_FIELD_PREVIOUS_LAYER_ID, IVR_CALL_FIELD_HANGUP,
    IVR_CALL_FIELD_REQUEST, IVR_CALL_FIELD_COUNT
};

/* Makes the table at `idx` the call table of the request being served: its
   fields are made (push_call_field) when a script first reads them, or all of
   them when it traverses the table with pairs. */
void ivr_mark_call_table(lua_State *L, int idx);

/* ------------------------------------------------------------------------ */
/* Interrupt cell (shared with other threads)                               */
/* ------------------------------------------------------------------------ */

/* The size and alignment of the cell another thread may use to interrupt a run.
   The caller allocates it and keeps it alive for as long as any state uses it. */
size_t ivr_interrupt_size(void);
size_t ivr_interrupt_alignment(void);
void ivr_interrupt_init(void *cell);
/* Marks the cell as serving a request (interrupt() now takes effect). */
void ivr_interrupt_begin(void *cell);
/* Marks the cell idle: an interrupt() arriving now is ignored. */
void ivr_interrupt_end(void *cell);
/* Thread-safe: interrupts the request being served, if any. */
void ivr_interrupt_fire(void *cell);

/* ------------------------------------------------------------------------ */
/* State, budget, protected run                                             */
/* ------------------------------------------------------------------------ */

enum {
    IVR_FIRED_NONE = 0,
    IVR_FIRED_TIMEOUT = 1,  /* the count hook saw the time budget run out */
    IVR_FIRED_DEADLINE = 2  /* the count hook saw an interrupt */
};

/* Opens a sandboxed state with the counting allocator and the count hook.
   `interrupt_cell` may be NULL. Returns NULL when the state cannot be built. */
lua_State *ivr_state_open(const ivr_callbacks *callbacks, void *interrupt_cell, size_t memory_limit);
/* Closes the state and frees its context. */
void ivr_state_close(lua_State *L);
/* Sets the Swift owner passed to the callbacks. */
void ivr_set_owner(lua_State *L, void *owner);
void ivr_set_memory_limit(lua_State *L, size_t limit);
size_t ivr_memory_used(lua_State *L);
/* When has_override, ivr.now(), os.time() and os.date() without a time use `unix_time`. */
void ivr_set_clock_override(lua_State *L, int has_override, double unix_time);

/* Pushes the message handler used by ivr_run (it records a traceback). */
void ivr_push_msgh(lua_State *L);
/*
 * Runs script code under the budgets: the stack ends with `msgh, function,
 * nargs arguments` (msgh from ivr_push_msgh). Memory is enforced and the hook
 * armed only during the call. Returns the lua_pcall status, except that a run
 * during which the hook fired fails even when the script swallowed the error.
 * On failure the stack ends with `msgh, message`.
 */
int ivr_run(lua_State *L, int nargs, int nresults, int64_t budget_ns);
/* ivr_run, also stopped at `request_deadline_ns` (CLOCK_MONOTONIC, 0: none) when
 * that comes before the budget: the run then fails as IVR_FIRED_DEADLINE. */
int ivr_run_until(lua_State *L, int nargs, int nresults, int64_t budget_ns, int64_t request_deadline_ns);
/* CLOCK_MONOTONIC in nanoseconds: the clock of request deadlines. */
int64_t ivr_monotonic_now(void);
/* Why the last run was stopped: IVR_FIRED_*. */
int ivr_last_fired(lua_State *L);
/* Whether the allocator refused memory during the last run. */
int ivr_last_memory_refused(lua_State *L);
/* Pushes the traceback recorded by the message handler of the last run (or nil) and forgets it. */
void ivr_push_traceback(lua_State *L);

/* ------------------------------------------------------------------------ */
/* Sandbox pieces used by the loader                                        */
/* ------------------------------------------------------------------------ */

/* Adds constructor `ivr.<name>` building actions of kind `kind`. */
void ivr_register_constructor(lua_State *L, const char *name, int kind);
/* Pushes a new per-version record (module cache and loading marks). */
void ivr_push_version_record(lua_State *L);
/* Pushes a fresh environment for one chunk of the version whose record is at
   `record` (the base library, ivr, require and load bound to that version). */
void ivr_push_env(lua_State *L, int record, lua_Integer version);
/* Freezes the environment at `env` after its top level ran: moves its globals
   into a hidden table (pushed) and makes every later assignment an error. */
void ivr_freeze_env(lua_State *L, int env);
/* Pushes "source:line" of the Lua function at `idx` (where it is defined), or "?" */
void ivr_push_function_where(lua_State *L, int idx);

/* call.state in its stored form (state.c; the format is IVRState's StateCoding).
   ivr_state_encode writes the table at idx: 0 with *bytes and *length set (valid
   until the next call on this state; length 0 for an empty table), 1 with the
   error message pushed ("call.state.a.b: a function cannot be kept"), 2 when
   the Lua stack has no room left (nothing pushed), -1 if the value is not a table. ivr_state_push pushes a new table from the bytes:
   0, or -1 (an empty table pushed) if they are malformed. */
int ivr_state_encode(lua_State *L, int idx, const uint8_t **bytes, size_t *length);
int ivr_state_push(lua_State *L, const uint8_t *bytes, size_t length);

/* ------------------------------------------------------------------------ */
/* Action userdata                                                          */
/* ------------------------------------------------------------------------ */

/* Pushes a new action userdata and returns its slot (NULL) for the box pointer. */
void **ivr_new_action(lua_State *L);
/* The box pointer of the action userdata at `idx`, or NULL when it is not one. */
void *ivr_to_action(lua_State *L, int idx);

/* ------------------------------------------------------------------------ */
/* The test API (`ivr-engine test`; testapi.c)                              */
/* ------------------------------------------------------------------------ */

/*
 * What a test file's state calls in Swift. Same rules as ivr_callbacks: called
 * with memory enforcement off, they never raise; the C caller raises the Lua
 * error with the test line in front. `owner` is the state's owner (ivr_set_owner).
 */
typedef struct ivr_test_callbacks {
    /* call{...}: the option table (or nil) at index 1. Pushes the new call's
       handle (an integer) and returns 0, or pushes a message and returns 1. */
    int (*new_call)(void *owner, lua_State *L);
    /* A request of call `call` (the call object at index 1, arguments from 2):
       `request` is IVR_TEST_START, _PRESS, _LAYER or _HANGUP. Pushes the reply
       table and returns 0, or pushes a message and returns 1. */
    int (*call_request)(void *owner, lua_State *L, lua_Integer call, int request);
    /* Pushes field `key` (index 2) of call `call` (nil when there is none). */
    void (*call_field)(void *owner, lua_State *L, lua_Integer call);
    /* set_time: the clock scripts see (has_time 0: the real clock again). */
    void (*set_clock)(void *owner, int has_time, double unix_time);
    /* A failed assertion at `source` (a chunk name without its '@') line `line`. */
    void (*fail)(void *owner, const char *source, size_t source_len, int line,
                 const char *message, size_t message_len);
} ivr_test_callbacks;

enum { IVR_TEST_START = 0, IVR_TEST_PRESS = 1, IVR_TEST_LAYER = 2, IVR_TEST_HANGUP = 3 };

/* Installs the test API's C side in a state from ivr_state_open: a copy of
   `callbacks` and the call metatable. Returns a lua_pcall status. */
int ivr_test_install(lua_State *L, const ivr_test_callbacks *callbacks);
/* Pushes a test file's environment: a fresh table reading the sandbox base
   library (as scripts see it, without require and load). */
void ivr_test_push_env(lua_State *L);
/* Pushes the primitives the Lua side of the test API is built on:
   {fail = fail(message), call = call{...}, set_clock = set_clock(t|nil)}. */
void ivr_test_push_primitives(lua_State *L);
/* Pushes the message handler for running test code under ivr_run: it turns the
   error into a string and records the line of the innermost test-file frame. */
void ivr_test_push_msgh(lua_State *L);
/* The line the last message handler run recorded (0 when none), and forgets it. */
int ivr_test_error_line(lua_State *L);
/* Pushes the `short_src` Lua gives the function at `idx` (how its error messages name it). */
void ivr_test_push_short_src(lua_State *L, int idx);

#endif
