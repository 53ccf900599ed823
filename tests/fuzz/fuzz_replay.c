/* fuzz_replay: runs the fuzz target (fuzz_segment.c) over files without libFuzzer, so the
 * harness builds and runs with any compiler (and under the sanitizer builds).
 *
 *   fuzz_replay FILE|DIR...   every regular file given, and every regular file directly inside
 *                             every directory given (sorted by name), is one input.
 * Exit status: 0 when every input ran (a failing input crashes or traps, as under libFuzzer),
 * 1 when an input could not be read, 2 on usage errors or when no input was found. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path, unsigned long *runs)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "fuzz_replay: %s: %s\n", path, strerror(errno));
        return 1;
    }
    size_t cap = 65536, len = 0;
    uint8_t *buf = malloc(cap);
    int rc = buf ? 0 : 1;
    while (rc == 0) {
        if (len == cap) {
            uint8_t *p = realloc(buf, cap *= 2);
            if (!p) {
                rc = 1;
                break;
            }
            buf = p;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0) {
            if (ferror(f))
                rc = 1;
            break;
        }
    }
    fclose(f);
    if (rc == 0) {
        /* An exact-size copy, so ASan sees reads past the end of the input. */
        uint8_t *exact = malloc(len ? len : 1);
        if (!exact) {
            rc = 1;
        } else {
            memcpy(exact, buf, len);
            LLVMFuzzerTestOneInput(exact, len);
            free(exact);
            ++*runs;
        }
    }
    if (rc)
        fprintf(stderr, "fuzz_replay: %s: cannot read\n", path);
    free(buf);
    return rc;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int run_dir(const char *dir, unsigned long *runs)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, by_name);
    if (n < 0) {
        fprintf(stderr, "fuzz_replay: %s: %s\n", dir, strerror(errno));
        return 1;
    }
    int rc = 0;
    for (int i = 0; i < n; i++) {
        char path[4096];
        struct stat st;
        if (names[i]->d_name[0] != '.' &&
            (size_t)snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name) < sizeof path &&
            stat(path, &st) == 0 && S_ISREG(st.st_mode))
            rc |= run_file(path, runs);
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
        return 2;
    }
    unsigned long runs = 0;
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "fuzz_replay: %s: %s\n", argv[i], strerror(errno));
            rc = 1;
        } else if (S_ISDIR(st.st_mode)) {
            rc |= run_dir(argv[i], &runs);
        } else {
            rc |= run_file(argv[i], &runs);
        }
    }
    printf("fuzz_replay: %lu inputs run\n", runs);
    if (rc == 0 && runs == 0) {
        fprintf(stderr, "fuzz_replay: no inputs found\n");
        return 2;
    }
    return rc;
}
