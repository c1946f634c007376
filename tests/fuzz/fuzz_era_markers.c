/* fuzz_era_markers.c - the era markers readers never crash on any input: a
 * markers list that parses re-serialises to a text that parses to the same
 * markers; payloads (the input as JSON text) are verified against a fixed
 * key; tx datums and cardano-cli UTxO sets are read; the epoch token of
 * accepted markers is one of them. */
#include <stdlib.h>
#include <string.h>

#include "cardano/cardano_int.h"
#include "chain_observer.h"
#include "common/common_int.h"
#include "mithril/era.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t vk[MTL_ERA_VK_BYTES] = {
        32,  253, 186, 201, 177, 11,  117, 135, 187, 167, 181, 188, 22,  59,  206, 105,
        231, 150, 215, 30,  78,  212, 76,  16,  252, 180, 72,  134, 137, 247, 161, 68};
    char *s = mtl_strndup((const char *)data, size);
    if (!s)
        return 0;
    struct mtl_era_marker *m = NULL, *m2 = NULL;
    size_t n = 0, n2 = 0;
    if (mtl_era_markers_parse(&m, &n, s, strlen(s)) == MTL_OK) {
        char *json = NULL;
        MTL_ASSERT(n >= 1 && mtl_era_markers_to_json(&json, m, n) == MTL_OK);
        MTL_ASSERT(mtl_era_markers_parse(&m2, &n2, json, strlen(json)) == MTL_OK);
        MTL_ASSERT(n2 == n && memcmp(m, m2, n * sizeof(*m)) == 0);
        struct mtl_era_token t;
        static const uint64_t epochs[] = {0, 1, 10, 1000, UINT64_MAX};
        for (size_t i = 0; i < MTL_ARRAY_LEN(epochs); i++)
            if (mtl_era_token_compute(&t, m, n, epochs[i]) == MTL_OK)
                MTL_ASSERT(t.current.has_epoch && t.current.epoch <= epochs[i]);
        mtl_free(json);
        mtl_free(m2);
    }
    mtl_free(m);
    char *hex = NULL, *payload = NULL, **datums = NULL;
    if (mtl_jsonhex_encode(&hex, s, strlen(s)) == MTL_OK &&
        mtl_era_payload_verify(&m, &n, hex, vk) == MTL_OK) {
        MTL_ASSERT(n >= 1);
        mtl_free(m);
    }
    mtl_free(hex);
    if (mtl_era_tx_datum_payload(&payload, s, strlen(s)) == MTL_OK)
        mtl_free(payload);
    if (app_cli_utxo_parse("query utxo", s, &datums, &n) == MTL_OK)
        app_chain_datums_free(datums, n);
    mtl_err_clear();
    mtl_free(s);
    return 0;
}
