#include "brrtstat/version.h"

const char *brrt_version(void)
{
    return BRRT_VERSION;
}
