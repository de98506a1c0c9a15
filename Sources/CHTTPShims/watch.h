#ifndef IVR_WATCH_H
#define IVR_WATCH_H
#include "CHTTPShims.h"

/* The request-timeout watcher: one thread per daemon that, a few times a
 * second, cuts (shutdown(2)) every connection whose current request began
 * arriving more than the timeout ago and is not read whole yet. It also
 * forwards libmicrohttpd's connection and completion notifications. */
/* The Swift access handler, called through a C one that first looks at the request line. */
struct ivr_http_access_forward { MHD_AccessHandlerCallback handler; void *cls; };

/* The daemon's forward record, owned by the watch. */
struct ivr_http_access_forward *ivr_http_watch_forward(struct ivr_http_watch *watch);

struct ivr_http_watch *ivr_http_watch_new(unsigned int timeout_seconds, unsigned int max_connections,
                                          MHD_RequestCompletedCallback completed, void *completed_cls,
                                          MHD_NotifyConnectionCallback connections, void *connections_cls);

void ivr_http_watch_connection(void *cls, struct MHD_Connection *connection, void **socket_context,
                               enum MHD_ConnectionNotificationCode toe);

void ivr_http_watch_completed(void *cls, struct MHD_Connection *connection, void **con_cls,
                              enum MHD_RequestTerminationCode toe);
#endif
