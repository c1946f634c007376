/* test_stm_golden.c - what we produce, byte for byte against the golden
 * values of the reference's own tests (mithril-stm, `mod golden*`): key and
 * proof of possession from a seed, a BLS signature, the Merkle commitment,
 * the AVK, two single signatures (sigma and won indexes) and their
 * aggregate. The reference seeds its keys from ChaCha20Rng::from_seed([0; 32]):
 * each BlsSigningKey::generate takes the next 32 bytes of that stream as the
 * IKM of blst's key_gen; that stream is the ChaCha20 keystream under the
 * zero key and zero 64-bit nonce (libsodium's crypto_stream_chacha20), so
 * our initializer, fed those bytes as its seed, must land on the same keys. */
#include <jansson.h>
#include <sodium.h>

#include "harness.h"
#include "stm/stm_int.h"

/* signature_scheme/bls_multi_signature/signing_key.rs, mod golden. */
static const uint8_t golden_sk[32] = {64,  129, 87,  121, 27,  239, 221, 215, 2,   103, 45,
                                      207, 207, 201, 157, 163, 81,  47,  156, 14,  168, 24,
                                      137, 15,  203, 106, 183, 73,  88,  14,  242, 207};
/* verification_key.rs mod golden (vk); proof_of_possession.rs mod golden. */
static const char golden_vk_pop_json[] =
    "{\"vk\":[143,161,255,48,78,57,204,220,25,221,164,252,248,14,56,126,186,135,228,188,145,181,"
    "52,200,97,99,213,46,0,199,193,89,187,88,29,135,173,244,86,36,83,54,67,164,6,137,94,72,6,105,"
    "128,128,93,48,176,11,4,246,138,48,180,133,90,142,192,24,193,111,142,31,76,111,110,234,153,90,"
    "208,192,31,124,95,102,49,158,99,52,220,165,94,251,68,69,121,16,224,194],"
    "\"pop\":[168,50,233,193,15,136,65,72,123,148,129,176,38,198,209,47,28,204,176,144,57,251,42,"
    "28,66,76,89,97,158,63,54,198,194,176,135,221,14,185,197,225,202,98,243,74,233,225,143,151,"
    "147,177,170,117,66,165,66,62,33,216,232,75,68,114,195,22,100,65,44,198,4,166,102,233,253,240,"
    "59,175,60,117,142,114,140,122,17,87,110,187,1,17,10,195,154,13,249,86,54,226]}";
/* bls_multi_signature/signature.rs mod golden: sk.sign(&[0u8; 32]). */
static const uint8_t golden_bls_sig[48] = {
    132, 95,  124, 197, 185, 105, 193, 171, 114, 182, 52,  171, 205, 119, 202, 188,
    2,   213, 61,  125, 219, 242, 10,  131, 53,  219, 53,  197, 157, 42,  152, 194,
    234, 161, 244, 204, 2,   134, 47,  179, 176, 49,  200, 232, 120, 241, 180, 246};
/* proof_system/concatenation/aggregate_key.rs mod golden_json: two parties of
 * stake 1 (the first two keys of the stream), m=10 k=5 phi_f=0.8. */
static const char golden_avk_json[] =
    "{\"mt_commitment\":{\"root\":[56,37,95,107,157,98,252,194,190,204,170,26,224,10,212,7,214,89,"
    "116,196,217,122,111,56,113,253,96,45,170,121,235,159],\"nr_leaves\":2,\"hasher\":null},"
    "\"total_stake\":2}";
/* proof_system/concatenation/proof.rs mod golden_cbor: the aggregate of those
 * two parties' signatures of [0u8; 16], its nested CBOR decoded into our
 * JSON form (single_signature/signature.rs golden_json has the first sigma). */
