/* test_stm_typed.c - the typed forms of the STM wire values: a signature
 * signed typed encodes to exactly mtl_stm_sign's JSON-hex and decodes back
 * to the same signer index, indexes and text; a vk+PoP decoded once gives the
 * initializer's key and registers into the same closed registration (same
 * AVK) as its JSON-hex; malformed keys (not hex, not JSON, a missing or
 * short member, a point off the curve, another key's PoP) are refused with
 * the reason. */
#include "harness.h"
#include "mithril/stm.h"
#include "mithril/util.h"

#define N 5
static const struct mtl_stm_params P = {.m = 20, .k = 4, .phi_f = 0.9};
static const char MSG[] = "aa5f3ed1c3b6f4d0a1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4";
static struct mtl_stm_initializer *INIT[N];
static char *VK[N];

static int setup(void)
{
    for (size_t i = 0; i < N; i++) {
        uint8_t seed[32] = {(uint8_t)i, 42};
        if (mtl_stm_initializer_new(&INIT[i], &P, 100 + i, seed) != MTL_OK ||
            mtl_stm_initializer_vk_jsonhex(INIT[i], &VK[i]) != MTL_OK)
            return -1;
    }
    return 0;
}

/* Hex of a JSON text (the JSON-hex wire form). */
static char *jsonhex(const char *json)
{
    size_t n = strlen(json);
    char *hex = malloc(2 * n + 1);
    for (size_t i = 0; hex && i < n; i++)
        snprintf(hex + 2 * i, 3, "%02x", (unsigned char)json[i]);
    return hex;
}

TEST(typed_signature_is_the_wire_signature)
{
    struct mtl_stm_keyreg *reg = NULL;
    struct mtl_stm_closed_reg *closed = NULL;
    CHECK_OK(mtl_stm_keyreg_new(&reg));
    for (size_t i = 0; i < N; i++)
        CHECK_OK(mtl_stm_keyreg_register_jsonhex(reg, 100 + i, VK[i]));
    CHECK_OK(mtl_stm_keyreg_close(reg, &closed));
    size_t signed_n = 0;
    for (size_t i = 0; i < N; i++) {
        struct mtl_stm_sig *sig = NULL, *back = NULL;
        char *text = NULL, *enc = NULL, *enc2 = NULL;
        size_t won = 0, n = 0, n2 = 0;
        mtl_err e = mtl_stm_sign(INIT[i], closed, (const uint8_t *)MSG, 64, &text, &won);
        mtl_err e2 = mtl_stm_sign_sig(INIT[i], closed, (const uint8_t *)MSG, 64, &sig);
        CHECK_EQ_INT(e2, e);
        if (e == MTL_ERR_INELIGIBLE) {
            CHECK(sig == NULL);
            continue;
        }
        CHECK_OK(e);
        signed_n++;
        CHECK_OK(mtl_stm_sig_encode_jsonhex(sig, &enc));
        CHECK_EQ_STR(enc, text); /* byte for byte the wire form */
        mtl_stm_sig_indexes(sig, &n);
        CHECK_EQ_INT(n, won);
        CHECK_OK(mtl_stm_single_sig_verify_jsonhex(closed, &P, enc, (const uint8_t *)MSG, 64));
        CHECK_OK(mtl_stm_sig_decode_jsonhex(&back, enc));
        CHECK_EQ_INT(mtl_stm_sig_signer_index(back), mtl_stm_sig_signer_index(sig));
        const uint64_t *a = mtl_stm_sig_indexes(sig, &n), *b = mtl_stm_sig_indexes(back, &n2);
        CHECK_EQ_INT(n2, n);
        CHECK(memcmp(a, b, n * sizeof(uint64_t)) == 0);
        CHECK_OK(mtl_stm_sig_encode_jsonhex(back, &enc2));
        CHECK_EQ_STR(enc2, text);
        mtl_free(text);
        mtl_free(enc);
        mtl_free(enc2);
        mtl_stm_sig_free(sig);
        mtl_stm_sig_free(back);
    }
    CHECK(signed_n > 0);
    /* a key not in the registration cannot sign in it */
    struct mtl_stm_initializer *stranger = NULL;
    struct mtl_stm_sig *none = NULL;
    CHECK_OK(mtl_stm_initializer_new(&stranger, &P, 100, NULL));
    CHECK_ERR(mtl_stm_sign_sig(stranger, closed, (const uint8_t *)MSG, 64, &none), MTL_ERR_NOT_FOUND);
    CHECK(none == NULL);
    mtl_stm_initializer_free(stranger);
    mtl_stm_closed_reg_free(closed);
    mtl_stm_keyreg_free(reg);
}

