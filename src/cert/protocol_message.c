/* protocol_message.c - protocol messages and their hash (signed_message),
 * protocol parameters hash. */
#include <math.h>
#include <sodium.h>

#include "cert_int.h"

/* The reference's ProtocolMessagePartKey declaration order: its BTreeMap
 * iterates (and so hashes and serialises) in this order, not alphabetically. */
const char *const mtl_pm_keys[PM_NKEYS] = {
    "snapshot_digest",
    "cardano_transactions_merkle_root",
    "cardano_blocks_transactions_merkle_root",
    "next_aggregate_verification_key",
    "next_protocol_parameters",
    "current_epoch",
    "latest_block_number",
    "cardano_blocks_transactions_block_number_offset",
    "cardano_stake_distribution_epoch",
    "cardano_stake_distribution_merkle_root",
    "cardano_database_merkle_root",
    "next_aggregate_verification_key_snark",
};

static int key_index(const char *key)
{
    for (int i = 0; i < PM_NKEYS; i++)
        if (strcmp(key, mtl_pm_keys[i]) == 0)
            return i;
    return -1;
}

mtl_err mtl_protocol_message_new(struct mtl_protocol_message **out)
{
    *out = mtl_calloc(1, sizeof(**out));
    MTL_CHECK(*out, MTL_ERR_NOMEM, "protocol message: out of memory");
    return MTL_OK;
}

void pm_clear(struct mtl_protocol_message *pm)
{
    for (int i = 0; i < PM_NKEYS; i++) {
        mtl_free(pm->values[i]);
        pm->values[i] = NULL;
    }
}

void mtl_protocol_message_free(struct mtl_protocol_message *pm)
{
    if (!pm)
        return;
    pm_clear(pm);
    mtl_free(pm);
}

mtl_err mtl_protocol_message_set(struct mtl_protocol_message *pm, const char *key,
                                 const char *value)
{
    int i = key_index(key);
    MTL_CHECK(i >= 0, MTL_ERR_INVALID_ARG, "protocol message: unknown part '%s'", key);
    char *v = mtl_strdup(value);
    MTL_CHECK(v, MTL_ERR_NOMEM, "protocol message: out of memory");
    mtl_free(pm->values[i]);
    pm->values[i] = v;
    return MTL_OK;
}

const char *mtl_protocol_message_get(const struct mtl_protocol_message *pm, const char *key)
{
    int i = key_index(key);
    return i < 0 ? NULL : pm->values[i];
}

mtl_err pm_copy(struct mtl_protocol_message *dst, const struct mtl_protocol_message *src)
{
    for (int i = 0; i < PM_NKEYS; i++)
        if (src->values[i])
            MTL_TRY(mtl_protocol_message_set(dst, mtl_pm_keys[i], src->values[i]));
    return MTL_OK;
}

void mtl_protocol_message_hash(const struct mtl_protocol_message *pm, char out[MTL_HASH_HEX_BYTES])
{
    crypto_hash_sha256_state ctx;
    uint8_t md[32];
    crypto_hash_sha256_init(&ctx);
    for (int i = 0; i < PM_NKEYS; i++) {
        if (!pm->values[i])
            continue;
        crypto_hash_sha256_update(&ctx, (const unsigned char *)mtl_pm_keys[i], strlen(mtl_pm_keys[i]));
        crypto_hash_sha256_update(&ctx, (const unsigned char *)pm->values[i], strlen(pm->values[i]));
    }
    crypto_hash_sha256_final(&ctx, md);
    mtl_hex_encode(out, MTL_HASH_HEX_BYTES, md, 32);
}

mtl_err pm_from_json(struct mtl_protocol_message *pm, const json_t *j)
{
    const json_t *parts = json_object_get(j, "message_parts");
    MTL_CHECK(json_is_object(parts), MTL_ERR_BAD_ENCODING,
              "protocol_message: missing object message_parts");
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)parts, key, v)
    {
        MTL_CHECK(json_is_string(v), MTL_ERR_BAD_ENCODING,
                  "protocol_message.message_parts.%s: expected a string", key);
        MTL_CHECK(key_index(key) >= 0, MTL_ERR_BAD_ENCODING,
                  "protocol_message.message_parts: unknown part '%s'", key);
        MTL_TRY(mtl_protocol_message_set(pm, key, json_string_value(v)));
    }
    return MTL_OK;
}

json_t *pm_to_json(const struct mtl_protocol_message *pm)
{
    json_t *parts = json_object(), *j = json_object();
    if (!parts || !j) {
        json_decref(parts);
        json_decref(j);
        return NULL;
    }
    for (int i = 0; i < PM_NKEYS; i++)
        if (pm->values[i])
            json_object_set_new(parts, mtl_pm_keys[i], json_string(pm->values[i]));
    json_object_set_new(j, "message_parts", parts);
    return j;
}

mtl_err mtl_protocol_message_from_json(struct mtl_protocol_message **out, const char *json,
                                       size_t len)
{
    *out = NULL;
    json_error_t err;
    json_t *j = json_loadb(json, len, JSON_REJECT_DUPLICATES, &err);
    MTL_CHECK(j, MTL_ERR_BAD_ENCODING, "protocol_message: not JSON (%s)", err.text);
    struct mtl_protocol_message *pm = NULL;
    mtl_err e = mtl_protocol_message_new(&pm);
    if (e == MTL_OK)
        e = pm_from_json(pm, j);
    json_decref(j);
    if (e != MTL_OK) {
        mtl_protocol_message_free(pm);
        return e;
    }
    *out = pm;
    return MTL_OK;
}

mtl_err mtl_protocol_message_to_json(const struct mtl_protocol_message *pm, char **json)
{
    json_t *j = pm_to_json(pm);
    MTL_CHECK(j, MTL_ERR_NOMEM, "protocol message: out of memory");
    *json = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(j);
    MTL_CHECK(*json, MTL_ERR_NOMEM, "protocol message: out of memory");
    /* jansson allocates with malloc; hand over an mtl_malloc copy */
    char *copy = mtl_strdup(*json);
    free(*json);
    *json = copy;
    MTL_CHECK(copy, MTL_ERR_NOMEM, "protocol message: out of memory");
    return MTL_OK;
}

void mtl_protocol_parameters_hash(const struct mtl_stm_params *p, char out[MTL_HASH_HEX_BYTES])
{
    uint8_t buf[20], md[32];
    mtl_be64_put(buf, p->k);
    mtl_be64_put(buf + 8, p->m);
    /* phi_f as the fixed crate's U8F24 (8 integer, 24 fraction bits), rounded
     * to nearest with ties to even. */
    double raw = nearbyint(p->phi_f * 16777216.0);
    uint32_t fixed = raw <= 0 ? 0 : raw >= 4294967295.0 ? 0xffffffffu : (uint32_t)raw;
    mtl_be32_put(buf + 16, fixed);
    crypto_hash_sha256(md, buf, sizeof(buf));
    mtl_hex_encode(out, MTL_HASH_HEX_BYTES, md, 32);
}
