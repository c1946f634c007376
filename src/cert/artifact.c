/* artifact.c - checks of certified artifacts against their certificate: the
 * client recomputes the protocol message from the artifact it downloaded and
 * compares its hash with the certificate's signed_message. */
#include <sodium.h>

#include "cert_int.h"

static void sha_str(crypto_hash_sha256_state *st, const char *s)
{
    crypto_hash_sha256_update(st, (const unsigned char *)s, strlen(s));
}

static const char *opt_str(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static mtl_err signer_hash(const json_t *s, size_t i, char out[MTL_HASH_HEX_BYTES])
{
    const char *party = opt_str(s, "party_id"), *vk = opt_str(s, "verification_key");
    const json_t *stake = json_object_get(s, "stake");
    MTL_CHECK(party && vk && json_is_integer(stake) && json_integer_value(stake) >= 0,
              MTL_ERR_BAD_ENCODING,
              "stake distribution: signers[%zu] needs party_id, verification_key and stake", i);
    crypto_hash_sha256_state st;
    uint8_t md[32], be[8];
    crypto_hash_sha256_init(&st);
    sha_str(&st, party);
    sha_str(&st, vk);
    const char *vks = opt_str(s, "verification_key_signature"),
               *oc = opt_str(s, "operational_certificate");
    if (vks && *vks)
        sha_str(&st, vks);
    if (oc && *oc)
        sha_str(&st, oc);
    mtl_be64_put(be, (uint64_t)json_integer_value(stake));
    crypto_hash_sha256_update(&st, be, 8);
    crypto_hash_sha256_final(&st, md);
    return mtl_hex_encode(out, MTL_HASH_HEX_BYTES, md, 32);
}

static mtl_err check_signed_part(const struct mtl_certificate *cert, const char *key,
                                 const char *value)
{
    return cert_check_parts(cert, &key, &value, 1);
}

mtl_err mtl_msd_verify(const char *msd_json, size_t len, const struct mtl_certificate *cert,
                       char hash_out[MTL_HASH_HEX_BYTES])
{
    json_error_t jerr;
    json_t *j = json_loadb(msd_json, len, JSON_REJECT_DUPLICATES, &jerr);
    MTL_CHECK(j, MTL_ERR_BAD_ENCODING, "stake distribution: invalid JSON: %s", jerr.text);
    struct mtl_stm_keyreg *reg = NULL;
    struct mtl_stm_closed_reg *closed = NULL;
    char *avk = NULL;
    mtl_err rc = MTL_OK;
    const json_t *signers = json_object_get(j, "signers"), *epoch = json_object_get(j, "epoch");
    const char *hash = opt_str(j, "hash");
    if (!json_is_array(signers) || !json_is_integer(epoch) || !hash) {
        rc = mtl_seterr(MTL_ERR_BAD_ENCODING,
                        "stake distribution: fields epoch, hash and signers are required");
        goto out;
    }
    /* artifact hash: epoch || hex hashes of the signers in message order */
    crypto_hash_sha256_state st;
    uint8_t md[32], be[8];
    char h[MTL_HASH_HEX_BYTES];
    crypto_hash_sha256_init(&st);
    mtl_be64_put(be, (uint64_t)json_integer_value(epoch));
    crypto_hash_sha256_update(&st, be, 8);
    rc = mtl_stm_keyreg_new(&reg);
    for (size_t i = 0; rc == MTL_OK && i < json_array_size(signers); i++) {
        const json_t *s = json_array_get(signers, i);
        rc = signer_hash(s, i, h);
        if (rc != MTL_OK)
            break;
        sha_str(&st, h);
        rc = mtl_stm_keyreg_register_jsonhex(reg, (uint64_t)json_integer_value(json_object_get(s, "stake")),
                                             opt_str(s, "verification_key"));
        if (rc != MTL_OK)
            rc = mtl_err_wrap(rc, "stake distribution: signer %s", opt_str(s, "party_id"));
    }
    if (rc != MTL_OK)
        goto out;
    crypto_hash_sha256_final(&st, md);
    mtl_hex_encode(h, sizeof(h), md, 32);
    if (hash_out)
        memcpy(hash_out, h, MTL_HASH_HEX_BYTES);
    if (strcmp(h, hash) != 0) {
        rc = mtl_seterr(MTL_ERR_INTEGRITY, "stake distribution: hash %s does not match its content (%s)",
                        hash, h);
        goto out;
    }
    rc = mtl_stm_keyreg_close(reg, &closed);
    if (rc == MTL_OK)
        rc = mtl_stm_closed_reg_avk_jsonhex(closed, &avk);
    if (rc == MTL_OK && check_signed_part(cert, "next_aggregate_verification_key", avk) != MTL_OK)
        rc = mtl_err_wrap(MTL_ERR_INTEGRITY,
                          "stake distribution %s: its signers do not give the message certificate "
                          "signed",
                          hash);
out:
    mtl_free(avk);
    mtl_stm_closed_reg_free(closed);
    mtl_stm_keyreg_free(reg);
    json_decref(j);
    return rc;
}

mtl_err mtl_cardano_database_verify(const char *json, size_t len, const struct mtl_certificate *cert)
{
    json_error_t jerr;
    json_t *j = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    MTL_CHECK(j, MTL_ERR_BAD_ENCODING, "cardano database: invalid JSON: %s", jerr.text);
    mtl_err rc = MTL_OK;
    const char *hash = opt_str(j, "hash"), *root = opt_str(j, "merkle_root");
    const json_t *beacon = json_object_get(j, "beacon");
    const json_t *ep = json_object_get(beacon, "epoch"), *ifn = json_object_get(beacon, "immutable_file_number");
    if (!hash || !root || !json_is_integer(ep) || !json_is_integer(ifn)) {
        rc = mtl_seterr(MTL_ERR_BAD_ENCODING,
                        "cardano database: fields hash, merkle_root and beacon are required");
        goto out;
    }
    crypto_hash_sha256_state st;
    uint8_t md[32], be[8];
    char h[MTL_HASH_HEX_BYTES];
    crypto_hash_sha256_init(&st);
    mtl_be64_put(be, (uint64_t)json_integer_value(ep));
    crypto_hash_sha256_update(&st, be, 8);
    sha_str(&st, root);
    crypto_hash_sha256_final(&st, md);
    mtl_hex_encode(h, sizeof(h), md, 32);
    if (strcmp(h, hash) != 0) {
        rc = mtl_seterr(MTL_ERR_INTEGRITY, "cardano database: hash %s does not match its content",
                        hash);
        goto out;
    }
    if (cert->set.kind != MTL_SET_CARDANO_DATABASE ||
        cert->set.epoch != (uint64_t)json_integer_value(ep) ||
        cert->set.a != (uint64_t)json_integer_value(ifn)) {
        rc = mtl_seterr(MTL_ERR_INTEGRITY,
                        "cardano database %s: beacon is not what certificate %s signed", hash,
                        cert->hash);
        goto out;
    }
    rc = check_signed_part(cert, "cardano_database_merkle_root", root);
    if (rc != MTL_OK)
        rc = mtl_err_wrap(rc, "cardano database %s", hash);
out:
    json_decref(j);
    return rc;
}
