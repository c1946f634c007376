/* settings.c - flags > environment > defaults, shared by the programs. */
#include "settings.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/common_int.h"

void mtl_settings_usage(FILE *out, const struct mtl_setting *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fprintf(out, "  %-28s %-26s %s\n      %s\n", s[i].flag, s[i].env,
                s[i].def[0] ? s[i].def : "(none)", s[i].help);
}

mtl_err mtl_settings_load(const struct mtl_setting *s, size_t n, const char **v, int argc,
                          char **argv, int first)
{
    for (size_t i = 0; i < n; i++) {
        const char *e = getenv(s[i].env);
        v[i] = e ? e : s[i].def;
    }
    for (int a = first; a < argc; a++) {
        size_t i = 0;
        const char *val = NULL;
        for (; i < n; i++) {
            size_t fl = strlen(s[i].flag);
            if (strcmp(argv[a], s[i].flag) == 0) {
                if (s[i].is_bool) {
                    val = "true";
                    break;
                }
                MTL_CHECK(a + 1 < argc, MTL_ERR_CONFIG, "%s needs a value", argv[a]);
                val = argv[++a];
                break;
            }
            if (strncmp(argv[a], s[i].flag, fl) == 0 && argv[a][fl] == '=') {
                val = argv[a] + fl + 1;
                break;
            }
        }
        MTL_CHECK(i < n, MTL_ERR_CONFIG, "unknown option '%s' (see --help)", argv[a]);
        v[i] = val;
    }
    return MTL_OK;
}

mtl_err mtl_settings_u64(const char *name, const char *s, uint64_t max, uint64_t *out)
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

mtl_err mtl_settings_bool(const char *name, const char *s, int *out)
{
    if (strcmp(s, "true") == 0 || strcmp(s, "1") == 0)
        *out = 1;
    else if (strcmp(s, "false") == 0 || strcmp(s, "0") == 0 || !*s)
        *out = 0;
    else
        return mtl_seterr(MTL_ERR_CONFIG, "%s: '%s' is not true/false", name, s);
    return MTL_OK;
}
