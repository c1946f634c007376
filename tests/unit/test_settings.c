/* test_settings.c - the programs' settings tables (src/util/settings.h):
 * flag > environment > default into the fields of a struct, each row's
 * bounds enforced with the setting named, and mtl_path_fmt's refusal of
 * a path that does not fit. */
#include <stdlib.h>

#include "common/common_int.h"
#include "harness.h"
#include "settings.h"

struct cfg {
    const char *name;
    uint16_t port;
    unsigned interval;
    int64_t epoch; /* -1: none */
    uint64_t big;
    int flag;
    int parity; /* CUSTOM: 0 even, 1 odd */
};

static mtl_err parse_parity(void *field, const char *name, const char *text)
{
    int *p = field;
    MTL_CHECK(strcmp(text, "even") == 0 || strcmp(text, "odd") == 0, MTL_ERR_CONFIG,
              "%s: '%s' is neither even nor odd", name, text);
    *p = text[0] == 'o';
    return MTL_OK;
}

#define MTL_SETTINGS_CFG struct cfg
static const struct app_setting ROWS[] = {
    SET_STR(name, "--name", "TS_NAME", "", 1, "required name"),
    SET_UINT(port, "--port", "TS_PORT", "8080", 0, 65535, "port"),
    SET_UINT(interval, "--interval", "TS_INTERVAL", "1000", 100, 3600000, "ms"),
    SET_UINT(epoch, "--epoch", "TS_EPOCH", "", 0, INT64_MAX, "epoch"),
    SET_UINT(big, "--big", "TS_BIG", "0", 0, UINT64_MAX, "u64"),
    SET_BOOL(flag, "--flag", "TS_FLAG", "false", "switch"),
    SET_CUSTOM(parity, "--parity", "TS_PARITY", "even", parse_parity, "parity"),
};

static mtl_err load(struct cfg *c, int argc, char **argv)
{
    memset(c, 0, sizeof(*c));
    c->epoch = -1;
    return app_settings_load(ROWS, MTL_ARRAY_LEN(ROWS), c, argc, argv, 0);
}

static void clear_env(void)
{
    static const char *const v[] = {"TS_NAME", "TS_PORT", "TS_INTERVAL", "TS_EPOCH",
                                    "TS_BIG",  "TS_FLAG", "TS_PARITY"};
    for (size_t i = 0; i < MTL_ARRAY_LEN(v); i++)
        unsetenv(v[i]);
}

TEST(defaults_env_flags)
{
    struct cfg c;
    clear_env();
    char *a1[] = {"--name", "x"};
    CHECK_OK(load(&c, 2, a1));
    CHECK_EQ_STR(c.name, "x");
    CHECK_EQ_INT(c.port, 8080);
    CHECK_EQ_INT(c.interval, 1000);
    CHECK_EQ_INT(c.epoch, -1); /* empty: the field keeps its "none" */
    CHECK_EQ_INT(c.flag, 0);
    CHECK_EQ_INT(c.parity, 0);
    /* environment over default, flag over environment, --flag=value, bool alone */
    setenv("TS_PORT", "9000", 1);
    setenv("TS_NAME", "env", 1);
    setenv("TS_EPOCH", "7", 1);
    char *a2[] = {"--port=65535", "--flag", "--parity", "odd", "--big", "18446744073709551615"};
    CHECK_OK(load(&c, 6, a2));
    CHECK_EQ_STR(c.name, "env");
    CHECK_EQ_INT(c.port, 65535);
    CHECK_EQ_INT(c.epoch, 7);
    CHECK(c.big == UINT64_MAX);
    CHECK_EQ_INT(c.flag, 1);
    CHECK_EQ_INT(c.parity, 1);
    clear_env();
}

/* load argv and want MTL_ERR_CONFIG naming `want` */
static int refused(int argc, char **argv, const char *want)
{
    struct cfg c;
    return load(&c, argc, argv) == MTL_ERR_CONFIG && strstr(mtl_err_detail(), want) != NULL;
}

TEST(bounds_and_errors)
{
    clear_env();
    char *port[] = {"--name", "x", "--port", "65536"};
    CHECK(refused(4, port, "TS_PORT: '65536' is not an integer in [0, 65535]"));
    char *low[] = {"--name", "x", "--interval", "99"};
    CHECK(refused(4, low, "TS_INTERVAL: '99' is not an integer in [100, 3600000]"));
    char *high[] = {"--name", "x", "--interval", "3600001"};
    CHECK(refused(4, high, "TS_INTERVAL"));
    char *neg[] = {"--name", "x", "--epoch", "-1"};
    CHECK(refused(4, neg, "TS_EPOCH"));
    char *over[] = {"--name", "x", "--epoch", "9223372036854775808"};
    CHECK(refused(4, over, "TS_EPOCH"));
    char *junk[] = {"--name", "x", "--port", "80x"};
    CHECK(refused(4, junk, "TS_PORT: '80x'"));
    char *none[] = {"--port", "1"};
    CHECK(refused(2, none, "TS_NAME: required"));
    char *empty[] = {"--name="};
    CHECK(refused(1, empty, "TS_NAME: required"));
    char *flag[] = {"--name", "x", "--flag=maybe"};
    CHECK(refused(3, flag, "TS_FLAG: 'maybe' is not true/false"));
    char *custom[] = {"--name", "x", "--parity", "three"};
    CHECK(refused(4, custom, "TS_PARITY: 'three' is neither even nor odd"));
    char *unknown[] = {"--name", "x", "--nope", "1"};
    CHECK(refused(4, unknown, "unknown option '--nope'"));
    char *missing[] = {"--name", "x", "--port"};
    CHECK(refused(3, missing, "--port needs a value"));
    setenv("TS_PORT", "-5", 1); /* a bad environment value is named too */
    char *env[] = {"--name", "x"};
    CHECK(refused(2, env, "TS_PORT: '-5'"));
    clear_env();
}

TEST(path_fmt)
{
    char p[16];
    CHECK_OK(mtl_path_fmt(p, sizeof(p), "%s/%s", "/tmp", "abcdefghij")); /* 15 bytes: fits */
    CHECK_EQ_STR(p, "/tmp/abcdefghij");
    CHECK_ERR(mtl_path_fmt(p, sizeof(p), "%s/%s", "/tmp", "abcdefghijk"), MTL_ERR_INVALID_ARG);
    CHECK(strstr(mtl_err_detail(), "path too long (16 bytes, at most 15): /tmp/abcdefghij") !=
          NULL);
    CHECK_EQ_STR(p, ""); /* never a cut path */
}

int main(void)
{
    RUN(defaults_env_flags);
    RUN(bounds_and_errors);
    RUN(path_fmt);
    return DONE();
}
