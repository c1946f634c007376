/* test_aggregator_certifier.c - the certifier in process, on a real store
 * and real STM signatures: more open messages than the old 8-slot table,
 * each keeping all its signatures and its quorum; the MAX_OPEN_MESSAGES
 * bound refusing one more (nothing stored for it, nothing evicted) until an
 * epoch ends; a party's second signature refused; after a restart the
 * stored signatures reloaded; a signature before its open message buffered
 * (202) and counted once it opens, a bad buffered one never. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aggregator_certifier.h"
#include "common/common_int.h"
#include "harness.h"

#define NSIGNERS 6
#define NMSG 12 /* open messages: more than the old fixed table's 8 */
#define MAXOPEN 10
#define KEY_EPOCH 4
#define EPOCH 5

static const struct mtl_stm_params P = {.m = 30, .k = 8, .phi_f = 0.9};
static struct mtl_stm_initializer *INIT[NSIGNERS];
static char PARTY[NSIGNERS][32];
static char DIR[256];

/* Signers of KEY_EPOCH registered in the store, loaded closed (NULL on
 * failure). */
static struct agg_signers *setup_signers(struct agg_store *s)
{
    mtl_err e = MTL_OK;
    for (size_t i = 0; e == MTL_OK && i < NSIGNERS; i++) {
        char *vk = NULL;
        int existing = 0;
        uint64_t stake = 1000 + 10 * i;
        snprintf(PARTY[i], sizeof(PARTY[i]), "pool-test-%zu", i);
        e = mtl_stm_initializer_new(&INIT[i], &P, stake, NULL);
        if (e == MTL_OK)
            e = mtl_stm_initializer_vk_jsonhex(INIT[i], &vk);
        json_t *j = json_pack("{s:s,s:s,s:I}", "party_id", PARTY[i], "verification_key",
                              vk ? vk : "", "stake", (json_int_t)stake);
        char *txt = json_dumps(j, JSON_COMPACT);
        if (e == MTL_OK)
            e = agg_store_put_registration(s, KEY_EPOCH, PARTY[i], vk, stake, txt, &existing);
        free(txt);
        json_decref(j);
        mtl_free(vk);
    }
    struct agg_signers *g = NULL;
    if (e == MTL_OK)
        e = agg_signers_load(s, KEY_EPOCH, &g);
    return e == MTL_OK ? g : NULL;
}

/* CardanoDatabase{EPOCH, n} with its own signed message, opened. */
static mtl_err open_message(struct agg *a, uint64_t n, struct agg_open_message *m)
{
    memset(m, 0, sizeof(*m));
    m->type.kind = MTL_SET_CARDANO_DATABASE;
    m->type.epoch = EPOCH;
    m->type.a = n;
    char *key = NULL;
    MTL_TRY(mtl_signed_entity_type_to_json(&m->type, &key));
    m->signed_entity = key; /* freed with m */
    for (size_t i = 0; i < 64; i++)
        m->signed_message[i] = "0123456789abcdef"[(n * 7 + i) % 16];
    m->protocol_message = mtl_strdup("{\"message_parts\":{}}");
    m->created_at_ns = agg_now_ns();
    return agg_store_open_message_create(&a->store, m);
}

/* Signer i's signature of m (NULL when it won no lottery). */
static char *sign(const struct agg_signers *g, size_t i, const struct agg_open_message *m)
{
    char *sig = NULL;
    size_t won = 0;
    if (mtl_stm_sign(INIT[i], g->closed, (const uint8_t *)m->signed_message, 64, &sig, &won) !=
        MTL_OK) {
        mtl_err_clear();
        return NULL;
    }
    return sig;
}

/* Signer i's signature handed as a request thread does. */
static mtl_err hand(struct agg *a, struct agg_signers *g, const struct agg_open_message *m,
                    size_t i, const char *sig)
{
    struct mtl_stm_sig *dec = NULL;
    MTL_TRY(mtl_stm_sig_decode_jsonhex(&dec, sig));
    return agg_certifier_register(a, m, g, &P, PARTY[i], sig, dec);
}

/* The first signer (from i) that wins a lottery for m: its signature. */
static char *first_signature(const struct agg_signers *g, const struct agg_open_message *m,
                             size_t *i)
{
    char *sig = NULL;
    while (*i < NSIGNERS && !(sig = sign(g, *i, m)))
        (*i)++;
    return sig;
}

