#ifndef CHTTPSHIMS_H
#define CHTTPSHIMS_H
/* The few libmicrohttpd calls Swift cannot make directly (variadic options,
 * unions, header iteration), wrapped once. */
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
    /** Seconds a request's headers and body may take from its first byte; 0: no limit. */
    unsigned int request_timeout;
    /** PEM certificate chain and private key for HTTPS (both or neither; NUL-terminated). */
    const char *tls_cert;
    const char *tls_key;
};

/** The watcher that cuts slow requests (one per daemon), see ivr_http_start. */
struct ivr_http_watch;

/**
 * Starts a daemon with an internal epoll thread pool and suspend/resume enabled.
 * Returns NULL on failure with errno set (EINVAL for a host that is not a
 * numeric address). On success `*watch` is the request-timeout watcher, to be
 * stopped with ivr_http_watch_stop after MHD_stop_daemon.
 */
struct MHD_Daemon *ivr_http_start(const struct ivr_http_config *config,
                                  MHD_AccessHandlerCallback handler, void *handler_cls,
                                  MHD_RequestCompletedCallback completed, void *completed_cls,
                                  MHD_NotifyConnectionCallback connections, void *connections_cls,
                                  struct ivr_http_watch **watch);

/** Stops and frees the watcher (after MHD_stop_daemon). */
void ivr_http_watch_stop(struct ivr_http_watch *watch);

/** The request on `connection` has been read whole: its request timeout stops. */
void ivr_http_request_read(struct MHD_Connection *connection);

/** The port the daemon is bound to (the real one when started with port 0). */
uint16_t ivr_http_bound_port(struct MHD_Daemon *daemon);

/** Queues a copy of `body` with `content_type` as the reply; `extra_header`/`extra_value` may be NULL. */
enum MHD_Result ivr_http_respond(struct MHD_Connection *connection, unsigned int status,
                                 const char *content_type, const void *body, size_t size,
                                 int close_connection, const char *extra_header, const char *extra_value);

/** What is wrong with a request's framing (RFC 9112), if anything. */
enum ivr_http_framing {
    IVR_FRAMING_OK = 0,
    /** Two Content-Length headers (or a list) that differ, or one that is not a number. */
    IVR_FRAMING_CONFLICTING_LENGTH = 1,
    /** Content-Length together with Transfer-Encoding. */
    IVR_FRAMING_LENGTH_AND_CHUNKED = 2,
    /** A transfer coding other than a single "chunked". */
    IVR_FRAMING_UNKNOWN_CODING = 3,
    /** A NUL byte in the path (also as %00). */
    IVR_FRAMING_NUL_IN_PATH = 4,
};

/** Checks the framing headers and the path of the request whose headers are in; sets
    `*content_length` to the announced length, or -1 when there is none. No allocation. */
enum ivr_http_framing ivr_http_check_framing(struct MHD_Connection *connection, const char *url,
                                             int64_t *content_length);

/**
 * The peer's address: 4 (IPv4) or 16 (IPv6) bytes copied to `out`, returned
 * as the count; 0 when unknown. An IPv4-mapped IPv6 address is returned as IPv4.
 */
int ivr_http_peer(struct MHD_Connection *connection, uint8_t out[16]);

/** A header's value and its length (NULL when absent); valid until the request completes. */
const char *ivr_http_header(struct MHD_Connection *connection, const char *name, size_t *length);

/** Parses a numeric IPv4 or IPv6 address of `length` bytes (need not be
    NUL-terminated) into `out`: returns 4 or 16 (IPv4-mapped IPv6 gives 4), 0 if not an address. */
int ivr_http_parse_ip(const char *text, size_t length, uint8_t out[16]);
#endif
