/* What the C files of CLuaShims share; not part of the module's interface. */
#ifndef CLUASHIMS_INTERNAL_H
#define CLUASHIMS_INTERNAL_H

#include "CLuaShims.h"
#include <stdatomic.h>

/* The count hook runs every IVR_HOOK_COUNT instructions, then every
   instruction once it has fired (so a script's pcall cannot swallow it). */
#define IVR_HOOK_COUNT 1000

/* States of the interrupt cell. */
enum { IVR_IDLE = 0, IVR_RUNNING = 1, IVR_INTERRUPTED = 2 };

typedef struct ivr_interrupt {
    _Atomic int state;
} ivr_interrupt;

/* Per-state context, reachable from the state's extra space and as the
   allocator's userdata. Only the state's own thread touches it. */
typedef struct ivr_ctx {
    /* memory */
    size_t used;
    size_t limit;
    int enforce;          /* the allocator refuses growth past `limit` */
    int memory_refused;   /* it did, during the current run */
    /* time */
    int active;           /* script code is running under ivr_run */
    int fired;            /* IVR_FIRED_* */
    int64_t deadline_ns;  /* CLOCK_MONOTONIC */
    int64_t budget_ns;
    int deadline_is_request; /* deadline_ns is the request's deadline, not the time budget */
    unsigned alloc_ticks; /* growing allocations seen, for the allocator's clock checks */
    ivr_interrupt *interrupt;
    lua_State *main;      /* the main thread, whose hook the allocator may arm */
    /* clock override */
    int has_clock;
    double clock;
    /* call.state being written (state.c), reused from request to request */
    uint8_t *scratch;
    size_t scratch_len, scratch_cap;
    /* Swift */
    void *owner;
    ivr_callbacks cb;
} ivr_ctx;

static inline ivr_ctx *ivr_ctx_of(lua_State *L) {
    return *(ivr_ctx **)lua_getextraspace(L);
}

/* Light-userdata registry keys (their addresses are the keys). */
extern const char ivr_key_traceback;
extern const char ivr_key_base;
extern const char ivr_key_env_mt;
extern const char ivr_key_ivr;
extern const char ivr_key_protected;
extern const char ivr_key_load;
extern const char ivr_key_action_mt;

/* Name of the action metatable (also its __name). */
#define IVR_ACTION_MT "ivr.action"

/* sandbox.c: builds the base library and the library views (run protected). */
int ivr_setup_sandbox(lua_State *L);
/* actions.c: creates the action metatable (run protected, from the sandbox setup). */
void ivr_setup_actions(lua_State *L);
/* actions.c: pushes the `ivr` helpers (log table, now) into the table at top. */
void ivr_setup_helpers(lua_State *L, int ivr_table);
/* sandbox.c: records `t` (at idx) as a table `rawset` must not touch. */
void ivr_protect(lua_State *L, int idx);

/* sandbox.c: replaces the table at the top with an empty read-only view of it. */
void ivr_make_view(lua_State *L, const char *name);

/* Wall clock, honouring the override. */
double ivr_unix_now(ivr_ctx *c);

/* budget.c: for C functions that run long without Lua instructions or
   allocations (bounded.c). ivr_budget_check notices a stop condition as the
   allocator does and returns nonzero when the run must stop; ivr_budget_raise
   then raises the run's stop error (it does not return). */
int ivr_budget_check(lua_State *L);
int ivr_budget_raise(lua_State *L);

/* state.c: frees the buffer call.state is written into. */
void ivr_state_scratch_free(ivr_ctx *c);

/* bounded.c: bounded copies of Lua 5.4.4's string.find, gmatch, gsub, match,
   rep and table.concat, insert, move, remove, sort, for the sandbox's libraries. */
extern const luaL_Reg ivr_bounded_string_funcs[];
extern const luaL_Reg ivr_bounded_table_funcs[];

#endif