static const char golden_multisig_json[] =
    "{\"signatures\":[[{\"sigma\":[149,157,201,187,140,54,0,128,209,88,16,203,61,78,77,98,161,133,"
    "58,152,29,74,217,113,64,100,10,161,186,167,133,114,211,153,218,56,223,84,105,242,41,54,224,"
    "170,208,185,126,83],\"indexes\":[1,4,5,8],\"signer_index\":0},[[143,161,255,48,78,57,204,220,"
    "25,221,164,252,248,14,56,126,186,135,228,188,145,181,52,200,97,99,213,46,0,199,193,89,187,88,"
    "29,135,173,244,86,36,83,54,67,164,6,137,94,72,6,105,128,128,93,48,176,11,4,246,138,48,180,133,"
    "90,142,192,24,193,111,142,31,76,111,110,234,153,90,208,192,31,124,95,102,49,158,99,52,220,165,"
    "94,251,68,69,121,16,224,194],1]],[{\"sigma\":[149,169,22,201,216,97,163,188,115,210,217,236,"
    "233,161,201,13,42,132,12,63,5,31,120,22,78,177,125,134,208,205,73,58,247,141,59,62,187,81,213,"
    "30,153,218,41,42,110,156,161,205],\"indexes\":[0,3,6],\"signer_index\":1},[[145,56,175,32,122,"
    "187,214,226,251,148,88,9,1,103,159,146,80,166,107,243,251,236,41,28,111,128,207,164,132,147,"
    "228,83,246,228,170,68,89,78,60,28,123,130,88,234,38,97,42,65,1,100,53,18,78,131,8,61,122,131,"
    "238,84,233,223,154,118,118,73,28,27,101,78,80,233,123,206,220,174,134,205,71,110,112,180,97,"
    "98,0,113,69,145,231,168,43,173,172,56,104,208],1]]],"
    "\"batch_proof\":{\"values\":[],\"indices\":[0,1],\"hasher\":null}}";
/* protocol/key_registration/register.rs mod golden_concatenation: parties of
 * stake 0, 1, 2, 3 (Initializer::new, the next key of the stream each). */
static const uint8_t golden_reg4_root[32] = {4,  3,  108, 183, 145, 65, 166, 69,  250, 202, 51,
                                             64, 90, 232, 45,  103, 56, 138, 102, 63,  209, 245,
                                             81, 22, 120, 16,  6,   96, 140, 204, 210, 55};
/* membership_commitment/merkle_tree/tree.rs mod golden and path.rs
 * golden_cbor_batch_path: 4 leaves (default key = the point at infinity,
 * stake i); the root, and the batch path of leaves 0 and 2. */
static const uint8_t golden_tree4_root[32] = {178, 30,  231, 127, 65,  247, 162, 149, 33,  29,  147,
                                              148, 224, 156, 96,  113, 140, 42,  98,  166, 137, 14,
                                              69,  29,  28,  244, 161, 145, 207, 146, 236, 249};
static const uint8_t golden_path02[2][32] = {
    {57,  20, 139, 83, 194, 218, 202, 66, 139, 49,  144, 148, 132, 6,   2,  97,
     112, 38, 29,  60, 139, 233, 189, 95, 168, 204, 84,  33,  201, 140, 23, 22},
    {128, 78,  52,  132, 35,  118, 64,  83,  60,  38, 181, 197, 144, 188, 235, 225,
     2,   223, 135, 104, 193, 226, 148, 170, 114, 26, 173, 161, 34,  70,  241, 90}};

/* The i-th 32-byte IKM of ChaCha20Rng::from_seed([0; 32]). */
static void rng_ikm(uint8_t ikm[32], unsigned i)
{
    static const uint8_t key[32], nonce[8];
    uint8_t stream[32 * 8];
    crypto_stream_chacha20(stream, sizeof(stream), nonce, key);
    memcpy(ikm, stream + 32 * i, 32);
}

