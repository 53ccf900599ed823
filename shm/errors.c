#include "brrtstat/errors.h"

const char *brrt_strerror(int err)
{
    switch (err) {
    case BRRT_OK:
        return "success";
#define BRRT_ERR_MSG(name, value, msg)                                                     \
    case BRRT_E_##name:                                                                    \
        return msg;
        BRRT_ERRNO_MAP(BRRT_ERR_MSG)
#undef BRRT_ERR_MSG
    }
    return "unknown error";
}

const char *brrt_err_name(int err)
{
    switch (err) {
    case BRRT_OK:
        return "BRRT_OK";
#define BRRT_ERR_NAME(name, value, msg)                                                    \
    case BRRT_E_##name:                                                                    \
        return "BRRT_E_" #name;
        BRRT_ERRNO_MAP(BRRT_ERR_NAME)
#undef BRRT_ERR_NAME
    }
    return "BRRT_E_UNKNOWN";
}
