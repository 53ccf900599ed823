/* The brrtstat version, defined once here. CMake's project() reads these three numbers
 * (CMakeLists.txt), so the libraries' VERSION/SOVERSION, the pkg-config and CMake package
 * versions, every program's --version and the container image tags follow this file.
 * brrtstat.h and reader.h include it. */
#ifndef BRRTSTAT_VERSION_H
#define BRRTSTAT_VERSION_H

#define BRRT_VERSION_MAJOR 0
#define BRRT_VERSION_MINOR 1
#define BRRT_VERSION_PATCH 0

#define BRRT_VERSION_STR_(x) #x
#define BRRT_VERSION_STR(x) BRRT_VERSION_STR_(x)
/* "MAJOR.MINOR.PATCH" of the headers a program was compiled with, e.g. "0.1.0". */
#define BRRT_VERSION                                                                           \
    BRRT_VERSION_STR(BRRT_VERSION_MAJOR) "." BRRT_VERSION_STR(BRRT_VERSION_MINOR) "."         \
        BRRT_VERSION_STR(BRRT_VERSION_PATCH)
/* The same as one comparable number: MAJOR * 10000 + MINOR * 100 + PATCH. */
#define BRRT_VERSION_NUMBER (BRRT_VERSION_MAJOR * 10000 + BRRT_VERSION_MINOR * 100 + BRRT_VERSION_PATCH)

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default)

/* The version of the library loaded at run time ("0.1.0"): it may be newer than the headers'
 * BRRT_VERSION when a shared library was upgraded under the program. Both libbrrtstat and
 * libbrrtstat-reader export it. */
const char *brrt_version(void);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif

#endif
