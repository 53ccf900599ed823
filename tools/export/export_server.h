/* The exporter's libmicrohttpd server limits: one definition for brrt-stat-export and for the
 * benchmark floor that must serve with the same options (bench/static_serve.c). */
#ifndef BRRT_EXPORT_SERVER_H
#define BRRT_EXPORT_SERVER_H

/* Memory is about EXPORT_CONNECTION_LIMIT x EXPORT_CONNECTION_MEMORY (libmicrohttpd's
 * per-connection pool is touched whole): 1024 x 8 KiB keeps the sidecar near 10 MB resident
 * under 1000 concurrent scrapers (32 KiB pools took 33 MB). 8 KiB holds a scrape's request
 * line and headers with room for a large bearer token (nginx's default header buffer is 8 KiB
 * too). */
#define EXPORT_CONNECTION_LIMIT 1024
#define EXPORT_CONNECTION_MEMORY 8192
#define EXPORT_CONNECTION_TIMEOUT_S 10

/* The options after MHD_OPTION_SOCK_ADDR, thread pool size and before MHD_OPTION_END. */
#define EXPORT_MHD_LIMITS                                                                          \
    MHD_OPTION_CONNECTION_LIMIT, (unsigned)EXPORT_CONNECTION_LIMIT,                                \
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)EXPORT_CONNECTION_MEMORY,                      \
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)EXPORT_CONNECTION_TIMEOUT_S

#endif
