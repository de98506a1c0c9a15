/* bench/peers/mhd/floor.c: the floor of scripts/bench. A libmicrohttpd server that
 * answers every request with the same fixed MENU reply, reading and dropping the
 * body: HTTP and nothing else, on 2 internal epoll threads.
 * Build: gcc -O2 -o floor floor.c $(pkg-config --cflags --libs libmicrohttpd)
 * Usage: floor [PORT]   (0 or none: any free port); prints "listening on http://127.0.0.1:PORT". */
#include <microhttpd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char BODY[] = "{\"STATUS\":0,\"ACTION\":\"MENU\",\"LANGUAGE\":\"he\",\"DATA\":"
  "{\"REC\":\"welcome\",\"LOOP\":1,\"DELAY\":1,\"SIZE\":1,\"MENU\":\"main\",\"VALIDATION\":0}}";
static struct MHD_Response *reply;

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **req_cls) {
  (void)cls; (void)url; (void)method; (void)version; (void)upload;
  if (*req_cls == NULL) { *req_cls = conn; return MHD_YES; }   /* headers seen */
  if (*upload_size) { *upload_size = 0; return MHD_YES; }       /* drop the body */
  return MHD_queue_response(conn, MHD_HTTP_OK, reply);
}

int main(int argc, char **argv) {
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)(argc > 1 ? atoi(argv[1]) : 0));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  reply = MHD_create_response_from_buffer(sizeof BODY - 1, (void *)BODY, MHD_RESPMEM_PERSISTENT);
  MHD_add_response_header(reply, "Content-Type", "application/json; charset=utf-8");
  struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0,
                                          NULL, NULL, answer, NULL,
                                          MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                                          MHD_OPTION_THREAD_POOL_SIZE, 2,
                                          MHD_OPTION_CONNECTION_TIMEOUT, 60,
                                          MHD_OPTION_END);
  if (!d) { fprintf(stderr, "floor: cannot start the daemon\n"); return 1; }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
  printf("listening on http://127.0.0.1:%u\n", info ? info->port : 0);
  fflush(stdout);
  for (;;) pause();   /* until SIGTERM */
}
