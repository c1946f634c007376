/* test_log.c - a logged value cannot forge a field or a line: control bytes,
 * quotes and backslashes are escaped in key=value and in JSON output. */
#include <jansson.h>
#include <stdint.h>
#include <unistd.h>

#include "harness.h"
#include "util/log.h"

/* A party id as an attacker would register it: a newline then a forged event. */
static const char FORGED[] =
    "pool1\nts=2026-01-01T00:00:00.000Z level=error prog=aggregator event=forged";
static const char NASTY[] = "q\"uo\\te\t\x01\x1b[31m\x7f end";

/* Run one log call with stderr sent to a file; return what it wrote. */
static char *capture(int json, const char *party, const char *detail)
{
    char path[] = "/tmp/test_log_XXXXXX";
    int fd = mkstemp(path), saved = dup(2);
    if (fd < 0 || saved < 0)
        return NULL;
    fflush(stderr);
    dup2(fd, 2);
    app_log_setup("test", 1, json);
    log_warn("party_seen", "party_id=%s detail=\"%s\" epoch=%llu n=%zu cut=%.*s shown=%d%%", party,
             detail, 18446744073709551615ULL, (size_t)42, 3, "abcdef", -7);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    off_t len = lseek(fd, 0, SEEK_END);
    char *out = calloc(1, (size_t)len + 1);
    if (out && pread(fd, out, (size_t)len, 0) != len) {
        free(out);
        out = NULL;
    }
    close(fd);
    unlink(path);
    return out;
}

static int count_char(const char *s, char c)
{
    int n = 0;
    for (; *s; s++)
        n += *s == c;
    return n;
}

TEST(kv_values_escaped)
{
    char *out = capture(0, FORGED, NASTY);
    CHECK(out);
    /* One line, and the forged event is text inside the quoted party_id. */
    CHECK_EQ_INT(count_char(out, '\n'), 1);
    CHECK(out[strlen(out) - 1] == '\n');
    CHECK(strstr(out, "party_id=\"pool1\\nts=2026-01-01T00:00:00.000Z level=error prog=aggregator"
                      " event=forged\" "));
    CHECK(strstr(out, "detail=\"q\\\"uo\\\\te\\t\\x01\\x1b[31m\\x7f end\" "));
    CHECK(strstr(out, " epoch=18446744073709551615 n=42 cut=abc shown=-7%\n"));
    for (const char *p = out; *p && p[1]; p++)
        CHECK((unsigned char)*p >= 0x20 && *p != 0x7f);
    free(out);
}

TEST(json_values_escaped)
{
    char *out = capture(1, FORGED, NASTY);
    CHECK(out);
    CHECK_EQ_INT(count_char(out, '\n'), 1);
    json_error_t je;
    json_t *j = json_loads(out, 0, &je);
    CHECK(j);
    /* The values come back byte for byte. */
    CHECK_EQ_STR(json_string_value(json_object_get(j, "party_id")), FORGED);
    CHECK_EQ_STR(json_string_value(json_object_get(j, "detail")), NASTY);
    CHECK_EQ_STR(json_string_value(json_object_get(j, "event")), "party_seen");
    CHECK_EQ_STR(json_string_value(json_object_get(j, "epoch")), "18446744073709551615");
    CHECK_EQ_STR(json_string_value(json_object_get(j, "cut")), "abc");
    CHECK(!json_object_get(j, "level") ||
          strcmp(json_string_value(json_object_get(j, "level")), "warn") == 0);
    json_decref(j);
    free(out);
}

TEST(plain_values_unquoted)
{
    char *out = capture(0, "pool1abc", "x");
    CHECK(out);
    CHECK(strstr(out, " party_id=pool1abc detail=\"x\" "));
    free(out);
    /* A quote inside a bare word stays; one that would open a value does not. */
    out = capture(0, "{\"CardanoDatabase\":3}", "x");
    CHECK(out);
    CHECK(strstr(out, " party_id={\"CardanoDatabase\":3} detail="));
    free(out);
    out = capture(1, "\"x level=error", "x");
    CHECK(out);
    json_t *j = json_loads(out, 0, NULL);
    CHECK(j);
    CHECK_EQ_STR(json_string_value(json_object_get(j, "party_id")), "\"x level=error");
    CHECK_EQ_STR(json_string_value(json_object_get(j, "level")), "warn");
    json_decref(j);
    free(out);
    out = capture(0, "\"x", "x");
    CHECK(out);
    CHECK(strstr(out, " party_id=\"\\\"x\" detail="));
    free(out);
    out = capture(0, "", "");
    CHECK(out);
    CHECK(strstr(out, " party_id=\"\" detail=\"\" "));
    free(out);
}

int main(void)
{
    RUN(kv_values_escaped);
    RUN(json_values_escaped);
    RUN(plain_values_unquoted);
    return DONE();
}
