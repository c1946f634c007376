/* fuzz_pool_identity.c - the pool identity decoders (opcert JSON-hex and
 * CBOR, KES signature JSON-hex, each with the bytes-hex fallback, the
 * Mithril key's KES message) never crash on arbitrary input, and whatever
 * they accept re-encodes to a form that decodes to the same value; the
 * JSON-hex readers being strict, lower-case JSON-hex they accept re-encodes
 * to exactly the input. */
#include <stdlib.h>
#include <string.h>

#include "common/common_int.h"
#include "mithril/pool_identity.h"

static void opcert_cbor_round_trip(const struct mtl_opcert *oc)
{
    uint8_t *cbor;
    size_t len;
    struct mtl_opcert back;
    if (mtl_opcert_to_cbor(oc, &cbor, &len) != MTL_OK)
        return; /* allocation failure only */
    if (mtl_opcert_from_cbor(&back, cbor, len) != MTL_OK || memcmp(&back, oc, sizeof back) != 0)
        abort();
    mtl_free(cbor);
}

static void opcert_jsonhex_round_trip(const struct mtl_opcert *oc)
{
    char *hex;
    struct mtl_opcert back;
    if (mtl_opcert_to_jsonhex(oc, &hex) != MTL_OK)
        return;
    if (mtl_opcert_from_jsonhex(&back, hex) != MTL_OK || memcmp(&back, oc, sizeof back) != 0)
        abort();
    mtl_free(hex);
}

/* Verification results are not checked (random inputs fail); they only
 * must not crash. */
static volatile int sink;

static int lower_hex(const char *s)
{
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return 0;
    return 1;
}

/* JSON-hex (not the bytes-hex fallback) in lower case: the serde text. */
static int serde_text(const char *s, const char *open, size_t fallback_len)
{
    return strncmp(s, open, strlen(open)) == 0 && strlen(s) != fallback_len && lower_hex(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mtl_opcert oc;
    if (mtl_opcert_from_cbor(&oc, data, size) == MTL_OK) {
        opcert_cbor_round_trip(&oc);
        opcert_jsonhex_round_trip(&oc);
        sink += mtl_opcert_verify(&oc) == MTL_OK;
    }
    char *s = mtl_strndup((const char *)data, size);
    if (!s)
        return 0;
    if (mtl_opcert_from_jsonhex(&oc, s) == MTL_OK) {
        opcert_jsonhex_round_trip(&oc);
        opcert_cbor_round_trip(&oc);
        char *re;
        if (serde_text(s, "5b5b", 0) && mtl_opcert_to_jsonhex(&oc, &re) == MTL_OK) {
            if (strcmp(re, s) != 0)
                abort();
            mtl_free(re);
        }
    }
    uint8_t sig[MTL_KES_SIG_BYTES], back[MTL_KES_SIG_BYTES];
    char *hex;
    if (mtl_kes_sig_from_jsonhex(sig, s) == MTL_OK && mtl_kes_sig_to_jsonhex(sig, &hex) == MTL_OK) {
        if (mtl_kes_sig_from_jsonhex(back, hex) != MTL_OK || memcmp(sig, back, sizeof sig) != 0)
            abort();
        if (serde_text(s, "7b", 2 * MTL_KES_SIG_BYTES) && strcmp(hex, s) != 0)
            abort();
        mtl_free(hex);
        sink += mtl_kes_verify(sig, sig + 32, 0, data, size) == MTL_OK;
    }
    uint8_t msg[MTL_KES_MSG_BYTES];
    sink += mtl_stm_vk_kes_message(s, msg) == MTL_OK;
    mtl_free(s);
    return 0;
}
