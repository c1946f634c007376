/* settings.c - flags > environment > defaults into a program's
 * configuration struct, by its table of settings. */
#include "settings.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/common_int.h"

void app_settings_usage(FILE *out, const struct app_setting *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        fprintf(out, "  %-28s %-26s %s\n      %s", s[i].flag, s[i].env,
                s[i].def[0] ? s[i].def : "(none)", s[i].help);
        if (s[i].type == MTL_SETTING_UINT)
            fprintf(out, " [%llu..%llu]", (unsigned long long)s[i].min,
                    (unsigned long long)s[i].max);
        fputc('\n', out);
    }
}

/* The largest value a field of `size` bytes holds (int64_t fields are
 * bounded by their rows at INT64_MAX). */
static uint64_t field_max(size_t size)
{
    return size >= 8 ? UINT64_MAX : ((uint64_t)1 << (8 * size)) - 1;
}

static mtl_err store(const struct app_setting *s, void *cfg, const char *text)
{
    uint8_t *field = (uint8_t *)cfg + s->offset;
    uint64_t v;
    int b;
    switch (s->type) {
    case MTL_SETTING_STR:
        MTL_CHECK(s->min == 0 || text[0], MTL_ERR_CONFIG, "%s: required", s->env);
        MTL_ASSERT(s->size == sizeof(text));
        memcpy(field, &text, sizeof(text));
        return MTL_OK;
    case MTL_SETTING_BOOL:
        MTL_ASSERT(s->size == sizeof(int));
        MTL_TRY(app_settings_bool(s->env, text, &b));
        memcpy(field, &b, sizeof(b));
        return MTL_OK;
    case MTL_SETTING_CUSTOM:
        return s->parse(field, s->env, text);
    case MTL_SETTING_UINT:
        break;
    }
    if (!text[0])
        return MTL_OK;
    MTL_ASSERT(s->max <= field_max(s->size) && s->min <= s->max);
    if (app_settings_u64(s->env, text, s->max, &v) != MTL_OK || v < s->min)
        return mtl_seterr(MTL_ERR_CONFIG, "%s: '%s' is not an integer in [%llu, %llu]", s->env,
                          text, (unsigned long long)s->min, (unsigned long long)s->max);
    if (s->size == 8) {
        memcpy(field, &v, 8);
    } else if (s->size == 4) {
        uint32_t x = (uint32_t)v;
        memcpy(field, &x, 4);
    } else if (s->size == 2) {
        uint16_t x = (uint16_t)v;
        memcpy(field, &x, 2);
    } else {
        MTL_ASSERT(s->size == 1);
        uint8_t x = (uint8_t)v;
        memcpy(field, &x, 1);
    }
    return MTL_OK;
}

mtl_err app_settings_load(const struct app_setting *s, size_t n, void *cfg, int argc, char **argv,
                          int first)
{
    const char **v = mtl_calloc(n ? n : 1, sizeof(*v));
    MTL_CHECK(v, MTL_ERR_NOMEM, "settings: out of memory");
    mtl_err e = MTL_OK;
    for (size_t i = 0; i < n; i++) {
        const char *env = getenv(s[i].env);
        v[i] = env ? env : s[i].def;
    }
    for (int a = first; e == MTL_OK && a < argc; a++) {
        size_t i = 0;
        for (; i < n; i++) {
            size_t fl = strlen(s[i].flag);
            if (strcmp(argv[a], s[i].flag) == 0) {
                if (s[i].type == MTL_SETTING_BOOL)
                    v[i] = "true";
                else if (a + 1 < argc)
                    v[i] = argv[++a];
                else
                    e = mtl_seterr(MTL_ERR_CONFIG, "%s needs a value", argv[a]);
                break;
            }
            if (strncmp(argv[a], s[i].flag, fl) == 0 && argv[a][fl] == '=') {
                v[i] = argv[a] + fl + 1;
                break;
            }
        }
        if (e == MTL_OK && i == n)
            e = mtl_seterr(MTL_ERR_CONFIG, "unknown option '%s' (see --help)", argv[a]);
    }
    for (size_t i = 0; e == MTL_OK && i < n; i++)
        e = store(&s[i], cfg, v[i]);
    mtl_free(v);
    return e;
}

mtl_err app_settings_u64(const char *name, const char *s, uint64_t max, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    MTL_CHECK(*s >= '0' && *s <= '9' && end && *end == '\0' && errno == 0 && v <= max,
              MTL_ERR_CONFIG, "%s: '%s' is not an integer in [0, %llu]", name, s,
              (unsigned long long)max);
    *out = v;
    return MTL_OK;
}

mtl_err app_settings_bool(const char *name, const char *s, int *out)
{
    if (strcmp(s, "true") == 0 || strcmp(s, "1") == 0)
        *out = 1;
    else if (strcmp(s, "false") == 0 || strcmp(s, "0") == 0 || !*s)
        *out = 0;
    else
        return mtl_seterr(MTL_ERR_CONFIG, "%s: '%s' is not true/false", name, s);
    return MTL_OK;
}
