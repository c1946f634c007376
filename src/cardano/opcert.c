/* opcert.c - operational certificates: issue, verify, pool id, and the two
 * wire forms (the reference's JSON-hex of RawOpCert, Cardano's CBOR), plus
 * the JSON-hex form of Sum6KES signatures (serde of the kes crate's
 * Sum6KesSig: nested {"sigma", "lhs_pk", "rhs_pk"} objects). */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "cardano_int.h"

#define OPCERT_MSG_BYTES 48
#define OPCERT_CBOR_MAX 160 /* 2 array heads + 3 byte strings + 2 u64 */

/* kes_vk || issue_number (u64 BE) || start_kes_period (u64 BE). */
static void opcert_message(uint8_t msg[OPCERT_MSG_BYTES], const uint8_t kes_vk[32], uint64_t issue,
                           uint64_t start)
{
    memcpy(msg, kes_vk, 32);
    mtl_be64_put(msg + 32, issue);
    mtl_be64_put(msg + 40, start);
}

mtl_err mtl_opcert_issue(struct mtl_opcert *out, const uint8_t kes_vk[MTL_KES_VK_BYTES],
                         uint64_t issue_number, uint64_t start_kes_period,
                         const uint8_t cold_sk[MTL_COLD_SK_BYTES])
{
    MTL_CHECK(out && kes_vk && cold_sk, MTL_ERR_INVALID_ARG, "opcert issue: NULL argument");
    uint8_t pk[32], sk[crypto_sign_ed25519_SECRETKEYBYTES], msg[OPCERT_MSG_BYTES];
    /* The libsodium form carries its public half: make sure it is the seed's. */
    crypto_sign_ed25519_seed_keypair(pk, sk, cold_sk);
    int same = mtl_memcmp_ct(pk, cold_sk + 32, 32) == 0;
    mtl_memzero(sk, sizeof sk);
    MTL_CHECK(same, MTL_ERR_INVALID_ARG,
              "opcert issue: the cold secret key's public half does not match its seed");
    memset(out, 0, sizeof *out);
    memcpy(out->kes_vk, kes_vk, 32);
    out->issue_number = issue_number;
    out->start_kes_period = start_kes_period;
    memcpy(out->cold_vk, pk, 32);
    opcert_message(msg, kes_vk, issue_number, start_kes_period);
    crypto_sign_ed25519_detached(out->sigma, NULL, msg, sizeof msg, cold_sk);
    return MTL_OK;
}

mtl_err mtl_opcert_verify(const struct mtl_opcert *oc)
{
    MTL_CHECK(oc, MTL_ERR_INVALID_ARG, "opcert verify: NULL argument");
    uint8_t msg[OPCERT_MSG_BYTES];
    opcert_message(msg, oc->kes_vk, oc->issue_number, oc->start_kes_period);
    /* The reference uses ed25519-dalek's non-strict verify; libsodium's is
     * stricter only for small-order keys and R, which a real cold key and its
     * signatures never are. */
    MTL_CHECK(crypto_sign_ed25519_verify_detached(oc->sigma, msg, sizeof msg, oc->cold_vk) == 0,
              MTL_ERR_VERIFY_FAIL,
              "operational certificate: the cold key's signature over the KES key, issue number "
              "%llu and start period %llu does not verify",
              (unsigned long long)oc->issue_number, (unsigned long long)oc->start_kes_period);
    return MTL_OK;
}

mtl_err mtl_cold_vk_pool_id(const uint8_t cold_vk[MTL_COLD_VK_BYTES], char out[MTL_POOL_ID_MAX])
{
    MTL_CHECK(cold_vk && out, MTL_ERR_INVALID_ARG, "pool id: NULL argument");
    uint8_t h[28];
    char hex[2 * sizeof h + 1];
    crypto_generichash(h, sizeof h, cold_vk, MTL_COLD_VK_BYTES, NULL, 0);
    MTL_TRY(mtl_hex_encode(hex, sizeof hex, h, sizeof h));
    return mtl_pool_id_bech32(hex, out);
}

mtl_err mtl_opcert_pool_id(const struct mtl_opcert *oc, char out[MTL_POOL_ID_MAX])
{
    MTL_CHECK(oc, MTL_ERR_INVALID_ARG, "pool id: NULL opcert");
    return mtl_cold_vk_pool_id(oc->cold_vk, out);
}