static size_t stored(struct agg *a, const char *key)
{
    char **party = NULL, **sigs = NULL;
    size_t n = 0;
    if (agg_store_signatures(&a->store, key, &party, &sigs, &n) != MTL_OK)
        return (size_t)-1;
    agg_strv_free(party, n);
    agg_strv_free(sigs, n);
    return n;
}

/* Signers 0..upto-1 sign m and hand their signatures; how many did (-1 on
 * a refusal) and the distinct indexes they won. */
static long sign_all(struct agg *a, struct agg_signers *g, const struct agg_open_message *m,
                     size_t upto, uint64_t *unique)
{
    uint8_t seen[64] = {0};
    long n = 0;
    *unique = 0;
    for (size_t i = 0; i < upto && n >= 0; i++) {
        char *sig = sign(g, i, m);
        struct mtl_stm_sig *dec = NULL;
        size_t nidx = 0;
        if (!sig)
            continue;
        if (hand(a, g, m, i, sig) != MTL_OK || mtl_stm_sig_decode_jsonhex(&dec, sig) != MTL_OK)
            n = -1;
        const uint64_t *idx = dec ? mtl_stm_sig_indexes(dec, &nidx) : NULL;
        for (size_t j = 0; j < nidx; j++)
            if (!seen[idx[j]]++)
                (*unique)++;
        mtl_stm_sig_free(dec);
        mtl_free(sig);
        n += n >= 0;
    }
    return n;
}

static struct agg A;
static struct agg_signers *G;
static struct agg_open_message M[NMSG];

static int fixture(void)
{
    memset(&A, 0, sizeof(A));
    snprintf(DIR, sizeof(DIR), "/tmp/test_aggregator_certifier_%d", (int)getpid());
    A.cfg.max_open_messages = MAXOPEN;
    if (agg_store_open(&A.store, DIR) != MTL_OK || agg_runtime_init(&A) != MTL_OK ||
        !(G = setup_signers(&A.store)))
        return -1;
    for (size_t k = 0; k < NMSG; k++)
        if (open_message(&A, k + 1, &M[k]) != MTL_OK)
            return -1;
    return 0;
}

static void fixture_clear(void)
{
    for (size_t k = 0; k < NMSG; k++)
        agg_open_message_clear(&M[k]);
    for (size_t i = 0; i < NSIGNERS; i++)
        mtl_stm_initializer_free(INIT[i]);
    agg_signers_free(G);
    agg_runtime_destroy(&A);
    agg_store_close(&A.store);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", DIR);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", DIR);
}

TEST(more_than_eight_open_messages_and_the_bound)
{
    long want[NMSG];
    uint64_t unique[NMSG], u = 0;
    size_t count = 0;
    for (size_t k = 0; k < MAXOPEN; k++) {
        A.rt.wake = 0;
        want[k] = sign_all(&A, G, &M[k], NSIGNERS, &unique[k]);
        CHECK(want[k] > 0);
        /* the runtime is woken when the quorum is there */
        CHECK_EQ_INT(A.rt.wake, unique[k] >= P.k);
    }
    CHECK_EQ_INT(agg_certifier_open_count(A.certifier), MAXOPEN);
    /* All ten keep every signature and their won indexes (the old table
     * held eight and dropped the oldest silently). */
    for (size_t k = 0; k < MAXOPEN; k++) {
        agg_certifier_held(A.certifier, M[k].signed_entity, &count, &u);
        CHECK_EQ_INT(count, want[k]);
        CHECK_EQ_INT(u, unique[k]);
        CHECK_EQ_INT(stored(&A, M[k].signed_entity), want[k]);
    }
    /* One more is refused, naming the bound; nothing stored for it. */
    size_t who = 0;
    char *sig = first_signature(G, &M[MAXOPEN], &who);
    CHECK(sig);
    CHECK_ERR(hand(&A, G, &M[MAXOPEN], who, sig), MTL_ERR_TOO_BIG);
    CHECK(strstr(mtl_err_detail(), "MAX_OPEN_MESSAGES"));
    CHECK_EQ_INT(stored(&A, M[MAXOPEN].signed_entity), 0);
    CHECK_EQ_INT(agg_certifier_open_count(A.certifier), MAXOPEN);
    /* A party's second signature of a message is refused, count unchanged. */
    size_t w = 0;
    char *again = first_signature(G, &M[0], &w);
    CHECK(again);
    CHECK_ERR(hand(&A, G, &M[0], w, again), MTL_ERR_CONFLICT);
    mtl_free(again);
    agg_certifier_held(A.certifier, M[0].signed_entity, &count, &u);
    CHECK_EQ_INT(count, want[0]);
    /* The epoch ends: its messages go, which makes room. */
    agg_certifier_expire(A.certifier, EPOCH + 1);
    CHECK_EQ_INT(agg_certifier_open_count(A.certifier), 0);
    CHECK_OK(hand(&A, G, &M[MAXOPEN], who, sig));
    CHECK_EQ_INT(agg_certifier_open_count(A.certifier), 1);
    mtl_free(sig);
}

