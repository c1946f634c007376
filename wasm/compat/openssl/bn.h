/*
 * The wasm build's stand-in for <openssl/bn.h>: the bignum calls of the
 * lottery's exact replay (src/stm/eligibility.c) on GMP's mini-gmp (Debian's
 * gmp source, see wasm/deps.lock). Only what that file uses; BN_ULONG is 64
 * bits as on the native x86-64 build, so BN_set_word keeps a 53-bit mantissa.
 */
#ifndef MTL_WASM_COMPAT_BN_H
#define MTL_WASM_COMPAT_BN_H

#include <stdint.h>

typedef uint64_t BN_ULONG;
typedef struct bignum_st BIGNUM;
typedef struct bignum_ctx BN_CTX;

BN_CTX *BN_CTX_new(void);
void BN_CTX_free(BN_CTX *ctx);
BIGNUM *BN_new(void);
void BN_free(BIGNUM *a);
BIGNUM *BN_copy(BIGNUM *to, const BIGNUM *from);
void BN_zero(BIGNUM *a);
int BN_one(BIGNUM *a);
int BN_set_word(BIGNUM *a, BN_ULONG w);
int BN_set_bit(BIGNUM *a, int n);
BIGNUM *BN_bin2bn(const unsigned char *s, int len, BIGNUM *ret);
int BN_add(BIGNUM *r, const BIGNUM *a, const BIGNUM *b);
int BN_sub(BIGNUM *r, const BIGNUM *a, const BIGNUM *b);
int BN_mul(BIGNUM *r, const BIGNUM *a, const BIGNUM *b, BN_CTX *ctx);
int BN_mul_word(BIGNUM *a, BN_ULONG w);
int BN_lshift(BIGNUM *r, const BIGNUM *a, int n);
int BN_cmp(const BIGNUM *a, const BIGNUM *b);

#endif
