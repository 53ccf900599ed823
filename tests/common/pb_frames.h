/* The frames of a length-delimited protobuf body (the Prometheus exposition's
 * `encoding=delimited`): a varint length, then that many bytes, repeated. Header-only, so the
 * fuzz target (which links no test library) reads frames the same way the unit tests do. */
#ifndef BRRT_TEST_PB_FRAMES_H
#define BRRT_TEST_PB_FRAMES_H

#include <stddef.h>
#include <stdint.h>

/* The frame of body[0, len) at *at: sets *msg and *msg_len and moves *at past it. Returns 1
 * for a frame, 0 at the end of the body, -1 for a bad length prefix or a frame that runs past
 * the end. */
static inline int pb_frame_next(const char *body, size_t len, size_t *at, const uint8_t **msg,
                                size_t *msg_len)
{
    if (*at >= len)
        return 0;
    uint64_t n = 0;
    unsigned shift = 0;
    uint8_t c;
    do {
        if (*at >= len || shift >= 64)
            return -1;
        c = (uint8_t)body[(*at)++];
        n |= (uint64_t)(c & 0x7f) << shift;
        shift += 7;
    } while (c & 0x80);
    if (n > len - *at)
        return -1;
    *msg = (const uint8_t *)body + *at;
    *msg_len = (size_t)n;
    *at += (size_t)n;
    return 1;
}

#endif
