/* log.c - one line per event, key=value or JSON, on stderr. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"

int mtl_log_threshold = MTL_LOG_WARN;
static const char *log_prog = "mithril";
static bool log_json;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static const char *const level_names[] = {"error", "warn", "info", "debug", "trace"};

void mtl_log_setup(const char *prog, int verbosity, bool json)
{
    log_prog = prog;
    log_json = json;
    int lvl = MTL_LOG_WARN + verbosity;
    mtl_log_threshold = lvl > MTL_LOG_TRACE ? MTL_LOG_TRACE : lvl;
}

int mtl_log_level_parse(const char *s)
{
    for (int i = 0; i <= MTL_LOG_TRACE; i++)
        if (strcmp(s, level_names[i]) == 0)
            return i;
    if (s[0] >= '0' && s[0] <= '4' && s[1] == 0)
        return s[0] - '0';
    return -1;
}

/* Write a value as a JSON string body (quotes and control bytes escaped). */
static void json_str(FILE *f, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
}

/* Turn `a=1 b="x y" c=z` into JSON members. */
static void kv_to_json(FILE *f, const char *p)
{
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        const char *eq = p;
        while (*eq && *eq != '=' && *eq != ' ')
            eq++;
        if (*eq != '=') { /* bare word: keep it as "msg" */
            fputs(",\"msg\":\"", f);
            json_str(f, p, (size_t)(eq - p));
            fputc('"', f);
            p = eq;
            continue;
        }
        fputs(",\"", f);
        json_str(f, p, (size_t)(eq - p));
        fputs("\":\"", f);
        const char *v = eq + 1, *end;
        if (*v == '"') {
            v++;
            end = strchr(v, '"');
            if (!end)
                end = v + strlen(v);
            json_str(f, v, (size_t)(end - v));
            p = *end ? end + 1 : end;
        } else {
            end = v;
            while (*end && *end != ' ')
                end++;
            json_str(f, v, (size_t)(end - v));
            p = end;
        }
        fputc('"', f);
    }
}

void mtl_log_emit(int level, const char *event, const char *fmt, ...)
{
    char msg[4096], ts[40];
    struct timespec now;
    struct tm tm;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    size_t n = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts + n, sizeof(ts) - n, ".%03ldZ", now.tv_nsec / 1000000);
    if (level < 0)
        level = 0;
    if (level > MTL_LOG_TRACE)
        level = MTL_LOG_TRACE;
    pthread_mutex_lock(&log_lock);
    if (log_json) {
        fprintf(stderr, "{\"ts\":\"%s\",\"level\":\"%s\",\"prog\":\"%s\",\"event\":\"", ts,
                level_names[level], log_prog);
        json_str(stderr, event, strlen(event));
        fputc('"', stderr);
        kv_to_json(stderr, msg);
        fputs("}\n", stderr);
    } else {
        fprintf(stderr, "ts=%s level=%s prog=%s event=%s%s%s\n", ts, level_names[level], log_prog,
                event, msg[0] ? " " : "", msg);
    }
    fflush(stderr);
    pthread_mutex_unlock(&log_lock);
}
