/* Native-histogram bucket maths (Prometheus exponential buckets), shared by writer and readers.
 *
 * A family has a schema s (-4..8): base = 2^(2^-s), and native bucket i covers the values
 * (base^(i-1), base^i] of the family's UNIT. An observation's value is v = (double)raw * scale
 * (both IEEE-754 round-to-nearest); its key is the i with bound(i-1) < v <= bound(i), where
 * bound(i) is the double defined by brrt_hist_bound() (docs/segment-format.md §10).
 *
 * The key is found without log(): v's binary exponent e and the top s+1 bits of its mantissa
 * select one of 2^(s+1) cells covering [1, 2); each cell holds at most one bound (cells are
 * 2^-(s+1) wide, bounds at least 0.69 * 2^-s apart), so the key is
 *   e * 2^s + cell.base + (mantissa > cell.bound_mant)
 * For s < 0 the schema-0 key k0 gives ceil(k0 / 2^-s). Tested against brrt_hist_key_ref(). */
#ifndef BRRTSTAT_HIST_MATH_H
#define BRRTSTAT_HIST_MATH_H

#include <stdint.h>
#include <string.h>


#define BRRT_HIST_SCHEMA_MIN (-4)
#define BRRT_HIST_SCHEMA_MAX 8
#define BRRT_HIST_MAX_BUCKETS 8192u /* regular buckets per family (index_max - index_min + 1) */
#define BRRT_HIST_EXP_LIMIT 1000    /* every bound lies in [2^-1000, 2^1000] */

/* 2^(j/256), j = 0..255, correctly rounded (hist_math.c). Schema s uses entries j << (8-s). */
extern const double brrt_hist_pow2_256[256];

/* One cell of the key table (see above). bound_mant = UINT64_MAX when the cell has no bound. */
struct brrt_hist_cell {
    uint64_t bound_mant;
    int32_t base;
    uint32_t reserved;
};

static inline uint32_t brrt_hist_cell_schema(int32_t schema)
{
    return schema > 0 ? (uint32_t)schema : 0u;
}

/* Cells for `schema` (2^(s+1) of them, s = max(schema, 0)). */
void brrt_hist_cells_fill(int32_t schema, struct brrt_hist_cell *cells);

/* Upper bound base^index of native bucket `index` (|index| within BRRT_HIST_EXP_LIMIT octaves):
 * ldexp(2^(j/2^s), p) with index = p * 2^s + j, 0 <= j < 2^s; exact 2^(index * 2^-s) for s <= 0. */
double brrt_hist_bound(int32_t schema, int32_t index);

/* The key of v >= 0 by the definition (log2, then exact corrections against brrt_hist_bound):
 * slow, for tests and registration. INT32_MIN for v == 0 (or below 2^-1000). */
int32_t brrt_hist_key_ref(double v, int32_t schema);

/* The key of v >= 0 through the cells; cell_schema = brrt_hist_cell_schema(schema) and
 * neg_shift = schema < 0 ? -schema : 0. 0 and subnormals give keys below -1022 * 2^s. */
static inline int32_t brrt_hist_key(double v, const struct brrt_hist_cell *cells, uint32_t cell_schema,
                                    uint32_t neg_shift)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    uint64_t m = bits & ((1ull << 52) - 1u);
    const struct brrt_hist_cell *c = &cells[m >> (51u - cell_schema)];
    uint32_t e = (uint32_t)(bits >> 52) - 1023u; /* two's complement of the exponent */
    int32_t k0 = (int32_t)(e << cell_schema) + c->base + (m > c->bound_mant);
    /* ceil(k0 / 2^neg_shift): arithmetic shift (GCC and Clang define it for negatives) */
    return (k0 + (int32_t)((1u << neg_shift) - 1u)) >> neg_shift;
}

/* Words of one series' per-shard value area: sum, le counts (+Inf included), zero bucket,
 * n_buckets regular buckets, overflow. */
static inline uint32_t brrt_hist_value_words(uint32_t n_le, uint32_t n_buckets)
{
    return 1u + (n_le + 1u) + 1u + n_buckets + 1u;
}


#endif