/* ---- JSON-hex ---- */

/* The reference's ProtocolKey::decode_key falls back to "bytes hex" (hex of
 * the CBOR for an opcert, of the 448 raw bytes for a KES signature) when a
 * key is not JSON-hex; the first error (JSON-hex) is the one reported. A CBOR
 * opcert, even with the longest heads, fits in OPCERT_CBOR_HEX_MAX bytes. */
#define OPCERT_CBOR_HEX_MAX 256
static mtl_err opcert_from_bytes_hex(struct mtl_opcert *out, const char *hex, mtl_err json_rc)
{
    uint8_t cbor[OPCERT_CBOR_HEX_MAX];
    size_t len;
    char why[256];
    snprintf(why, sizeof why, "%s", mtl_err_detail());
    if (mtl_hex_decode(cbor, sizeof cbor, &len, hex, strlen(hex)) != MTL_OK)
        return mtl_seterr(json_rc, "%s", why);
    struct mtl_opcert oc;
    if (mtl_opcert_from_cbor(&oc, cbor, len) != MTL_OK)
        return mtl_seterr(json_rc, "%s (nor is it CBOR hex)", why);
    *out = oc;
    mtl_err_clear();
    return MTL_OK;
}

/* Exactly the reference's serde text: [[kes_vk,issue,start,sigma],cold_vk]. */
static mtl_err opcert_from_json(struct mtl_opcert *out, const char *hex)
{
    struct mtl_jscan x;
    MTL_TRY(mtl_jscan_start(&x, hex, "operational certificate"));
    MTL_TRY(mtl_jscan_lit(&x, "[[", "[[kes_vk, issue_number, start_kes_period, sigma], cold_vk]"));
    MTL_TRY(mtl_jscan_bytes(&x, out->kes_vk, 32, "kes_vk"));
    MTL_TRY(mtl_jscan_lit(&x, ",", "kes_vk"));
    MTL_TRY(mtl_jscan_u64(&x, &out->issue_number, "issue_number"));
    MTL_TRY(mtl_jscan_lit(&x, ",", "issue_number"));
    MTL_TRY(mtl_jscan_u64(&x, &out->start_kes_period, "start_kes_period"));
    MTL_TRY(mtl_jscan_lit(&x, ",", "start_kes_period"));
    MTL_TRY(mtl_jscan_bytes(&x, out->sigma, 64, "sigma"));
    MTL_TRY(mtl_jscan_lit(&x, "],", "sigma"));
    MTL_TRY(mtl_jscan_bytes(&x, out->cold_vk, 32, "cold_vk"));
    MTL_TRY(mtl_jscan_lit(&x, "]", "cold_vk"));
    return mtl_jscan_end(&x);
}

mtl_err mtl_opcert_from_jsonhex(struct mtl_opcert *out, const char *hex)
{
    MTL_CHECK(out, MTL_ERR_INVALID_ARG, "operational certificate: NULL output");
    memset(out, 0, sizeof *out);
    mtl_err rc = opcert_from_json(out, hex);
    if (rc != MTL_OK && hex)
        rc = opcert_from_bytes_hex(out, hex, rc);
    if (rc != MTL_OK)
        memset(out, 0, sizeof *out);
    return rc;
}

/* Append serde's "[b0,b1,...]" of n bytes. */
static mtl_err append_bytes(struct mtl_buf *b, const uint8_t *p, size_t n)
{
    char *text;
    MTL_TRY(mtl_json_bytes_encode(&text, p, n));
    mtl_err rc = mtl_buf_append_str(b, text);
    mtl_free(text);
    return rc;
}

static mtl_err buf_to_jsonhex(struct mtl_buf *b, mtl_err rc, char **hex)
{
    if (rc == MTL_OK)
        rc = mtl_jsonhex_encode(hex, (const char *)b->data, b->len);
    mtl_buf_free(b);
    return rc;
}

/* Written by hand rather than through jansson so that u64 fields above
 * INT64_MAX come out as serde writes them. */
