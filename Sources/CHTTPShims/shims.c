#include "CHTTPShims.h"
#include "watch.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>

/* libmicrohttpd's own unescaping, except that a path whose decoding holds a NUL
 * (from %00) becomes the empty string, which no real request line can give:
 * ivr_http_check_framing refuses it. */
static size_t unescape(void *cls, struct MHD_Connection *connection, char *s) {
    (void)cls; (void)connection;
    size_t n = MHD_http_unescape(s);
    if (strlen(s) != n) { s[0] = '\0'; return 0; }
    return n;
}

/* Marks, in the request's first *con_cls, a request line whose target held a raw
 * NUL byte (libmicrohttpd would see the path end there). */
static char nul_in_target;

/* Called with the request target as a C string, once the request line is split:
 * the target is followed by the NUL that replaced the space before "HTTP/", so
 * anything else after its end means the target itself held a NUL. */
static void *uri_log(void *cls, const char *uri, struct MHD_Connection *connection) {
    (void)cls; (void)connection;
    size_t n = strlen(uri);
    if (strncmp(uri + n + 1, "HTTP/", 5) != 0) return &nul_in_target;
    return NULL;
}

/* The access callback the daemon calls: turns the mark into an empty url (which
 * ivr_http_check_framing refuses) before the Swift handler sees the request. */

static enum MHD_Result access_marked(void *cls, struct MHD_Connection *connection, const char *url,
                                     const char *method, const char *version, const char *upload,
                                     size_t *upload_size, void **con_cls) {
    struct ivr_http_access_forward *to = cls;
    if (*con_cls == &nul_in_target) {
        *con_cls = NULL;
        url = "";
    }
    return to->handler(to->cls, connection, url, method, version, upload, upload_size, con_cls);
}

struct MHD_Daemon *ivr_http_start(const struct ivr_http_config *config,
                                  MHD_AccessHandlerCallback handler, void *handler_cls,
                                  MHD_RequestCompletedCallback completed, void *completed_cls,
                                  MHD_NotifyConnectionCallback connections, void *connections_cls,
                                  struct ivr_http_watch **watch_out) {
    struct sockaddr_in v4;
    struct sockaddr_in6 v6;
    const struct sockaddr *addr = NULL;
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME;

    memset(&v4, 0, sizeof v4);
    memset(&v6, 0, sizeof v6);
    if (inet_pton(AF_INET, config->host, &v4.sin_addr) == 1) {
        v4.sin_family = AF_INET;
        v4.sin_port = htons(config->port);
        addr = (const struct sockaddr *)&v4;
    } else if (inet_pton(AF_INET6, config->host, &v6.sin6_addr) == 1) {
        v6.sin6_family = AF_INET6;
        v6.sin6_port = htons(config->port);
        addr = (const struct sockaddr *)&v6;
        flags |= MHD_USE_IPv6;
    } else {
        errno = EINVAL;
        return NULL;
    }
    int tls = config->tls_cert != NULL && config->tls_key != NULL;
    if (tls) flags |= MHD_USE_TLS;
    struct ivr_http_watch *watch = ivr_http_watch_new(config->request_timeout, config->connection_limit, completed, completed_cls,
                                                      connections, connections_cls);
    if (watch == NULL) { errno = ENOMEM; return NULL; }
    struct ivr_http_access_forward *forward = ivr_http_watch_forward(watch);
    forward->handler = handler;
    forward->cls = handler_cls;
    struct MHD_OptionItem options[] = {
        { MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)(config->threads > 1 ? config->threads : 1), NULL },
        { MHD_OPTION_SOCK_ADDR, 0, (void *)addr },
        { MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)config->idle_timeout, NULL },
        /* libmicrohttpd stops accepting at its limit (new clients wait in the backlog); it gets
           headroom so that the watcher can close those beyond ours at once instead. */
        { MHD_OPTION_CONNECTION_LIMIT, (intptr_t)(config->connection_limit + 64 + config->connection_limit / 8), NULL },
        { MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)(config->connection_memory > 0 ? config->connection_memory : 32768), NULL },
        { MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, NULL },
        { MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)ivr_http_watch_completed, watch },
        { MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)ivr_http_watch_connection, watch },
        { MHD_OPTION_UNESCAPE_CALLBACK, (intptr_t)unescape, NULL },
        { MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)uri_log, NULL },
        { tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, (void *)config->tls_cert },
        { tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, (void *)config->tls_key },
        { MHD_OPTION_END, 0, NULL },
    };
    if (config->threads <= 1) {
        /* A pool of one is the plain internal thread. */
        options[0].option = MHD_OPTION_LISTEN_BACKLOG_SIZE;
        options[0].value = 1024;
    }
    struct MHD_Daemon *daemon = MHD_start_daemon(flags, config->port, NULL, NULL, access_marked, forward,
                                                 MHD_OPTION_ARRAY, options, MHD_OPTION_END);
    if (daemon == NULL) {
        int saved = errno;
        ivr_http_watch_stop(watch);
        errno = saved;
        return NULL;
    }
    *watch_out = watch;
    return daemon;
}

uint16_t ivr_http_bound_port(struct MHD_Daemon *daemon) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info ? info->port : 0;
}

