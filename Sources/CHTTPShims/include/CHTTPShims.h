#ifndef CHTTPSHIMS_H
#define CHTTPSHIMS_H
#include <sys/types.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <stdint.h>
#include <stdarg.h>
#include <microhttpd.h>
int ivr_http_shims_version(void);
#endif
