/* bech32.c - BIP-173 bech32 encoding of Cardano pool ids: "pool1..." of the
 * 28-byte pool key hash (the reference's encode_bech32("pool", bytes)). */
#include <string.h>

#include "common/common_int.h"
#include "mithril/pool_identity.h"

static const char CHARSET[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

static uint32_t polymod_step(uint32_t chk, uint8_t v)
{
    static const uint32_t GEN[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
    uint8_t top = (uint8_t)(chk >> 25);
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (int i = 0; i < 5; i++)
        if ((top >> i) & 1)
            chk ^= GEN[i];
    return chk;
}

/* out gets hrp "1" data checksum; cap must fit it (hrp + 1 + ndata + 6 + NUL). */
static mtl_err bech32_encode(char *out, size_t cap, const char *hrp, const uint8_t *data,
                             size_t len)
{
    uint8_t five[128];
    size_t n5 = 0, hl = strlen(hrp);
    uint32_t acc = 0;
    int bits = 0;
    MTL_CHECK(len * 8 / 5 + 1 <= sizeof five, MTL_ERR_TOO_BIG, "bech32: %zu bytes is too long",
              len);
    for (size_t i = 0; i < len; i++) {
        acc = (acc << 8) | data[i];
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            five[n5++] = (uint8_t)((acc >> bits) & 31);
        }
    }
    if (bits)
        five[n5++] = (uint8_t)((acc << (5 - bits)) & 31);
    MTL_CHECK(hl + 1 + n5 + 6 + 1 <= cap, MTL_ERR_BUFFER_TOO_SMALL,
              "bech32: output needs %zu bytes", hl + n5 + 8);
    uint32_t chk = 1;
    for (size_t i = 0; i < hl; i++)
        chk = polymod_step(chk, (uint8_t)(hrp[i] >> 5));
    chk = polymod_step(chk, 0);
    for (size_t i = 0; i < hl; i++)
        chk = polymod_step(chk, (uint8_t)(hrp[i] & 31));
    for (size_t i = 0; i < n5; i++)
        chk = polymod_step(chk, five[i]);
    for (int i = 0; i < 6; i++)
        chk = polymod_step(chk, 0);
    chk ^= 1; /* bech32 (not bech32m) constant */
    char *o = out;
    memcpy(o, hrp, hl);
    o += hl;
    *o++ = '1';
    for (size_t i = 0; i < n5; i++)
        *o++ = CHARSET[five[i]];
    for (int i = 0; i < 6; i++)
        *o++ = CHARSET[(chk >> (5 * (5 - i))) & 31];
    *o = '\0';
    return MTL_OK;
}

mtl_err mtl_pool_id_bech32(const char *key_hash_hex, char out[MTL_POOL_ID_MAX])
{
    uint8_t kh[28];
    size_t n = 0;
    MTL_CHECK(key_hash_hex && out, MTL_ERR_INVALID_ARG, "pool id: NULL argument");
    size_t hl = strlen(key_hash_hex);
    MTL_CHECK(hl == 56 && mtl_hex_decode(kh, sizeof kh, &n, key_hash_hex, hl) == MTL_OK && n == 28,
              MTL_ERR_BAD_ENCODING, "pool id '%.80s': expected 56 hex digits (28-byte key hash)",
              key_hash_hex);
    return bech32_encode(out, 64, "pool", kh, sizeof kh);
}