TEST(restart_reloads_stored_signatures)
{
    const struct agg_open_message *m = &M[NMSG - 1];
    size_t winners[NSIGNERS], n = 0;
    for (size_t i = 0; i < NSIGNERS; i++) {
        char *sig = sign(G, i, m);
        if (sig)
            winners[n++] = i;
        mtl_free(sig);
    }
    CHECK(n >= 2);
    uint64_t unique_all = 0, u = 0;
    size_t count = 0;
    CHECK_EQ_INT(sign_all(&A, G, m, NSIGNERS, &unique_all), n);
    /* A new certifier (the process restarted) holds nothing until the
     * message's next signature: then all of the stored ones. */
    agg_certifier_free(A.certifier);
    CHECK_OK(agg_certifier_new(&A.certifier, MAXOPEN, NULL, NULL));
    CHECK_EQ_INT(agg_certifier_open_count(A.certifier), 0);
    char *sig = sign(G, winners[n - 1], m);
    CHECK(sig);
    /* that signer's is stored already: refused, yet the rest reloaded */
    CHECK_ERR(hand(&A, G, m, winners[n - 1], sig), MTL_ERR_CONFLICT);
    mtl_free(sig);
    agg_certifier_held(A.certifier, m->signed_entity, &count, &u);
    CHECK_EQ_INT(count, n);
    CHECK_EQ_INT(u, unique_all);
}

/* The register-signatures body of signer i's signature of entity `key`
 * over `msg` (claimed as its signed_message); NULL when no lottery won. */
static char *signature_body(const struct agg_signers *g, size_t i, const char *key,
                            const char *msg)
{
    char *sig = NULL;
    size_t won = 0, n = 0;
    struct mtl_stm_sig *dec = NULL;
    if (mtl_stm_sign(INIT[i], g->closed, (const uint8_t *)msg, 64, &sig, &won) != MTL_OK ||
        mtl_stm_sig_decode_jsonhex(&dec, sig) != MTL_OK) {
        mtl_free(sig);
        mtl_err_clear();
        return NULL;
    }
    const uint64_t *idx = mtl_stm_sig_indexes(dec, &n);
    json_t *ix = json_array();
    for (size_t j = 0; j < n; j++)
        json_array_append_new(ix, json_integer((json_int_t)idx[j]));
    json_t *j = json_pack("{s:o,s:s,s:s,s:o,s:s}", "entity_type", json_loads(key, 0, NULL),
                          "party_id", PARTY[i], "signature", sig, "indexes", ix,
                          "signed_message", msg);
    char *body = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    mtl_stm_sig_free(dec);
    mtl_free(sig);
    return body;
}

static int post_signature(const char *body)
{
    struct app_http_response r;
    memset(&r, 0, sizeof(r));
    agg_register_signatures(&A, body, strlen(body), &r);
    mtl_free(r.body);
    return r.status;
}

/* A signature for a message not open yet is buffered (202, nothing held or
 * stored), then verified and counted when the message opens; one that
 * verified against the message it claimed but not against the one that
 * opens never counts; garbage is refused on arrival. */
