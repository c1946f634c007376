/* log.c - one line per event, key=value or JSON, on stderr. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"

int app_log_threshold = MTL_LOG_WARN;
static const char *log_prog = "mithril";
static bool log_json;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static const char *const level_names[] = {"error", "warn", "info", "debug", "trace"};

void app_log_setup(const char *prog, int verbosity, bool json)
{
    log_prog = prog;
    log_json = json;
    int lvl = MTL_LOG_WARN + verbosity;
    app_log_threshold = lvl > MTL_LOG_TRACE ? MTL_LOG_TRACE : lvl;
}

int app_log_level_parse(const char *s)
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

/* Append a %s value to the line. Inside quotes of the format (key="%s") a
 * quote, a backslash and control bytes are escaped; a bare value (key=%s) is
 * quoted and escaped when it is empty, starts with a quote or holds a space, a
 * backslash or a control byte, so no value can end its field, start another
 * one or another line. A quote inside a bare word ends nothing and stays as
 * is: entity={"CardanoDatabase":..} reads as before. */
static void put_value(char *out, size_t cap, size_t *o, const char *v, int quoted)
{
    int plain = v[0] != 0 && v[0] != '"';
    for (const char *p = v; *p && plain; p++)
        plain = (unsigned char)*p > 0x20 && *p != '\\' && *p != 0x7f;
    if (!quoted && !plain && *o < cap)
        out[(*o)++] = '"';
    for (; *v && *o + 5 < cap; v++) {
        unsigned char c = (unsigned char)*v;
        if ((c == '"' || c == '\\') && !(plain && !quoted)) {
            out[(*o)++] = '\\';
            out[(*o)++] = (char)c;
        } else if (c == '\n' || c == '\r' || c == '\t') {
            out[(*o)++] = '\\';
            out[(*o)++] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
        } else if (c < 0x20 || c == 0x7f) {
            *o += (size_t)snprintf(out + *o, cap - *o, "\\x%02x", c);
        } else {
            out[(*o)++] = (char)c;
        }
    }
    if (!quoted && !plain && *o < cap)
        out[(*o)++] = '"';
}

/* vsnprintf, but every %s argument goes through put_value. Conversions are
 * formatted one at a time, the argument fetched by its length modifier; each
 * spec comes from a format the compiler checked (MTL_PRINTF on app_log_emit). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static void format_line(char *out, size_t cap, const char *fmt, va_list ap)
{
    size_t o = 0;
    int quoted = 0;
    char spec[32], tmp[2048];
    while (*fmt && o + 1 < cap) {
        if (*fmt != '%') {
            if (*fmt == '"')
                quoted = !quoted;
            out[o++] = *fmt++;
            continue;
        }
        size_t n = strspn(fmt + 1, "-+ #0123456789.*hlLqjzt") + 1;
        if (!fmt[n] || n + 2 > sizeof(spec))
            break;
        memcpy(spec, fmt, n + 1);
        spec[n + 1] = 0;
        char conv = fmt[n];
        fmt += n + 1;
        int stars[2] = {0, 0}, ns = 0;
        for (const char *p = spec; *p; p++)
            if (*p == '*' && ns < 2)
                stars[ns++] = va_arg(ap, int);
        int longs = 0;
        for (const char *p = spec; *p; p++)
            longs += *p == 'l' || *p == 'z' || *p == 'j' || *p == 't' || *p == 'q';
#define FMT1(arg)                                                                                  \
    (ns == 0   ? snprintf(tmp, sizeof(tmp), spec, arg)                                             \
     : ns == 1 ? snprintf(tmp, sizeof(tmp), spec, stars[0], arg)                                   \
               : snprintf(tmp, sizeof(tmp), spec, stars[0], stars[1], arg))
        tmp[0] = 0;
        if (conv == '%')
            snprintf(tmp, sizeof(tmp), "%%");
        else if (conv == 's') {
            const char *v = va_arg(ap, const char *);
            FMT1(v ? v : "(null)");
            put_value(out, cap - 1, &o, tmp, quoted);
            continue;
        } else if (conv == 'p')
            FMT1(va_arg(ap, void *));
        else if (strchr("eEfFgGaA", conv))
            FMT1(va_arg(ap, double));
        else if (strchr("diouxXc", conv)) {
            if (longs)
                FMT1(va_arg(ap, long long)); /* l, ll, z, j, t: 64-bit on LP64 */
            else
                FMT1(va_arg(ap, int));
        }
#undef FMT1
        size_t l = strlen(tmp);
        if (l > cap - 1 - o)
            l = cap - 1 - o;
        memcpy(out + o, tmp, l);
        o += l;
    }
    out[o] = 0;
}
#pragma GCC diagnostic pop

/* A quoted key=value value (put_value's escapes) as a JSON string body. */
static void json_unescaped(FILE *f, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\\' && i + 1 < n) {
            char e = s[++i];
            unsigned x;
            if (e == 'n' || e == 'r' || e == 't')
                c = e == 'n' ? '\n' : e == 'r' ? '\r' : '\t';
            else if (e == 'x' && i + 2 < n && sscanf(s + i + 1, "%2x", &x) == 1) {
                c = (char)x;
                i += 2;
            } else
                c = e;
        }
        json_str(f, &c, 1);
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
            end = v;
            while (*end && *end != '"')
                end += end[0] == '\\' && end[1] ? 2 : 1;
            json_unescaped(f, v, (size_t)(end - v));
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

void app_log_emit(int level, const char *event, const char *fmt, ...)
{
    char msg[4096], ts[40];
    struct timespec now;
    struct tm tm;
    va_list ap;
    va_start(ap, fmt);
    format_line(msg, sizeof(msg), fmt, ap);
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
        char ev[128];
        size_t o = 0;
        put_value(ev, sizeof(ev) - 1, &o, event, 0);
        ev[o] = 0;
        fprintf(stderr, "ts=%s level=%s prog=%s event=%s%s%s\n", ts, level_names[level], log_prog,
                ev, msg[0] ? " " : "", msg);
    }
    fflush(stderr);
    pthread_mutex_unlock(&log_lock);
}
