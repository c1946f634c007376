/*
 * settings.h - program settings: `--flag value` (or `--flag=value`) over an
 * environment variable over a default, and the `--help` table listing them.
 */
#ifndef MTL_UTIL_SETTINGS_H
#define MTL_UTIL_SETTINGS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mithril/err.h"

/* One setting: its flag, environment variable, default ("" = none) and help. */
struct mtl_setting {
    const char *flag, *env, *def, *help;
    int is_bool; /* a flag without value ("true" when present) */
};

/* The "options (flag, environment variable, default)" rows of --help. */
void mtl_settings_usage(FILE *out, const struct mtl_setting *s, size_t n);

/* Fill v[0..n) from argv[first..] over the environment over the defaults.
 * The values point into argv, the environment or the table. An unknown flag or
 * a flag missing its value is an MTL_ERR_CONFIG naming it. */
mtl_err mtl_settings_load(const struct mtl_setting *s, size_t n, const char **v, int argc,
                          char **argv, int first);

/* Decimal integer in [0, max]; the error names the setting (name). */
mtl_err mtl_settings_u64(const char *name, const char *s, uint64_t max, uint64_t *out);
/* true/1 or false/0/empty; the error names the setting (name). */
mtl_err mtl_settings_bool(const char *name, const char *s, int *out);

#endif
