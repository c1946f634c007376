/*
 * settings.h - program settings: `--flag value` (or `--flag=value`) over an
 * environment variable over a default, declared as one table per program
 * (redis' config.c): each row names the flag, the variable, the default,
 * the field of the program's configuration struct it fills, its type and
 * bounds, and its --help text. Rows are written with the SET_* macros (the
 * MTL_SETTING_* ones for the struct MTL_SETTINGS_CFG), one row per setting:
 *
 *   #define MTL_SETTINGS_CFG struct agg_config
 *   static const struct app_setting SETTINGS[] = {
 *       SET_UINT(server_port, "--server-port", "SERVER_PORT", "8080", 0, 65535,
 *                "TCP port (0 = any free port)"),
 *   };
 */
#ifndef MTL_UTIL_SETTINGS_H
#define MTL_UTIL_SETTINGS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mithril/err.h"

enum app_setting_type {
    MTL_SETTING_STR,    /* const char *: the text (min 1: must not be empty) */
    MTL_SETTING_UINT,   /* an unsigned (or int64_t) field: decimal in [min, max] */
    MTL_SETTING_BOOL,   /* int: true/1 or false/0/empty; the flag alone means true */
    MTL_SETTING_CUSTOM, /* parse(field, name, text) reads it */
};

struct app_setting {
    const char *flag, *env, *def; /* def "" = none */
    enum app_setting_type type;
    size_t offset, size; /* the field in the configuration struct */
    uint64_t min, max;   /* UINT: accepted range; STR: min 1 = required */
    /* CUSTOM: fill the field from text; errors name the setting (name). */
    mtl_err (*parse)(void *field, const char *name, const char *text);
    const char *help;
};

#define MTL_SETTING_FIELD_(cfg, field) offsetof(cfg, field), sizeof(((cfg *)0)->field)
#define MTL_SETTING_STR(cfg, field, flag, env, def, required, help)                                \
    {                                                                                              \
        flag, env, def, MTL_SETTING_STR, MTL_SETTING_FIELD_(cfg, field), required, 0, NULL, help   \
    }
/* An empty value (no default, nothing given) leaves the field as it was. */
#define MTL_SETTING_UINT(cfg, field, flag, env, def, min, max, help)                               \
    {                                                                                              \
        flag, env, def, MTL_SETTING_UINT, MTL_SETTING_FIELD_(cfg, field), min, max, NULL, help     \
    }
#define MTL_SETTING_BOOL(cfg, field, flag, env, def, help)                                         \
    {                                                                                              \
        flag, env, def, MTL_SETTING_BOOL, MTL_SETTING_FIELD_(cfg, field), 0, 1, NULL, help         \
    }
#define MTL_SETTING_CUSTOM(cfg, field, flag, env, def, parse, help)                                \
    {                                                                                              \
        flag, env, def, MTL_SETTING_CUSTOM, MTL_SETTING_FIELD_(cfg, field), 0, 0, parse, help      \
    }
/* The rows of a table for the struct MTL_SETTINGS_CFG (defined by its file). */
#define SET_STR(...) MTL_SETTING_STR(MTL_SETTINGS_CFG, __VA_ARGS__)
#define SET_UINT(...) MTL_SETTING_UINT(MTL_SETTINGS_CFG, __VA_ARGS__)
#define SET_BOOL(...) MTL_SETTING_BOOL(MTL_SETTINGS_CFG, __VA_ARGS__)
#define SET_CUSTOM(...) MTL_SETTING_CUSTOM(MTL_SETTINGS_CFG, __VA_ARGS__)

/* The "options (flag, environment variable, default)" rows of --help. */
void app_settings_usage(FILE *out, const struct app_setting *s, size_t n);

/* Fill the fields of cfg from argv[first..] over the environment over the
 * defaults. String fields point into argv, the environment or the table.
 * An unknown flag, a flag missing its value or a value out of its row's
 * bounds is an MTL_ERR_CONFIG naming the setting. */
mtl_err app_settings_load(const struct app_setting *s, size_t n, void *cfg, int argc, char **argv,
                          int first);

/* Decimal integer in [0, max]; the error names the setting (name). */
mtl_err app_settings_u64(const char *name, const char *s, uint64_t max, uint64_t *out);
/* true/1 or false/0/empty; the error names the setting (name). */
mtl_err app_settings_bool(const char *name, const char *s, int *out);

#endif