TEST(typed_key_registers_like_its_text)
{
    struct mtl_stm_keyreg *a = NULL, *b = NULL;
    struct mtl_stm_closed_reg *ca = NULL, *cb = NULL;
    char *avk_a = NULL, *avk_b = NULL;
    CHECK_OK(mtl_stm_keyreg_new(&a));
    CHECK_OK(mtl_stm_keyreg_new(&b));
    for (size_t i = 0; i < N; i++) {
        struct mtl_stm_vk_pop *vp = NULL;
        uint8_t key[MTL_STM_VK_BYTES], want[MTL_STM_VK_BYTES];
        CHECK_OK(mtl_stm_vk_pop_decode_jsonhex(&vp, VK[i]));
        mtl_stm_vk_pop_key(vp, key);
        mtl_stm_initializer_vk(INIT[i], want);
        CHECK(memcmp(key, want, sizeof(key)) == 0);
        CHECK_OK(mtl_stm_keyreg_register(a, 100 + i, vp));
        CHECK_ERR(mtl_stm_keyreg_register(a, 100 + i, vp), MTL_ERR_CONFLICT);
        CHECK_OK(mtl_stm_keyreg_register_jsonhex(b, 100 + i, VK[i]));
        mtl_stm_vk_pop_free(vp);
    }
    mtl_stm_vk_pop_free(NULL);
    CHECK_OK(mtl_stm_keyreg_close(a, &ca));
    CHECK_OK(mtl_stm_keyreg_close(b, &cb));
    CHECK_OK(mtl_stm_closed_reg_avk_jsonhex(ca, &avk_a));
    CHECK_OK(mtl_stm_closed_reg_avk_jsonhex(cb, &avk_b));
    CHECK_EQ_STR(avk_a, avk_b);
    mtl_free(avk_a);
    mtl_free(avk_b);
    mtl_stm_closed_reg_free(ca);
    mtl_stm_closed_reg_free(cb);
    mtl_stm_keyreg_free(a);
    mtl_stm_keyreg_free(b);
}

/* VK[0] with its pop taken from VK[1] (JSON-hex), or other damage. */
static char *swap_pop(void)
{
    char *j0 = NULL, *j1 = NULL;
    size_t l0 = 0, l1 = 0;
    if (mtl_jsonhex_decode(&j0, &l0, VK[0]) != MTL_OK || mtl_jsonhex_decode(&j1, &l1, VK[1]) != MTL_OK)
        return NULL;
    char *p0 = strstr(j0, "\"pop\""), *p1 = strstr(j1, "\"pop\"");
    char *mix = malloc(l0 + l1 + 1);
    snprintf(mix, l0 + l1 + 1, "%.*s%s", (int)(p0 - j0), j0, p1);
    char *hex = jsonhex(mix);
    free(mix);
    mtl_free(j0);
    mtl_free(j1);
    return hex;
}

TEST(malformed_keys_refused)
{
    struct mtl_stm_vk_pop *vp = NULL;
    CHECK_ERR(mtl_stm_vk_pop_decode_jsonhex(&vp, "zz"), MTL_ERR_BAD_ENCODING);
    char *h = jsonhex("not json");
    CHECK(mtl_stm_vk_pop_decode_jsonhex(&vp, h) != MTL_OK);
    free(h);
    h = jsonhex("{\"vk\":[1,2,3]}");
    CHECK_ERR(mtl_stm_vk_pop_decode_jsonhex(&vp, h), MTL_ERR_BAD_ENCODING);
    free(h);
    /* 96 bytes that are no point: the compression flag set over 0xff.. */
    char bad[2048] = "{\"vk\":[";
    for (int i = 0; i < 96; i++)
        strcat(bad, i ? ",255" : "255");
    strcat(bad, "],\"pop\":[");
    for (int i = 0; i < 96; i++)
        strcat(bad, i ? ",0" : "0");
    strcat(bad, "]}");
    h = jsonhex(bad);
    CHECK(mtl_stm_vk_pop_decode_jsonhex(&vp, h) != MTL_OK);
    free(h);
    h = swap_pop();
    CHECK(h != NULL);
    CHECK(mtl_stm_vk_pop_decode_jsonhex(&vp, h) != MTL_OK);
    CHECK(strstr(mtl_err_detail(), "pop") || strstr(mtl_err_detail(), "possession"));
    free(h);
    CHECK(vp == NULL);
    /* the encode of a decoded garbage signature is never reached: decode refuses */
    struct mtl_stm_sig *sig = NULL;
    CHECK_ERR(mtl_stm_sig_decode_jsonhex(&sig, "7b7d"), MTL_ERR_BAD_ENCODING);
    CHECK(sig == NULL);
}

int main(void)
{
    if (mtl_init() != MTL_OK || setup() != 0)
        return 1;
    RUN(typed_signature_is_the_wire_signature);
    RUN(typed_key_registers_like_its_text);
    RUN(malformed_keys_refused);
    for (size_t i = 0; i < N; i++) {
        mtl_stm_initializer_free(INIT[i]);
        mtl_free(VK[i]);
    }
    return DONE();
}
