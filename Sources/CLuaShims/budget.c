/*
 * The budgets: a counting allocator (memory cap), a count hook (time budget
 * and interrupt), and the protected call that runs script code under them.
 * Also the state's creation and teardown.
 */
#define _POSIX_C_SOURCE 200809L
#include "internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char ivr_key_traceback = 0;

/* ---- interrupt cell ---- */

size_t ivr_interrupt_size(void) { return sizeof(ivr_interrupt); }
size_t ivr_interrupt_alignment(void) { return _Alignof(ivr_interrupt); }

void ivr_interrupt_init(void *cell) {
    atomic_init(&((ivr_interrupt *)cell)->state, IVR_IDLE);
}

void ivr_interrupt_begin(void *cell) {
    atomic_store(&((ivr_interrupt *)cell)->state, IVR_RUNNING);
}

void ivr_interrupt_end(void *cell) {
    atomic_store(&((ivr_interrupt *)cell)->state, IVR_IDLE);
}

void ivr_interrupt_fire(void *cell) {
    int expected = IVR_RUNNING;
    atomic_compare_exchange_strong(&((ivr_interrupt *)cell)->state, &expected, IVR_INTERRUPTED);
}

static int ivr_interrupted(const ivr_ctx *c) {
    return c->interrupt != NULL && atomic_load(&c->interrupt->state) == IVR_INTERRUPTED;
}

/* ---- clocks ---- */

static int64_t ivr_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

double ivr_unix_now(ivr_ctx *c) {
    if (c->has_clock) return c->clock;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- allocator ---- */

static void ivr_hook(lua_State *L, lua_Debug *ar);

/*
 * Notices a stop condition between hook calls: the interrupt at every growing
 * allocation, the clock every 128 of them and at every large one. Then the
 * main thread's hook is armed to fire at its next instruction, so a loop of
 * long C calls (string.rep, gsub, a huge string.find followed by any
 * allocation) stops as soon as the current call returns, not 1000 instructions
 * later. lua_sethook is safe here: it only sets fields and traps (Lua's own
 * standalone interpreter calls it from a signal handler).
 */
static void ivr_alloc_check_stop(ivr_ctx *c, size_t growth) {
    if (!c->active || c->fired != IVR_FIRED_NONE) return;
    if (ivr_interrupted(c)) {
        c->fired = IVR_FIRED_DEADLINE;
    } else if ((growth >= ((size_t)1 << 20) || (++c->alloc_ticks & 127) == 0) &&
               ivr_monotonic_ns() >= c->deadline_ns) {
        c->fired = c->deadline_is_request ? IVR_FIRED_DEADLINE : IVR_FIRED_TIMEOUT;
    } else {
        return;
    }
    lua_sethook(c->main, ivr_hook, LUA_MASKCOUNT, 1);
}

/*
 * Counts every byte. While script code runs (`enforce`), growth past the limit
 * is refused, and Lua raises its ordinary memory error (after an emergency
 * collection and one retry). Frees and shrinks always succeed.
 */
static void *ivr_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    ivr_ctx *c = (ivr_ctx *)ud;
    size_t old = ptr != NULL ? osize : 0;
    if (nsize == 0) {
        if (ptr != NULL) {
            c->used -= old;
            free(ptr);
        }
        return NULL;
    }
    if (nsize > old && c->enforce) {
        ivr_alloc_check_stop(c, nsize - old);
        if (c->used + (nsize - old) > c->limit) {
            c->memory_refused = 1;
            return NULL;
        }
    }
    void *block = ptr != NULL ? realloc(ptr, nsize) : malloc(nsize);  /* realloc(NULL) costs more than malloc */
    if (block == NULL) {
        if (nsize > old) c->memory_refused = 1;
        return NULL;
    }
    c->used = c->used - old + nsize;
    return block;
}

/* ---- hook ---- */

/* Pushes the message of a stopped run, located at `ar` (or at the innermost Lua
   frame when NULL). Allocates with enforcement off: the allocator refuses
   everything once the run must stop. */
