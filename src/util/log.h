/*
 * log.h - structured logging for the programs (libmithril itself never prints).
 *
 * One line per event on stderr: `ts=... level=info prog=aggregator event=x k=v ...`
 * or, with JSON output, `{"ts":"...","level":"info","prog":"...","event":"x","k":"v"}`.
 * The level is checked before the arguments are evaluated (redis serverLog).
 */
#ifndef MTL_UTIL_LOG_H
#define MTL_UTIL_LOG_H

#include <stdbool.h>

#include "mithril/export.h"

enum app_log_level {
    MTL_LOG_ERROR = 0,
    MTL_LOG_WARN = 1,
    MTL_LOG_INFO = 2,
    MTL_LOG_DEBUG = 3,
    MTL_LOG_TRACE = 4,
};

extern int app_log_threshold;

/* prog names the program in every line; verbosity is the count of -v flags
 * (0 = warnings and errors, 1 = info, 2 = debug, 3+ = trace). */
void app_log_setup(const char *prog, int verbosity, bool json);
/* Parse a level name ("error".."trace") or number; -1 when unknown. */
int app_log_level_parse(const char *s);

/* fmt is a sequence of key=value pairs, e.g. "epoch=%u party=%s". Every %s
 * value is escaped: in key="%s" its quotes, backslashes and control bytes; a
 * bare key=%s is quoted and escaped when it is not a plain word. A value can
 * thus never forge a field or a line; --json output restores its bytes. */
void app_log_emit(int level, const char *event, const char *fmt, ...) MTL_PRINTF(3, 4);

#define app_log(level, event, ...)                                                                 \
    do {                                                                                           \
        if ((level) <= app_log_threshold)                                                          \
            app_log_emit((level), (event), __VA_ARGS__);                                           \
    } while (0)
#define log_error(event, ...) app_log(MTL_LOG_ERROR, event, __VA_ARGS__)
#define log_warn(event, ...) app_log(MTL_LOG_WARN, event, __VA_ARGS__)
#define log_info(event, ...) app_log(MTL_LOG_INFO, event, __VA_ARGS__)
#define log_debug(event, ...) app_log(MTL_LOG_DEBUG, event, __VA_ARGS__)
#define log_trace(event, ...) app_log(MTL_LOG_TRACE, event, __VA_ARGS__)

#endif