mtl_err mtl_opcert_to_jsonhex(const struct mtl_opcert *oc, char **hex)
{
    MTL_CHECK(oc && hex, MTL_ERR_INVALID_ARG, "operational certificate: NULL argument");
    *hex = NULL;
    struct mtl_buf b;
    mtl_buf_init(&b, 4096);
    mtl_err rc = mtl_buf_append_str(&b, "[[");
    if (rc == MTL_OK)
        rc = append_bytes(&b, oc->kes_vk, 32);
    if (rc == MTL_OK)
        rc = mtl_buf_printf(&b, ",%llu,%llu,", (unsigned long long)oc->issue_number,
                            (unsigned long long)oc->start_kes_period);
    if (rc == MTL_OK)
        rc = append_bytes(&b, oc->sigma, 64);
    if (rc == MTL_OK)
        rc = mtl_buf_append_str(&b, "],");
    if (rc == MTL_OK)
        rc = append_bytes(&b, oc->cold_vk, 32);
    if (rc == MTL_OK)
        rc = mtl_buf_append_str(&b, "]");
    return buf_to_jsonhex(&b, rc, hex);
}

/* Exactly the kes crate's serde text: level 6 outermost,
 * {"sigma":<level below>,"lhs_pk":[32],"rhs_pk":[32]}, the Ed25519
 * signature (64 numbers) innermost. */
static mtl_err kes_sig_from_json(uint8_t sig[MTL_KES_SIG_BYTES], const char *hex)
{
    struct mtl_jscan x;
    MTL_TRY(mtl_jscan_start(&x, hex, "KES signature"));
    static const char *const SIGMA_OF[MTL_KES_DEPTH + 1] = {"",
                                                            "sigma (the Ed25519 signature)",
                                                            "sigma (a level 1 signature)",
                                                            "sigma (a level 2 signature)",
                                                            "sigma (a level 3 signature)",
                                                            "sigma (a level 4 signature)",
                                                            "sigma (a level 5 signature)"};
    x.level = MTL_KES_DEPTH;
    MTL_TRY(mtl_jscan_lit(&x, "{\"sigma\":", "signature"));
    for (; x.level > 1; x.level--)
        MTL_TRY(mtl_jscan_lit(&x, "{\"sigma\":", SIGMA_OF[x.level]));
    MTL_TRY(mtl_jscan_bytes(&x, sig, MTL_ED25519_SIG_BYTES, SIGMA_OF[1]));
    for (x.level = 1; x.level <= MTL_KES_DEPTH; x.level++) {
        uint8_t *pair = sig + MTL_ED25519_SIG_BYTES + 64u * (x.level - 1);
        MTL_TRY(mtl_jscan_lit(&x, ",\"lhs_pk\":", "lhs_pk"));
        MTL_TRY(mtl_jscan_bytes(&x, pair, 32, "lhs_pk"));
        MTL_TRY(mtl_jscan_lit(&x, ",\"rhs_pk\":", "rhs_pk"));
        MTL_TRY(mtl_jscan_bytes(&x, pair + 32, 32, "rhs_pk"));
        MTL_TRY(mtl_jscan_lit(&x, "}", "end of object"));
    }
    x.level = 0;
    return mtl_jscan_end(&x);
}

mtl_err mtl_kes_sig_from_jsonhex(uint8_t sig[MTL_KES_SIG_BYTES], const char *hex)
{
    MTL_CHECK(sig, MTL_ERR_INVALID_ARG, "KES signature: NULL output");
    memset(sig, 0, MTL_KES_SIG_BYTES);
    mtl_err rc = kes_sig_from_json(sig, hex);
    size_t n = 0;
    if (rc != MTL_OK && hex && strlen(hex) == 2 * MTL_KES_SIG_BYTES &&
        mtl_hex_decode(sig, MTL_KES_SIG_BYTES, &n, hex, strlen(hex)) == MTL_OK) {
        mtl_err_clear();
        rc = MTL_OK;
    }
    if (rc != MTL_OK)
        memset(sig, 0, MTL_KES_SIG_BYTES);
    return rc;
}

static mtl_err kes_sig_json_level(struct mtl_buf *b, const uint8_t *sig, unsigned d)
{
    if (d == 0)
        return append_bytes(b, sig, MTL_ED25519_SIG_BYTES);
    const uint8_t *pair = sig + MTL_ED25519_SIG_BYTES + 64u * (d - 1);
    MTL_TRY(mtl_buf_append_str(b, "{\"sigma\":"));
    MTL_TRY(kes_sig_json_level(b, sig, d - 1));
    MTL_TRY(mtl_buf_append_str(b, ",\"lhs_pk\":"));
    MTL_TRY(append_bytes(b, pair, 32));
    MTL_TRY(mtl_buf_append_str(b, ",\"rhs_pk\":"));
    MTL_TRY(append_bytes(b, pair + 32, 32));
    return mtl_buf_append_str(b, "}");
}