/* Decode JSON-hex and compare with a JSON text, order of keys included. */
static int same_json(const char *jsonhex, const char *want)
{
    char *text;
    size_t len;
    if (mtl_jsonhex_decode(&text, &len, jsonhex) != MTL_OK)
        return 0;
    json_t *a = json_loads(text, 0, NULL), *b = json_loads(want, 0, NULL);
    char *ta = a ? json_dumps(a, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    char *tb = b ? json_dumps(b, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    int same = ta && tb && strcmp(ta, tb) == 0;
    if (!same)
        fprintf(stderr, "got  %s\nwant %s\n", ta ? ta : text, tb ? tb : want);
    free(ta);
    free(tb);
    json_decref(a);
    json_decref(b);
    mtl_free(text);
    return same;
}

TEST(key_and_pop_from_seed)
{
    struct mtl_stm_params p = {.m = 20973, .k = 2422, .phi_f = 0.2};
    struct mtl_stm_initializer *init;
    uint8_t ikm[32], *exp;
    size_t explen;
    char *vk;
    rng_ikm(ikm, 0);
    CHECK_OK(mtl_stm_initializer_new(&init, &p, 1, ikm));
    CHECK_OK(mtl_stm_initializer_export(init, &exp, &explen));
    /* the export ends with the secret key, big-endian as blst's to_bytes */
    CHECK_MEM(exp + explen - 32, golden_sk, 32);
    mtl_stm_secret_free(exp, explen);
    CHECK_OK(mtl_stm_initializer_vk_jsonhex(init, &vk));
    CHECK(same_json(vk, golden_vk_pop_json));
    mtl_free(vk);
    mtl_stm_initializer_free(init);
}

TEST(bls_signature)
{
    blst_scalar sk;
    struct stm_sig sig;
    const uint8_t msg[32] = {0};
    blst_scalar_from_bendian(&sk, golden_sk);
    stm_bls_sign(&sig, &sk, msg, sizeof(msg));
    CHECK_MEM(sig.bytes, golden_bls_sig, 48);
    mtl_memzero(&sk, sizeof(sk));
}

/* Register n parties with the stream's next keys and the given stakes. */
static mtl_err registration(struct mtl_stm_closed_reg **closed, struct mtl_stm_initializer **inits,
                            const struct mtl_stm_params *p, const uint64_t *stakes, size_t n)
{
    struct mtl_stm_keyreg *reg;
    MTL_TRY(mtl_stm_keyreg_new(&reg));
    mtl_err rc = MTL_OK;
    for (size_t i = 0; i < n && rc == MTL_OK; i++) {
        uint8_t ikm[32];
        char *vk = NULL;
        rng_ikm(ikm, (unsigned)i);
        rc = mtl_stm_initializer_new(&inits[i], p, stakes[i], ikm);
        if (rc == MTL_OK)
            rc = mtl_stm_initializer_vk_jsonhex(inits[i], &vk);
        if (rc == MTL_OK)
            rc = mtl_stm_keyreg_register_jsonhex(reg, stakes[i], vk);
        mtl_free(vk);
    }
    if (rc == MTL_OK)
        rc = mtl_stm_keyreg_close(reg, closed);
    mtl_stm_keyreg_free(reg);
    return rc;
}

TEST(registration_root_of_four)
{
    struct mtl_stm_params p = {.m = 10, .k = 5, .phi_f = 0.8};
    const uint64_t stakes[4] = {0, 1, 2, 3};
    struct mtl_stm_initializer *inits[4] = {0};
    struct mtl_stm_closed_reg *closed = NULL;
    CHECK_OK(registration(&closed, inits, &p, stakes, 4));
    CHECK_EQ_INT(closed->tree.n, 4);
    CHECK_MEM(closed->tree.nodes[0], golden_reg4_root, 32);
    mtl_stm_closed_reg_free(closed);
    for (size_t i = 0; i < 4; i++)
        mtl_stm_initializer_free(inits[i]);
}

TEST(merkle_root_and_batch_path)
{
    uint8_t infinity[MTL_STM_VK_BYTES] = {0xc0}, leaves[4][32];
    for (uint64_t i = 0; i < 4; i++)
        stm_hash_leaf(leaves[i], infinity, i);
    struct stm_tree t;
    CHECK_OK(stm_tree_build(&t, leaves, 4));
    CHECK_MEM(t.nodes[0], golden_tree4_root, 32);
    const uint64_t idx[2] = {0, 2};
    uint8_t(*values)[32] = NULL;
    size_t nvalues = 0;
    mtl_err rc = stm_tree_batch_path(&t, idx, 2, &values, &nvalues);
    stm_tree_free(&t);
    CHECK_OK(rc);
    CHECK_EQ_INT(nvalues, 2);
    CHECK_MEM(values[0], golden_path02[0], 32);
    CHECK_MEM(values[1], golden_path02[1], 32);
    uint8_t picked[2][32];
    memcpy(picked[0], leaves[0], 32);
    memcpy(picked[1], leaves[2], 32);
    CHECK_OK(stm_batch_path_verify(golden_tree4_root, 4, picked, idx, 2, values, nvalues));
    mtl_free(values);
}

TEST(single_signatures_avk_and_aggregate)
{
    struct mtl_stm_params p = {.m = 10, .k = 5, .phi_f = 0.8};
    const uint64_t stakes[2] = {1, 1};
    struct mtl_stm_initializer *inits[2] = {0};
    struct mtl_stm_closed_reg *closed = NULL;
    const uint8_t msg[16] = {0};
    char *avk = NULL, *sigs[2] = {0}, *ms = NULL;
    CHECK_OK(registration(&closed, inits, &p, stakes, 2));
    CHECK_OK(mtl_stm_closed_reg_avk_jsonhex(closed, &avk));
    CHECK(same_json(avk, golden_avk_json));
    for (size_t i = 0; i < 2; i++)
        CHECK_OK(mtl_stm_sign(inits[i], closed, msg, sizeof(msg), &sigs[i], NULL));
    CHECK_OK(
        mtl_stm_aggregate_jsonhex(closed, &p, (const char *const *)sigs, 2, msg, sizeof(msg), &ms));
    /* the whole aggregate: both sigmas, their indexes, keys, stakes, proof */
    CHECK(same_json(ms, golden_multisig_json));
    CHECK_OK(mtl_stm_verify_multisig_jsonhex(ms, avk, msg, sizeof(msg), &p));
    mtl_free(ms);
    mtl_free(avk);
    for (size_t i = 0; i < 2; i++) {
        mtl_free(sigs[i]);
        mtl_stm_initializer_free(inits[i]);
    }
    mtl_stm_closed_reg_free(closed);
}

/* The reference's aggregate, re-encoded from its golden bytes, verifies with
 * our verifier, and stops verifying once any one byte of a sigma changes. */
TEST(reference_aggregate_verifies)
{
    struct mtl_stm_params p = {.m = 10, .k = 5, .phi_f = 0.8};
    const uint8_t msg[16] = {0};
    char *ms, *avk;
    CHECK_OK(mtl_jsonhex_encode(&ms, golden_multisig_json, strlen(golden_multisig_json)));
    CHECK_OK(mtl_jsonhex_encode(&avk, golden_avk_json, strlen(golden_avk_json)));
    CHECK_OK(mtl_stm_verify_multisig_jsonhex(ms, avk, msg, sizeof(msg), &p));
    const uint8_t other[16] = {1};
    CHECK_ERR(mtl_stm_verify_multisig_jsonhex(ms, avk, other, sizeof(other), &p),
              MTL_ERR_VERIFY_FAIL);
    mtl_free(ms);
    mtl_free(avk);
}

/* The golden aggregate as JSON, its signatures array, and a verifier call on
 * an edited copy. */
static mtl_err verify_edited(json_t *ms, const struct mtl_stm_params *p)
{
    const uint8_t msg[16] = {0};
    char *text = json_dumps(ms, JSON_COMPACT | JSON_PRESERVE_ORDER), *hex = NULL, *avk = NULL;
    mtl_err rc = text ? mtl_jsonhex_encode(&hex, text, strlen(text)) : MTL_ERR_NOMEM;
    free(text);
    if (rc == MTL_OK)
        rc = mtl_jsonhex_encode(&avk, golden_avk_json, strlen(golden_avk_json));
    if (rc == MTL_OK)
        rc = mtl_stm_verify_multisig_jsonhex(hex, avk, msg, sizeof(msg), p);
    mtl_free(hex);
    mtl_free(avk);
    return rc;
}

/* verify_edited on ms (freed here) must give MTL_ERR_VERIFY_FAIL naming why. */
static void refused(json_t *ms, const struct mtl_stm_params *p, const char *why)
{
    mtl_err rc = verify_edited(ms, p);
    int named = strstr(mtl_err_detail(), why) != NULL;
    json_decref(ms);
    CHECK_ERR(rc, MTL_ERR_VERIFY_FAIL);
    if (!named)
        TH_FAIL("refused, but not for \"%s\": %s", why, mtl_err_detail());
}

static json_t *golden_sig(json_t *ms, size_t i)
{
    return json_array_get(json_array_get(json_object_get(ms, "signatures"), i), 0);
}

/* msg || AVK root of the golden setting, what its signatures sign. */
static uint8_t *golden_msgp(void)
{
    const uint8_t msg[16] = {0};
    uint8_t root[32];
    json_t *a = json_loads(golden_avk_json, 0, NULL);
    mtl_err rc = stm_json_bytes(
        root, 32, json_object_get(json_object_get(a, "mt_commitment"), "root"), "root");
    json_decref(a);
    return rc == MTL_OK ? stm_msgp(msg, sizeof(msg), root) : NULL;
}

/* Indexes in [from, to) that sigma wins for `stake` of 2, skipping `taken`. */
static json_t *wins(const uint8_t *msgp, const uint8_t sigma[48], uint64_t stake, uint64_t from,
                    uint64_t to, const json_t *taken)
{
    json_t *out = json_array();
    for (uint64_t j = from; j < to; j++) {
        uint8_t ev[64];
        int used = 0;
        size_t t;
        json_t *v;
        json_array_foreach(taken, t, v) used |= (uint64_t)json_integer_value(v) == j;
        stm_dense_mapping(ev, msgp, 16 + 32, j, sigma);
        if (!used && mtl_stm_lottery_won(0.8, ev, stake, 2))
            json_array_append_new(out, json_integer((json_int_t)j));
    }
    return out;
}

/* An index counted twice inside one signature: with k = 8 the golden
 * aggregate (7 distinct indexes) is short by one; repeating index 1 of the
 * first signature (won, so the lottery passes) must not make up for it. */
TEST(repeated_index_does_not_count)
{
    struct mtl_stm_params p = {.m = 10, .k = 8, .phi_f = 0.8};
    json_t *ms = json_loads(golden_multisig_json, 0, NULL);
    CHECK(ms);
    json_array_insert_new(json_object_get(golden_sig(ms, 0), "indexes"), 0, json_integer(1));
    refused(ms, &p, "used twice");
}

/* Without any secret key: take arbitrary G1 points as sigmas, keep the
 * indexes they win for the two registered parties. Every check but the BLS
 * signature passes (keys and proof are the registered ones). */
TEST(sigmas_without_keys_are_refused)
{
    struct mtl_stm_params p = {.m = 10, .k = 5, .phi_f = 0.8};
    json_t *ms = json_loads(golden_multisig_json, 0, NULL), *taken = json_array();
    uint8_t *msgp = golden_msgp();
    CHECK(ms && taken && msgp);
    size_t total = 0;
    for (size_t i = 0; i < 2; i++) {
        uint8_t ikm[32] = {0x5a, (uint8_t)i}, sigma[48];
        blst_scalar s;
        blst_p1 pt;
        stm_bls_keygen(&s, ikm);
        blst_sk_to_pk_in_g1(&pt, &s);
        blst_p1_compress(sigma, &pt);
        json_t *won = wins(msgp, sigma, 1, 0, p.m, taken);
        total += json_array_size(won);
        json_array_extend(taken, won);
        json_object_set_new(golden_sig(ms, i), "sigma", stm_json_from_bytes(sigma, 48));
        json_object_set_new(golden_sig(ms, i), "indexes", won);
    }
    mtl_free(msgp);
    json_decref(taken);
    mtl_err rc = total >= p.k ? verify_edited(ms, &p) : MTL_ERR_INTERNAL;
    json_decref(ms);
    CHECK(total >= p.k); /* else pick other points: the lottery must be met */
    CHECK_ERR(rc, MTL_ERR_VERIFY_FAIL);
}

/* A third signer outside the registration (its own key, claiming all the
 * stake) appended to the golden aggregate, the batch proof left covering
 * the two registered parties: its key is proven nowhere, so refused. */
TEST(signer_outside_the_proof_is_refused)
{
    struct mtl_stm_params p = {.m = 12, .k = 9, .phi_f = 0.8};
    json_t *ms = json_loads(golden_multisig_json, 0, NULL);
    uint8_t *msgp = golden_msgp();
    CHECK(ms && msgp);
    uint8_t ikm[32] = {0x77};
    blst_scalar sk;
    struct stm_vk vk;
    struct stm_sig sig;
    stm_bls_keygen(&sk, ikm);
    stm_bls_sk_to_vk(&vk, &sk);
    stm_bls_sign(&sig, &sk, msgp, 16 + 32);
    mtl_memzero(&sk, sizeof(sk));
    json_t *taken = json_array();
    json_array_extend(taken, json_object_get(golden_sig(ms, 0), "indexes"));
    json_array_extend(taken, json_object_get(golden_sig(ms, 1), "indexes"));
    json_t *won = wins(msgp, sig.bytes, 2, 0, p.m, taken);
    mtl_free(msgp);
    size_t total = json_array_size(taken) + json_array_size(won);
    json_decref(taken);
    json_t *s3 = json_pack("{s:o,s:o,s:i}", "sigma", stm_json_from_bytes(sig.bytes, 48), "indexes",
                           won, "signer_index", 2);
    json_array_append_new(json_object_get(ms, "signatures"),
                          json_pack("[o,[o,i]]", s3, stm_json_from_bytes(vk.bytes, 96), 2));
    if (total < p.k) /* the quorum must be met, with the outsider */
        json_decref(ms);
    CHECK(total >= p.k);
    refused(ms, &p, "batch proof");
}

/* A batch proof whose indices are not in increasing order is refused by
 * name (the path walk assumes sorted leaves). */
TEST(unsorted_batch_proof_is_refused)
{
    struct mtl_stm_params p = {.m = 10, .k = 5, .phi_f = 0.8};
    json_t *ms = json_loads(golden_multisig_json, 0, NULL);
    CHECK(ms);
    json_t *all = json_object_get(ms, "signatures");
    json_t *first = json_incref(json_array_get(all, 0));
    json_array_remove(all, 0);
    json_array_append_new(all, first);
    json_object_set_new(json_object_get(ms, "batch_proof"), "indices", json_pack("[i,i]", 1, 0));
    refused(ms, &p, "not sorted");
}

/* Index bound: the reference refuses an index above m (index m itself
 * passes: its check is `index > m`). An index past m that wins the lottery
 * for the first golden signature, added to it, must be refused: else a
 * signer could search indexes past m for wins and reach the quorum alone. */
TEST(index_beyond_m_is_refused)
{
    struct mtl_stm_params p = {.m = 10, .k = 5, .phi_f = 0.8};
    json_t *ms = json_loads(golden_multisig_json, 0, NULL);
    uint8_t *msgp = golden_msgp(), sigma[48];
    CHECK(ms && msgp);
    mtl_err rc = stm_json_bytes(sigma, 48, json_object_get(golden_sig(ms, 0), "sigma"), "sigma");
    json_t *won = rc == MTL_OK ? wins(msgp, sigma, 1, p.m + 1, p.m + 100, NULL) : NULL;
    mtl_free(msgp);
    json_t *beyond = json_array_get(won, 0);
    if (beyond)
        json_array_append(json_object_get(golden_sig(ms, 0), "indexes"), beyond);
    json_decref(won);
    if (!beyond)
        json_decref(ms);
    CHECK(beyond);
    refused(ms, &p, "out of bound");
}

int main(void)
{
    mtl_init();
    RUN(key_and_pop_from_seed);
    RUN(bls_signature);
    RUN(registration_root_of_four);
    RUN(merkle_root_and_batch_path);
    RUN(single_signatures_avk_and_aggregate);
    RUN(reference_aggregate_verifies);
    RUN(repeated_index_does_not_count);
    RUN(sigmas_without_keys_are_refused);
    RUN(signer_outside_the_proof_is_refused);
    RUN(unsorted_batch_proof_is_refused);
    RUN(index_beyond_m_is_refused);
    return DONE();
}