TEST(signature_before_open_buffered_then_counted)
{
    struct agg_open_message m;
    memset(&m, 0, sizeof(m));
    m.type = (struct mtl_signed_entity_type){.kind = MTL_SET_CARDANO_DATABASE, .epoch = EPOCH,
                                             .a = 100};
    char *key = NULL;
    CHECK_OK(mtl_signed_entity_type_to_json(&m.type, &key));
    m.signed_entity = mtl_strdup(key);
    for (size_t i = 0; i < 64; i++)
        m.signed_message[i] = "fedcba9876543210"[(i * 5) % 16];
    static const char OTHER[] = "00000000000000000000000000000000000000000000000000000000000000ff";
    /* the runtime's current signers and epoch, as the HTTP threads see them */
    pthread_mutex_lock(&A.rt.mu);
    A.rt.current = G;
    G->refs = 1;
    A.rt.params = P;
    A.rt.epoch = EPOCH;
    A.rt.have_epoch = 1;
    pthread_mutex_unlock(&A.rt.mu);
    size_t winners[NSIGNERS], nw = 0, bad = NSIGNERS;
    for (size_t i = 0; i < NSIGNERS; i++) {
        char *body = signature_body(G, i, key, m.signed_message);
        if (body)
            winners[nw++] = i;
        free(body);
    }
    CHECK(nw >= 3);
    /* the last winner sends one over another message (valid for that one) */
    char *bad_body = NULL;
    for (size_t i = nw; i-- > 0 && !bad_body;)
        if ((bad_body = signature_body(G, winners[i], key, OTHER)))
            bad = winners[i];
    CHECK(bad_body);
    CHECK_EQ_INT(post_signature(bad_body), 202);
    uint8_t seen[64] = {0};
    uint64_t unique = 0;
    size_t good = 0;
    for (size_t w = 0; w < nw; w++) {
        if (winners[w] == bad)
            continue;
        char *body = signature_body(G, winners[w], key, m.signed_message);
        CHECK_EQ_INT(post_signature(body), 202);
        json_t *j = json_loads(body, 0, NULL), *v;
        size_t x;
        json_array_foreach(json_object_get(j, "indexes"), x, v) if (!seen[json_integer_value(v)]++)
            unique++;
        json_decref(j);
        free(body);
        good++;
    }
    CHECK(post_signature("{\"entity_type\":{\"CardanoDatabase\":{\"epoch\":5,"
                         "\"immutable_file_number\":100}},\"party_id\":\"pool-test-0\","
                         "\"signature\":\"7b7d\",\"indexes\":[],\"signed_message\":\"00\"}") ==
          400);
    CHECK_EQ_INT(agg_certifier_buffered(A.certifier), good + 1);
    size_t count = 0;
    uint64_t u = 0;
    agg_certifier_held(A.certifier, key, &count, &u);
    CHECK_EQ_INT(count, 0);
    CHECK_EQ_INT(stored(&A, key), 0);
    /* not open yet: a tick keeps them */
    agg_certifier_drain(&A, G, &P, EPOCH);
    CHECK_EQ_INT(agg_certifier_buffered(A.certifier), good + 1);
    /* it opens: verified against it, the good ones count, the bad one never */
    m.protocol_message = mtl_strdup("{\"message_parts\":{}}");
    m.created_at_ns = agg_now_ns();
    CHECK_OK(agg_store_open_message_create(&A.store, &m));
    agg_certifier_drain(&A, G, &P, EPOCH);
    CHECK_EQ_INT(agg_certifier_buffered(A.certifier), 0);
    agg_certifier_held(A.certifier, key, &count, &u);
    CHECK_EQ_INT(count, good);
    CHECK_EQ_INT(u, unique);
    CHECK_EQ_INT(stored(&A, key), good);
    /* posted again now: registered (201), counted once */
    char *again = signature_body(G, winners[0] == bad ? winners[1] : winners[0], key,
                                 m.signed_message);
    CHECK_EQ_INT(post_signature(again), 201);
    agg_certifier_held(A.certifier, key, &count, &u);
    CHECK_EQ_INT(count, good);
    free(again);
    free(bad_body);
    pthread_mutex_lock(&A.rt.mu);
    A.rt.current = NULL;
    pthread_mutex_unlock(&A.rt.mu);
    agg_open_message_clear(&m);
    mtl_free(key);
}

int main(void)
{
    if (mtl_init() != MTL_OK || fixture() != 0) {
        fprintf(stderr, "setup failed: %s\n", mtl_err_detail());
        return 1;
    }
    RUN(more_than_eight_open_messages_and_the_bound);
    RUN(restart_reloads_stored_signatures);
    RUN(signature_before_open_buffered_then_counted);
    fixture_clear();
    return DONE();
}
