/* The protobuf wire format's pieces the exporter writes by hand (render_pb.c, render_pb_fast.c):
 * varints, zigzag (sint32/sint64), doubles as fixed64. A field's tag is its number << 3 | wire
 * type (0 varint, 1 fixed64, 2 length-delimited); a length-delimited field's length is a varint.
 * Writers reserve room first: nothing here checks bounds. */
#ifndef BRRT_EXPORT_PB_WIRE_H
#define BRRT_EXPORT_PB_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "a double goes out as its bytes");

static inline size_t pbw_vlen(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static inline uint8_t *pbw_varint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

static inline uint8_t *pbw_double(uint8_t *p, double d)
{
    memcpy(p, &d, sizeof d);
    return p + sizeof d;
}

static inline uint64_t pbw_zigzag64(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline uint32_t pbw_zigzag32(int32_t v)
{
    return ((uint32_t)v << 1) ^ (uint32_t)(v >> 31);
}

#endif