static void ivr_push_stop_message(lua_State *L, ivr_ctx *c, lua_Debug *ar) {
    lua_Debug frame;
    const char *src = NULL;
    int line = -1;
    if (ar != NULL && lua_getinfo(L, "Sl", ar) && ar->currentline > 0) {
        src = ar->short_src;
        line = ar->currentline;
    } else {
        for (int level = 1; lua_getstack(L, level, &frame); level++) {
            if (lua_getinfo(L, "Sl", &frame) && frame.currentline > 0) {
                src = frame.short_src;
                line = frame.currentline;
                break;
            }
        }
    }
    int saved = c->enforce;
    c->enforce = 0;
    if (src != NULL) lua_pushfstring(L, "%s:%d: ", src, line);
    else lua_pushliteral(L, "");
    if (c->fired == IVR_FIRED_TIMEOUT) {
        lua_pushfstring(L, "script ran out of its time budget (%d ms)", (int)(c->budget_ns / 1000000));
    } else {
        lua_pushliteral(L, "script interrupted: the request's deadline passed");
    }
    lua_concat(L, 2);
    c->enforce = saved;
}

static void ivr_hook(lua_State *L, lua_Debug *ar) {
    ivr_ctx *c = ivr_ctx_of(L);
    if (!c->active || c->fired == IVR_FIRED_NONE) {
        if (c->active) {
            if (ivr_interrupted(c)) c->fired = IVR_FIRED_DEADLINE;
            else if (ivr_monotonic_ns() >= c->deadline_ns)
                c->fired = c->deadline_is_request ? IVR_FIRED_DEADLINE : IVR_FIRED_TIMEOUT;
        }
        if (c->fired == IVR_FIRED_NONE || !c->active) {
            /* A thread left at every-instruction by an earlier run goes back to normal. */
            if (lua_gethookcount(L) != IVR_HOOK_COUNT) lua_sethook(L, ivr_hook, LUA_MASKCOUNT, IVR_HOOK_COUNT);
            return;
        }
    }
    /* Fired: keep firing at every instruction until the run is over. */
    if (lua_gethookcount(L) != 1) lua_sethook(L, ivr_hook, LUA_MASKCOUNT, 1);
    ivr_push_stop_message(L, c, ar);
    lua_error(L);
}

/* ---- message handler ---- */

/* Turns the error into a string and records a traceback beside it. Once the run
   must stop, the message is the budget's, whatever error surfaced. */
static int ivr_msgh(lua_State *L) {
    ivr_ctx *c = ivr_ctx_of(L);
    lua_settop(L, 1);
    if (c->fired != IVR_FIRED_NONE) {
        ivr_push_stop_message(L, c, NULL);
        lua_replace(L, 1);
    }
    int t = lua_type(L, 1);
    if (t != LUA_TSTRING && t != LUA_TNUMBER) {
        if (!(luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)) {
            lua_settop(L, 1);
            lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
        }
        lua_replace(L, 1);
    } else {
        lua_tostring(L, 1);
    }
    /* The traceback may exceed the cap by its own size: it is bounded, and worth having. */
    int saved = c->enforce;
    c->enforce = 0;
    luaL_traceback(L, L, NULL, 1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &ivr_key_traceback);
    c->enforce = saved;
    return 1;
}

void ivr_push_msgh(lua_State *L) { lua_pushcfunction(L, ivr_msgh); }

void ivr_push_traceback(lua_State *L) {
    lua_rawgetp(L, LUA_REGISTRYINDEX, &ivr_key_traceback);
    lua_pushnil(L);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &ivr_key_traceback);
}

/* ---- run ---- */

int64_t ivr_monotonic_now(void) { return ivr_monotonic_ns(); }

int ivr_run(lua_State *L, int nargs, int nresults, int64_t budget_ns) {
    return ivr_run_until(L, nargs, nresults, budget_ns, 0);
}

int ivr_run_until(lua_State *L, int nargs, int nresults, int64_t budget_ns, int64_t request_deadline_ns) {
    ivr_ctx *c = ivr_ctx_of(L);
    int fn = lua_gettop(L) - nargs;
    c->fired = IVR_FIRED_NONE;
    c->memory_refused = 0;
    c->budget_ns = budget_ns;
    lua_pushnil(L);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &ivr_key_traceback);
    int64_t now = ivr_monotonic_ns();
    if (ivr_interrupted(c) || (request_deadline_ns > 0 && now >= request_deadline_ns)) {
        c->fired = IVR_FIRED_DEADLINE;
        lua_settop(L, fn - 1);
        lua_pushliteral(L, "script interrupted: the request's deadline passed");
        return LUA_ERRRUN;
    }
    /* The time budget, cut short by the request's deadline when that comes first. */
    c->deadline_ns = budget_ns > INT64_MAX - now ? INT64_MAX : now + budget_ns;
    c->deadline_is_request = 0;
    if (request_deadline_ns > 0 && request_deadline_ns < c->deadline_ns) {
        c->deadline_ns = request_deadline_ns;
        c->deadline_is_request = 1;
    }
    lua_sethook(L, ivr_hook, LUA_MASKCOUNT, IVR_HOOK_COUNT);
    c->active = 1;
    c->enforce = 1;
    int status = lua_pcall(L, nargs, nresults, fn - 1);
    c->enforce = 0;
    c->active = 0;
    if (status == LUA_OK && c->fired != IVR_FIRED_NONE) {
        /* The script caught the budget error (in a coroutine, say): the run fails anyway. */
        lua_settop(L, fn - 1);
        if (c->fired == IVR_FIRED_TIMEOUT) {
            lua_pushfstring(L, "script ran out of its time budget (%d ms)", (int)(c->budget_ns / 1000000));
        } else {
            lua_pushliteral(L, "script interrupted: the request's deadline passed");
        }
        status = LUA_ERRRUN;
    }
    return status;
}