enum MHD_Result ivr_http_respond(struct MHD_Connection *connection, unsigned int status,
                                 const char *content_type, const void *body, size_t size,
                                 int close_connection, const char *extra_header, const char *extra_value) {
    struct MHD_Response *response =
        MHD_create_response_from_buffer(size, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (response == NULL) return MHD_NO;
    if (content_type != NULL) MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    if (close_connection) MHD_add_response_header(response, MHD_HTTP_HEADER_CONNECTION, "close");
    if (extra_header != NULL && extra_value != NULL) MHD_add_response_header(response, extra_header, extra_value);
    enum MHD_Result result = MHD_queue_response(connection, status, response);
    MHD_destroy_response(response);
    return result;
}

struct framing_state {
    int lengths;
    unsigned long long length;
    int codings;
    enum ivr_http_framing verdict;
};

/* Whether `s` is a decimal number (optional spaces around); its value in *out. */
static int parse_length(const char *s, unsigned long long *out) {
    while (*s == ' ' || *s == '\t') s++;
    if (*s < '0' || *s > '9') return 0;
    unsigned long long value = 0;
    while (*s >= '0' && *s <= '9') {
        if (value > 1000000000000ULL) return 0;
        value = value * 10 + (unsigned long long)(*s - '0');
        s++;
    }
    while (*s == ' ' || *s == '\t') s++;
    if (*s != '\0') return 0;
    *out = value;
    return 1;
}

/* Whether `s` is exactly "chunked" (any case, optional spaces around). */
static int is_chunked(const char *s) {
    while (*s == ' ' || *s == '\t') s++;
    if (strncasecmp(s, "chunked", 7) != 0) return 0;
    s += 7;
    while (*s == ' ' || *s == '\t') s++;
    return *s == '\0';
}

static enum MHD_Result framing_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
    (void)kind;
    struct framing_state *state = cls;
    if (key == NULL) return MHD_YES;
    if (strcasecmp(key, "Content-Length") == 0) {
        unsigned long long length = 0;
        if (value == NULL || !parse_length(value, &length) || (state->lengths > 0 && length != state->length)) {
            state->verdict = IVR_FRAMING_CONFLICTING_LENGTH;
            return MHD_NO;
        }
        state->lengths++;
        state->length = length;
    } else if (strcasecmp(key, "Transfer-Encoding") == 0) {
        state->codings++;
        if (value == NULL || !is_chunked(value) || state->codings > 1) {
            state->verdict = IVR_FRAMING_UNKNOWN_CODING;
            return MHD_NO;
        }
    }
    return MHD_YES;
}

enum ivr_http_framing ivr_http_check_framing(struct MHD_Connection *connection, const char *url,
                                             int64_t *content_length) {
    *content_length = -1;
    if (url == NULL || url[0] == '\0') return IVR_FRAMING_NUL_IN_PATH;
    struct framing_state state = { 0, 0, 0, IVR_FRAMING_OK };
    MHD_get_connection_values(connection, MHD_HEADER_KIND, framing_header, &state);
    if (state.lengths > 0) *content_length = (int64_t)state.length;
    if (state.verdict != IVR_FRAMING_OK) return state.verdict;
    if (state.lengths > 0 && state.codings > 0) return IVR_FRAMING_LENGTH_AND_CHUNKED;
    return IVR_FRAMING_OK;
}

int ivr_http_peer(struct MHD_Connection *connection, uint8_t out[16]) {
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (info == NULL || info->client_addr == NULL) return 0;
    const struct sockaddr *addr = info->client_addr;
    if (addr->sa_family == AF_INET) {
        memcpy(out, &((const struct sockaddr_in *)addr)->sin_addr, 4);
        return 4;
    }
    if (addr->sa_family == AF_INET6) {
        const uint8_t *bytes = ((const struct sockaddr_in6 *)addr)->sin6_addr.s6_addr;
        static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
        if (memcmp(bytes, mapped, 12) == 0) { memcpy(out, bytes + 12, 4); return 4; }
        memcpy(out, bytes, 16);
        return 16;
    }
    return 0;
}

const char *ivr_http_header(struct MHD_Connection *connection, const char *name, size_t *length) {
    const char *value = NULL;
    size_t size = 0;
    if (MHD_lookup_connection_value_n(connection, MHD_HEADER_KIND, name, strlen(name), &value, &size) != MHD_YES) {
        *length = 0;
        return NULL;
    }
    *length = size;
    return value;
}

int ivr_http_parse_ip(const char *text, size_t length, uint8_t out[16]) {
    char buffer[64];
    while (length > 0 && (*text == ' ' || *text == '\t')) { text++; length--; }
    while (length > 0 && (text[length - 1] == ' ' || text[length - 1] == '\t')) length--;
    if (length == 0 || length >= sizeof buffer) return 0;
    memcpy(buffer, text, length);
    buffer[length] = '\0';
    /* "[::1]" as some proxies write it. */
    char *s = buffer;
    if (s[0] == '[' && length > 2 && s[length - 1] == ']') { s[length - 1] = '\0'; s++; }
    if (inet_pton(AF_INET, s, out) == 1) return 4;
    uint8_t v6[16];
    if (inet_pton(AF_INET6, s, v6) == 1) {
        static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
        if (memcmp(v6, mapped, 12) == 0) { memcpy(out, v6 + 12, 4); return 4; }
        memcpy(out, v6, 16);
        return 16;
    }
    return 0;
}
