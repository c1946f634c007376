/* fuzz_artifact_json.c - checking a downloaded artifact against its
 * certificate never crashes, and an accepted stake distribution's recomputed
 * hash is the one it states.
 * Input: one byte choosing the artifact kind (even: MithrilStakeDistribution,
 * odd: CardanoDatabase), the certificate JSON, a NUL byte, the artifact JSON
 * (the corpus pairs real artifacts with the certificates that signed them). */
#include <jansson.h>
#include <string.h>

#include "common/common_int.h"
#include "mithril/certificate.h"

static void check_msd(const char *json, size_t len, const struct mtl_certificate *c)
{
    char h[MTL_HASH_HEX_BYTES];
    if (mtl_msd_verify(json, len, c, h) != MTL_OK)
        return;
    json_t *j = json_loadb(json, len, 0, NULL);
    MTL_ASSERT(j);
    MTL_ASSERT(strcmp(json_string_value(json_object_get(j, "hash")), h) == 0);
    json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    const char *cert = (const char *)data + 1;
    const char *nul = memchr(cert, 0, size - 1);
    if (!nul)
        return 0;
    struct mtl_certificate *c;
    if (mtl_certificate_from_json(&c, cert, (size_t)(nul - cert)) != MTL_OK)
        return 0;
    const char *art = nul + 1;
    size_t alen = size - (size_t)(art - (const char *)data);
    if (data[0] % 2 == 0)
        check_msd(art, alen, c);
    else if (mtl_cardano_database_verify(art, alen, c) == MTL_OK) {
        struct mtl_signed_entity_type t;
        mtl_certificate_signed_entity(c, &t);
        MTL_ASSERT(t.kind == MTL_SET_CARDANO_DATABASE);
    }
    mtl_certificate_free(c);
    return 0;
}
