/* genesis.c - Ed25519 genesis keys (libsodium), in the reference's JSON-hex
 * form: hex of the serde JSON array of the 32 key bytes. */
#include <ctype.h>
#include <sodium.h>

#include "cert_int.h"

mtl_err mtl_genesis_vkey_decode(uint8_t vk[MTL_GENESIS_VK_BYTES], const char *text)
{
    size_t n = strlen(text);
    while (n && isspace((unsigned char)text[n - 1]))
        n--;
    while (n && isspace((unsigned char)*text))
        text++, n--;
    char *trimmed = mtl_strndup(text, n), *json;
    MTL_CHECK(trimmed, MTL_ERR_NOMEM, "genesis key: out of memory");
    /* The same text form holds secret keys: wipe the copies. */
    mtl_err rc = mtl_jsonhex_decode(&json, NULL, trimmed);
    mtl_memzero(trimmed, n);
    mtl_free(trimmed);
    if (rc != MTL_OK)
        return mtl_err_wrap(rc, "genesis key");
    size_t got;
    rc = mtl_json_bytes_decode(vk, MTL_GENESIS_VK_BYTES, &got, json, MTL_GENESIS_VK_BYTES);
    mtl_memzero(json, strlen(json));
    mtl_free(json);
    if (rc != MTL_OK)
        return mtl_err_wrap(rc, "genesis key");
    return MTL_OK;
}

mtl_err mtl_genesis_key_encode(char **text, const uint8_t key[32])
{
    char *json;
    MTL_TRY(mtl_json_bytes_encode(&json, key, 32));
    mtl_err rc = mtl_jsonhex_encode(text, json, strlen(json));
    mtl_memzero(json, strlen(json));
    mtl_free(json);
    return rc;
}

void mtl_genesis_keypair(uint8_t sk[MTL_GENESIS_SK_BYTES], uint8_t vk[MTL_GENESIS_VK_BYTES])
{
    uint8_t full[crypto_sign_SECRETKEYBYTES];
    randombytes_buf(sk, MTL_GENESIS_SK_BYTES);
    crypto_sign_seed_keypair(vk, full, sk);
    mtl_memzero(full, sizeof(full));
}

mtl_err mtl_genesis_sign(uint8_t sig[MTL_GENESIS_SIG_BYTES], const uint8_t sk[MTL_GENESIS_SK_BYTES],
                         const uint8_t *msg, size_t len)
{
    uint8_t pk[crypto_sign_PUBLICKEYBYTES], full[crypto_sign_SECRETKEYBYTES];
    crypto_sign_seed_keypair(pk, full, sk);
    int r = crypto_sign_detached(sig, NULL, msg, len, full);
    mtl_memzero(full, sizeof(full));
    MTL_CHECK(r == 0, MTL_ERR_INTERNAL, "genesis: signing failed");
    return MTL_OK;
}

mtl_err mtl_genesis_verify(const uint8_t vk[MTL_GENESIS_VK_BYTES],
                           const uint8_t sig[MTL_GENESIS_SIG_BYTES], const uint8_t *msg, size_t len)
{
    MTL_CHECK(crypto_sign_verify_detached(sig, msg, len, vk) == 0, MTL_ERR_VERIFY_FAIL,
              "genesis signature does not verify with the genesis verification key");
    return MTL_OK;
}
