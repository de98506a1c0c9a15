#define _GNU_SOURCE
#include "watch.h"
#include <linux/tcp.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* One connection as the watcher sees it. The fields other than the atomics are
 * the watcher thread's (under the lock), except at creation. */
struct watched {
    int fd;
    /* 1 while the current request has been read whole (being answered): not timed. */
    atomic_int read;
    /* Set when a request completes: the next bytes begin a new request. */
    atomic_int reset;
    uint64_t bytes;
    int64_t started_ns; /* 0: no request arriving */
    struct watched *prev, *next;
};

struct ivr_http_watch {
    int64_t timeout_ns;
    MHD_RequestCompletedCallback completed;
    void *completed_cls;
    MHD_NotifyConnectionCallback connections;
    void *connections_cls;
    struct ivr_http_access_forward forward;
    /* Connections open now, and the most served: those beyond are shut at once. */
    atomic_int open;
    int max_connections;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct watched head; /* sentinel of a circular list */
    int stopping;
    int running;
    pthread_t thread;
};

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static uint64_t bytes_received(int fd) {
    struct tcp_info info;
    socklen_t size = sizeof info;
    memset(&info, 0, sizeof info);
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &size) != 0) return 0;
    return info.tcpi_bytes_received;
}

static void *watch_loop(void *arg) {
    struct ivr_http_watch *watch = arg;
    pthread_mutex_lock(&watch->lock);
    while (!watch->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 100000000L;
        if (until.tv_nsec >= 1000000000L) { until.tv_sec += 1; until.tv_nsec -= 1000000000L; }
        pthread_cond_timedwait(&watch->wake, &watch->lock, &until);
        if (watch->stopping) break;
        int64_t now = now_ns();
        for (struct watched *w = watch->head.next; w != &watch->head; w = w->next) {
            if (atomic_load_explicit(&w->read, memory_order_acquire)) continue;
            uint64_t bytes = bytes_received(w->fd);
            if (atomic_exchange_explicit(&w->reset, 0, memory_order_acq_rel)) {
                w->bytes = bytes;
                w->started_ns = 0;
                continue;
            }
            if (w->started_ns == 0) {
                if (bytes != w->bytes) w->started_ns = now;
                continue;
            }
            if (now - w->started_ns > watch->timeout_ns) {
                /* Too slow: the connection's own thread sees the end of the stream and closes it. */
                shutdown(w->fd, SHUT_RDWR);
                atomic_store_explicit(&w->read, 1, memory_order_release);
            }
        }
    }
    pthread_mutex_unlock(&watch->lock);
    return NULL;
}

struct ivr_http_watch *ivr_http_watch_new(unsigned int timeout_seconds, unsigned int max_connections,
                                          MHD_RequestCompletedCallback completed, void *completed_cls,
                                          MHD_NotifyConnectionCallback connections, void *connections_cls) {
    struct ivr_http_watch *watch = calloc(1, sizeof *watch);
    if (watch == NULL) return NULL;
    watch->timeout_ns = (int64_t)timeout_seconds * 1000000000LL;
    watch->max_connections = (int)max_connections;
    watch->completed = completed;
    watch->completed_cls = completed_cls;
    watch->connections = connections;
    watch->connections_cls = connections_cls;
    pthread_mutex_init(&watch->lock, NULL);
    pthread_cond_init(&watch->wake, NULL);
    watch->head.next = watch->head.prev = &watch->head;
    if (timeout_seconds > 0 && pthread_create(&watch->thread, NULL, watch_loop, watch) == 0) watch->running = 1;
    return watch;
}

struct ivr_http_access_forward *ivr_http_watch_forward(struct ivr_http_watch *watch) {
    return &watch->forward;
}

void ivr_http_watch_stop(struct ivr_http_watch *watch) {
    if (watch == NULL) return;
    pthread_mutex_lock(&watch->lock);
    watch->stopping = 1;
    pthread_cond_signal(&watch->wake);
    pthread_mutex_unlock(&watch->lock);
    if (watch->running) pthread_join(watch->thread, NULL);
    /* Any entries left belong to connections MHD_stop_daemon closed without notice. */
    struct watched *w = watch->head.next;
    while (w != &watch->head) { struct watched *next = w->next; free(w); w = next; }
    pthread_cond_destroy(&watch->wake);
    pthread_mutex_destroy(&watch->lock);
    free(watch);
}

void ivr_http_watch_connection(void *cls, struct MHD_Connection *connection, void **socket_context,
                               enum MHD_ConnectionNotificationCode toe) {
    struct ivr_http_watch *watch = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        int open = atomic_fetch_add_explicit(&watch->open, 1, memory_order_relaxed) + 1;
        if (watch->max_connections > 0 && open > watch->max_connections) {
            /* Over the limit: closed at once (libmicrohttpd sees the end of the stream and drops it). */
            const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
            if (info != NULL) shutdown(info->connect_fd, SHUT_RDWR);
        }
    } else {
        atomic_fetch_sub_explicit(&watch->open, 1, memory_order_relaxed);
    }
    if (watch->running) {
        if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
            const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
            struct watched *w = info ? calloc(1, sizeof *w) : NULL;
            if (w != NULL) {
                w->fd = info->connect_fd;
                /* The first request is timed from the connection's start. */
                w->started_ns = now_ns();
                pthread_mutex_lock(&watch->lock);
                w->next = watch->head.next;
                w->prev = &watch->head;
                watch->head.next->prev = w;
                watch->head.next = w;
                pthread_mutex_unlock(&watch->lock);
            }
            *socket_context = w;
        } else if (*socket_context != NULL) {
            struct watched *w = *socket_context;
            pthread_mutex_lock(&watch->lock);
            w->prev->next = w->next;
            w->next->prev = w->prev;
            pthread_mutex_unlock(&watch->lock);
            free(w);
            *socket_context = NULL;
        }
    }
    if (watch->connections) watch->connections(watch->connections_cls, connection, socket_context, toe);
}

void ivr_http_watch_completed(void *cls, struct MHD_Connection *connection, void **con_cls,
                              enum MHD_RequestTerminationCode toe) {
    struct ivr_http_watch *watch = cls;
    if (watch->running) {
        const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        struct watched *w = info ? info->socket_context : NULL;
        if (w != NULL) {
            atomic_store_explicit(&w->reset, 1, memory_order_release);
            atomic_store_explicit(&w->read, 0, memory_order_release);
        }
    }
    if (watch->completed) watch->completed(watch->completed_cls, connection, con_cls, toe);
}

void ivr_http_request_read(struct MHD_Connection *connection) {
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct watched *w = info ? info->socket_context : NULL;
    if (w != NULL) atomic_store_explicit(&w->read, 1, memory_order_release);
}