int ivr_last_fired(lua_State *L) { return ivr_ctx_of(L)->fired; }
int ivr_last_memory_refused(lua_State *L) { return ivr_ctx_of(L)->memory_refused; }

/* ---- state ---- */

static int ivr_panic(lua_State *L) {
    const char *msg = lua_tostring(L, -1);
    fprintf(stderr, "ivr-engine: unprotected Lua error (out of memory?): %s\n", msg ? msg : "?");
    fflush(stderr);
    abort();
    return 0;
}

lua_State *ivr_state_open(const ivr_callbacks *callbacks, void *interrupt_cell, size_t memory_limit) {
    ivr_ctx *c = (ivr_ctx *)calloc(1, sizeof *c);
    if (c == NULL) return NULL;
    c->limit = memory_limit;
    c->cb = *callbacks;
    c->interrupt = (ivr_interrupt *)interrupt_cell;
    lua_State *L = lua_newstate(ivr_alloc, c);
    if (L == NULL) {
        free(c);
        return NULL;
    }
    *(ivr_ctx **)lua_getextraspace(L) = c;
    c->main = L;
    lua_atpanic(L, ivr_panic);
    /* Generational collection: a request's garbage (its call table, strings,
       action) dies young, and a young collection only looks at the young. */
    lua_gc(L, LUA_GCGEN, 5, 0);
    lua_sethook(L, ivr_hook, LUA_MASKCOUNT, IVR_HOOK_COUNT);
    lua_pushcfunction(L, ivr_setup_sandbox);
    if (lua_pcall(L, 0, 0, 0) != LUA_OK) {
        lua_close(L);
        free(c);
        return NULL;
    }
    lua_settop(L, 0);
    return L;
}

void ivr_state_close(lua_State *L) {
    ivr_ctx *c = ivr_ctx_of(L);
    c->enforce = 0;
    lua_close(L);
    ivr_state_scratch_free(c);
    free(c);
}

void ivr_set_owner(lua_State *L, void *owner) { ivr_ctx_of(L)->owner = owner; }
void ivr_set_memory_limit(lua_State *L, size_t limit) { ivr_ctx_of(L)->limit = limit; }
size_t ivr_memory_used(lua_State *L) { return ivr_ctx_of(L)->used; }

void ivr_set_clock_override(lua_State *L, int has_override, double unix_time) {
    ivr_ctx *c = ivr_ctx_of(L);
    c->has_clock = has_override;
    c->clock = unix_time;
}

/* ---- checks from long C functions (bounded.c) ---- */

/*
 * For C functions that can run long without running Lua instructions or
 * allocating (pattern matching, sorting): notices a stop condition as the
 * allocator does (the interrupt, then the clock), and arms the main thread's
 * hook the same way. Returns nonzero when the run must stop (also when it was
 * already stopped); the caller then raises with ivr_budget_raise.
 */
int ivr_budget_check(lua_State *L) {
    ivr_ctx *c = ivr_ctx_of(L);
    if (!c->active) return 0;
    if (c->fired == IVR_FIRED_NONE) {
        if (ivr_interrupted(c)) {
            c->fired = IVR_FIRED_DEADLINE;
        } else if (ivr_monotonic_ns() >= c->deadline_ns) {
            c->fired = c->deadline_is_request ? IVR_FIRED_DEADLINE : IVR_FIRED_TIMEOUT;
        } else {
            return 0;
        }
        lua_sethook(c->main, ivr_hook, LUA_MASKCOUNT, 1);
    }
    return 1;
}

/* Raises the stopped run's error (the count hook's message, located at the
   innermost Lua frame). */
int ivr_budget_raise(lua_State *L) {
    ivr_push_stop_message(L, ivr_ctx_of(L), NULL);
    return lua_error(L);
}
