#include "CLuaShims.h"
int ivr_lua_shims_version(void) { return 1; }
