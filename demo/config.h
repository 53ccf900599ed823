/* Demo configuration from the environment, checked at start-up (a bad value is an error,
 * never silently replaced by a default). */
#ifndef BRRT_DEMO_CONFIG_H
#define BRRT_DEMO_CONFIG_H

#include <stddef.h>

#define STACK_DEFAULT_BYTES (64 * 1024)
#define STACK_MIN_DEFAULT (16 * 1024)
#define STACK_MAX_DEFAULT (8 * 1024 * 1024)

/* Parses "65536" or "0x10000". Returns 0, or -1 with `why` filled. */
int config_parse_size(const char *text, size_t *out, char *why, size_t whylen);

/* The stack size for `handler` (e.g. "get_pet"): BRRTR_STACK_SIZE__GET_PET, else
 * BRRTR_STACK_SIZE, else the default, clamped to [BRRTR_STACK_MIN_BYTES, BRRTR_STACK_MAX_BYTES].
 * Returns 0, or -1 with `why` naming the variable and the problem. */
int config_stack_size(const char *handler, size_t *out, char *why, size_t whylen);

#endif
