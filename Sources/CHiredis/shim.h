#include <hiredis/hiredis.h>

/* redisCommandArgv returns void*: typed here so Swift gets a redisReply pointer. */
static inline redisReply *ivr_redis_command(redisContext *c, int argc, const char **argv, const size_t *argvlen) {
    return (redisReply *)redisCommandArgv(c, argc, argv, argvlen);
}