mtl_err mtl_kes_sig_to_jsonhex(const uint8_t sig[MTL_KES_SIG_BYTES], char **hex)
{
    MTL_CHECK(sig && hex, MTL_ERR_INVALID_ARG, "KES signature: NULL argument");
    *hex = NULL;
    struct mtl_buf b;
    mtl_buf_init(&b, 8192);
    return buf_to_jsonhex(&b, kes_sig_json_level(&b, sig, MTL_KES_DEPTH), hex);
}

/* ---- Cardano CBOR: [[kes_vk, issue, start, sigma], cold_vk] ---- */

mtl_err mtl_opcert_from_cbor(struct mtl_opcert *out, const uint8_t *cbor, size_t len)
{
    static const char W[] = "operational certificate CBOR";
    MTL_CHECK(out && (cbor || len == 0), MTL_ERR_INVALID_ARG, "%s: NULL argument", W);
    memset(out, 0, sizeof *out);
    size_t pos = 0;
    uint64_t n;
    const uint8_t *kes_vk, *sigma, *cold_vk;
    struct mtl_opcert oc = {0};
    MTL_TRY(mtl_cbor_expect(cbor, len, &pos, 4, &n, W));
    MTL_CHECK(n == 2, MTL_ERR_BAD_ENCODING, "%s: expected an array of 2, got %llu", W,
              (unsigned long long)n);
    MTL_TRY(mtl_cbor_expect(cbor, len, &pos, 4, &n, W));
    MTL_CHECK(n == 4, MTL_ERR_BAD_ENCODING,
              "%s: expected [kes_vk, issue_number, start_kes_period, sigma], an array of %llu", W,
              (unsigned long long)n);
    MTL_TRY(mtl_cbor_bytes(cbor, len, &pos, &kes_vk, 32, "operational certificate kes_vk"));
    MTL_TRY(mtl_cbor_expect(cbor, len, &pos, 0, &oc.issue_number,
                            "operational certificate issue_number"));
    MTL_TRY(mtl_cbor_expect(cbor, len, &pos, 0, &oc.start_kes_period,
                            "operational certificate start_kes_period"));
    MTL_TRY(mtl_cbor_bytes(cbor, len, &pos, &sigma, 64, "operational certificate sigma"));
    MTL_TRY(mtl_cbor_bytes(cbor, len, &pos, &cold_vk, 32, "operational certificate cold_vk"));
    MTL_CHECK(pos == len, MTL_ERR_BAD_ENCODING, "%s: %zu trailing bytes", W, len - pos);
    memcpy(oc.kes_vk, kes_vk, 32);
    memcpy(oc.sigma, sigma, 64);
    memcpy(oc.cold_vk, cold_vk, 32);
    *out = oc;
    return MTL_OK;
}

static size_t put_bytes(uint8_t *o, const uint8_t *p, size_t n)
{
    size_t h = mtl_cbor_put_head(o, 2, n);
    memcpy(o + h, p, n);
    return h + n;
}

mtl_err mtl_opcert_to_cbor(const struct mtl_opcert *oc, uint8_t **cbor, size_t *len)
{
    MTL_CHECK(oc && cbor && len, MTL_ERR_INVALID_ARG, "operational certificate: NULL argument");
    *cbor = NULL;
    *len = 0;
    uint8_t *o = mtl_malloc(OPCERT_CBOR_MAX);
    MTL_CHECK(o, MTL_ERR_NOMEM, "operational certificate CBOR: out of memory");
    size_t n = mtl_cbor_put_head(o, 4, 2);
    n += mtl_cbor_put_head(o + n, 4, 4);
    n += put_bytes(o + n, oc->kes_vk, 32);
    n += mtl_cbor_put_head(o + n, 0, oc->issue_number);
    n += mtl_cbor_put_head(o + n, 0, oc->start_kes_period);
    n += put_bytes(o + n, oc->sigma, 64);
    n += put_bytes(o + n, oc->cold_vk, 32);
    *cbor = o;
    *len = n;
    return MTL_OK;
}
