/*
 * <openssl/evp.h> and <openssl/bn.h> for the wasm build (see those headers):
 * digests dispatched to libsodium (SHA-256) and libb2 (BLAKE2s-256), bignums
 * on mini-gmp. No cryptography here, only the calls' plumbing.
 */
#include <stdlib.h>
#include <string.h>

#include <blake2.h>
#include <mini-gmp.h>
#include <sodium.h>

#include "openssl/bn.h"
#include "openssl/evp.h"

/* ---- digests ---- */
enum md_kind { MD_SHA256 = 1, MD_BLAKE2S256 = 2 };
struct evp_md_st {
    enum md_kind kind;
};
struct evp_md_ctx_st {
    enum md_kind kind;
    union {
        crypto_hash_sha256_state sha256;
        blake2s_state blake2s;
    } u;
};

static const EVP_MD md_sha256 = {MD_SHA256};
static EVP_MD md_blake2s = {MD_BLAKE2S256};

const EVP_MD *EVP_sha256(void)
{
    return &md_sha256;
}

EVP_MD *EVP_MD_fetch(OSSL_LIB_CTX *libctx, const char *name, const char *props)
{
    (void)libctx, (void)props;
    return name && strcmp(name, "BLAKE2S-256") == 0 ? &md_blake2s : NULL;
}

EVP_MD_CTX *EVP_MD_CTX_new(void)
{
    return calloc(1, sizeof(EVP_MD_CTX));
}

void EVP_MD_CTX_free(EVP_MD_CTX *ctx)
{
    if (ctx)
        sodium_memzero(ctx, sizeof *ctx);
    free(ctx);
}

int EVP_DigestInit_ex(EVP_MD_CTX *ctx, const EVP_MD *md, ENGINE *impl)
{
    (void)impl;
    if (!ctx || !md)
        return 0;
    ctx->kind = md->kind;
    if (md->kind == MD_SHA256)
        return crypto_hash_sha256_init(&ctx->u.sha256) == 0;
    return blake2s_init(&ctx->u.blake2s, BLAKE2S_OUTBYTES) == 0;
}

int EVP_DigestInit_ex2(EVP_MD_CTX *ctx, const EVP_MD *md, const OSSL_PARAM *params)
{
    (void)params;
    return EVP_DigestInit_ex(ctx, md, NULL);
}

int EVP_DigestUpdate(EVP_MD_CTX *ctx, const void *d, size_t n)
{
    if (ctx->kind == MD_SHA256)
        return crypto_hash_sha256_update(&ctx->u.sha256, d, n) == 0;
    return blake2s_update(&ctx->u.blake2s, d, n) == 0;
}

int EVP_DigestFinal_ex(EVP_MD_CTX *ctx, unsigned char *md, unsigned int *s)
{
    int ok;
    if (ctx->kind == MD_SHA256)
        ok = crypto_hash_sha256_final(&ctx->u.sha256, md) == 0;
    else
        ok = blake2s_final(&ctx->u.blake2s, md, BLAKE2S_OUTBYTES) == 0;
    if (s)
        *s = ok ? 32 : 0;
    return ok;
}

int EVP_Digest(const void *data, size_t count, unsigned char *md, unsigned int *size,
               const EVP_MD *type, ENGINE *impl)
{
    EVP_MD_CTX ctx;
    int ok = EVP_DigestInit_ex(&ctx, type, impl) && EVP_DigestUpdate(&ctx, data, count) &&
             EVP_DigestFinal_ex(&ctx, md, size);
    sodium_memzero(&ctx, sizeof ctx);
    return ok;
}

/* ---- bignums ---- */
struct bignum_st {
    mpz_t z;
};
struct bignum_ctx {
    int unused;
};

BN_CTX *BN_CTX_new(void)
{
    return calloc(1, sizeof(BN_CTX));
}

void BN_CTX_free(BN_CTX *ctx)
{
    free(ctx);
}

BIGNUM *BN_new(void)
{
    BIGNUM *a = malloc(sizeof *a);
    if (a)
        mpz_init(a->z);
    return a;
}

void BN_free(BIGNUM *a)
{
    if (!a)
        return;
    mpz_clear(a->z);
    free(a);
}

BIGNUM *BN_copy(BIGNUM *to, const BIGNUM *from)
{
    mpz_set(to->z, from->z);
    return to;
}

void BN_zero(BIGNUM *a)
{
    mpz_set_ui(a->z, 0);
}

int BN_one(BIGNUM *a)
{
    mpz_set_ui(a->z, 1);
    return 1;
}

/* mini-gmp's unsigned long is 32 bits on wasm32: the word goes in as bytes. */
int BN_set_word(BIGNUM *a, BN_ULONG w)
{
    mpz_import(a->z, 1, 1, sizeof w, 0, 0, &w);
    return 1;
}

int BN_set_bit(BIGNUM *a, int n)
{
    mpz_setbit(a->z, (mp_bitcnt_t)n);
    return 1;
}

BIGNUM *BN_bin2bn(const unsigned char *s, int len, BIGNUM *ret)
{
    mpz_import(ret->z, (size_t)len, 1, 1, 1, 0, s);
    return ret;
}

int BN_add(BIGNUM *r, const BIGNUM *a, const BIGNUM *b)
{
    mpz_add(r->z, a->z, b->z);
    return 1;
}

int BN_sub(BIGNUM *r, const BIGNUM *a, const BIGNUM *b)
{
    mpz_sub(r->z, a->z, b->z);
    return 1;
}

int BN_mul(BIGNUM *r, const BIGNUM *a, const BIGNUM *b, BN_CTX *ctx)
{
    (void)ctx;
    mpz_mul(r->z, a->z, b->z);
    return 1;
}

int BN_mul_word(BIGNUM *a, BN_ULONG w)
{
    BIGNUM t;
    mpz_init(t.z);
    BN_set_word(&t, w);
    mpz_mul(a->z, a->z, t.z);
    mpz_clear(t.z);
    return 1;
}

int BN_lshift(BIGNUM *r, const BIGNUM *a, int n)
{
    mpz_mul_2exp(r->z, a->z, (mp_bitcnt_t)n);
    return 1;
}

int BN_cmp(const BIGNUM *a, const BIGNUM *b)
{
    int c = mpz_cmp(a->z, b->z);
    return (c > 0) - (c < 0);
}
