#ifndef CHTTPSHIMS_H
#define CHTTPSHIMS_H
/* The few libmicrohttpd calls Swift cannot make directly (variadic options,
 * unions), wrapped once. */
#include <sys/types.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <stdint.h>
#include <stdarg.h>
#include <microhttpd.h>

/** How to start the daemon. */
struct ivr_http_config {
    /** Address to bind, numeric IPv4 or IPv6 ("0.0.0.0", "127.0.0.1", "::1"). */
    const char *host;
    uint16_t port;
    /** Threads in MHD's pool (each runs its own epoll loop). */
    unsigned int threads;
    /** Seconds an idle keep-alive connection is kept. */
    unsigned int idle_timeout;
    /** Most connections at once. */
    unsigned int connection_limit;
    /** Bytes of libmicrohttpd's per-connection pool (headers and read buffer).
        The pool is cleared after every request, so its size is paid per request. */
    unsigned int connection_memory;
};

/**
 * Starts a daemon with an internal epoll thread pool and suspend/resume enabled.
 * Returns NULL on failure with errno set (EINVAL for a host that is not a numeric address).
 */
struct MHD_Daemon *ivr_http_start(const struct ivr_http_config *config,
                                  MHD_AccessHandlerCallback handler, void *handler_cls,
                                  MHD_RequestCompletedCallback completed, void *completed_cls,
                                  MHD_NotifyConnectionCallback connections, void *connections_cls);

/** The port the daemon is bound to (the real one when started with port 0). */
uint16_t ivr_http_bound_port(struct MHD_Daemon *daemon);

/** Queues a copy of `body` with `content_type` as the reply. */
enum MHD_Result ivr_http_respond(struct MHD_Connection *connection, unsigned int status,
                                 const char *content_type, const void *body, size_t size,
                                 int close_connection);
#endif
