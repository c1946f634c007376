/* test_aggregator_store.c - the aggregator's certificate store, linked from
 * aggregator_core: the reference's 43-certificate chain stored in chain
 * order and read back byte for byte; a certificate altered under its hash
 * is refused with nothing stored, one stored twice is a conflict. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aggregator_int.h"
#include "harness.h"

static json_t *certs; /* hash -> certificate, the reference's certificates.json */
static char dir[256];

static char *dump(json_t *c)
{
    return json_dumps(c, JSON_COMPACT | JSON_PRESERVE_ORDER);
}

/* Insert every certificate whose previous one is stored, until all are. */
TEST(reference_chain_stored_and_read_back)
{
    struct agg_store s;
    char sub[300];
    snprintf(sub, sizeof(sub), "%s/chain", dir);
    CHECK_OK(agg_store_open(&s, sub));
    json_t *stored = json_object();
    for (int round = 0; round < 64 && json_object_size(stored) < json_object_size(certs); round++) {
        const char *h;
        json_t *c;
        json_object_foreach(certs, h, c)
        {
            const char *prev = json_string_value(json_object_get(c, "previous_hash"));
            if (json_object_get(stored, h) || (*prev && !json_object_get(stored, prev)))
                continue;
            char *j = dump(c);
            CHECK_OK(agg_store_put_certificate(&s, j));
            free(j);
            json_object_set_new(stored, h, json_true());
        }
    }
    CHECK_EQ_INT(json_object_size(stored), 43);
    const char *h;
    json_t *c;
    json_object_foreach(certs, h, c)
    {
        char *got = NULL, *want = dump(c);
        CHECK_OK(agg_store_get_certificate(&s, h, &got));
        CHECK_EQ_STR(got, want);
        mtl_free(got);
        free(want);
    }
    uint64_t epoch = 0;
    int found = 0;
    CHECK_OK(agg_store_latest_epoch(&s, &epoch, &found));
    CHECK(found);
    CHECK_EQ_INT(epoch, 25);
    json_decref(stored);
    agg_store_close(&s);
}

TEST(bad_certificates_refused)
{
    struct agg_store s;
    char sub[300];
    snprintf(sub, sizeof(sub), "%s/bad", dir);
    CHECK_OK(agg_store_open(&s, sub));
    const char *h;
    json_t *c, *genesis = NULL;
    json_object_foreach(certs, h, c)
    {
        if (!*json_string_value(json_object_get(c, "previous_hash")))
            genesis = c;
    }
    CHECK(genesis);
    /* the genesis certificate with another epoch, its hash kept */
    json_t *t = json_deep_copy(genesis);
    json_object_set_new(t, "epoch",
                        json_integer(json_integer_value(json_object_get(t, "epoch")) + 1));
    char *j = dump(t);
    CHECK_ERR(agg_store_put_certificate(&s, j), MTL_ERR_INTEGRITY);
    CHECK(strstr(mtl_err_detail(), "hash does not match its content") != NULL);
    free(j);
    json_decref(t);
    char *got = NULL;
    CHECK_ERR(agg_store_get_genesis(&s, &got), MTL_ERR_NOT_FOUND);
    /* the genuine one is stored once */
    j = dump(genesis);
    CHECK_OK(agg_store_put_certificate(&s, j));
    CHECK_ERR(agg_store_put_certificate(&s, j), MTL_ERR_CONFLICT);
    CHECK(strstr(mtl_err_detail(), "already stored") != NULL);
    free(j);
    CHECK_OK(agg_store_get_genesis(&s, &got));
    CHECK(strstr(got, json_string_value(json_object_get(genesis, "hash"))) != NULL);
    mtl_free(got);
    agg_store_close(&s);
}

int main(void)
{
    REQUIRE_SHARED();
    mtl_init();
    char p[4096];
    snprintf(p, sizeof(p), "%s/reference-data/aggregator-fake-2026-05-21/certificates.json",
             th_shared_dir());
    certs = json_load_file(p, JSON_PRESERVE_ORDER, NULL);
    if (!certs) {
        printf("FAIL: cannot read %s\n", p);
        return 1;
    }
    snprintf(dir, sizeof(dir), "/tmp/test_aggregator_store.%ld", (long)getpid());
    if (mkdir(dir, 0700) != 0) {
        printf("FAIL: mkdir %s\n", dir);
        return 1;
    }
    RUN(reference_chain_stored_and_read_back);
    RUN(bad_certificates_refused);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        printf("note: could not remove %s\n", dir);
    json_decref(certs);
    return DONE();
}
