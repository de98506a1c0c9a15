#include "CHTTPShims.h"
int ivr_http_shims_version(void) { return 1; }
