/*
 * The wasm build's stand-in for <openssl/evp.h>: the few EVP digest calls
 * libmithril makes (SHA-256 and BLAKE2s-256), answered by libsodium's
 * crypto_hash_sha256 and libb2's BLAKE2s (both Debian sources, see
 * wasm/deps.lock). Building OpenSSL's libcrypto with emcc took over an hour
 * here for two digests and a bignum; the native build is unchanged.
 */
#ifndef MTL_WASM_COMPAT_EVP_H
#define MTL_WASM_COMPAT_EVP_H

#include <stddef.h>

typedef struct evp_md_st EVP_MD;
typedef struct evp_md_ctx_st EVP_MD_CTX;
typedef struct engine_st ENGINE;
typedef struct ossl_lib_ctx_st OSSL_LIB_CTX;
typedef struct ossl_param_st OSSL_PARAM;

const EVP_MD *EVP_sha256(void);
/* Only "BLAKE2S-256" (and "SHA256") are known; NULL otherwise. */
EVP_MD *EVP_MD_fetch(OSSL_LIB_CTX *libctx, const char *name, const char *props);
EVP_MD_CTX *EVP_MD_CTX_new(void);
void EVP_MD_CTX_free(EVP_MD_CTX *ctx);
int EVP_DigestInit_ex(EVP_MD_CTX *ctx, const EVP_MD *md, ENGINE *impl);
int EVP_DigestInit_ex2(EVP_MD_CTX *ctx, const EVP_MD *md, const OSSL_PARAM *params);
int EVP_DigestUpdate(EVP_MD_CTX *ctx, const void *d, size_t n);
int EVP_DigestFinal_ex(EVP_MD_CTX *ctx, unsigned char *md, unsigned int *s);
int EVP_Digest(const void *data, size_t count, unsigned char *md, unsigned int *size,
               const EVP_MD *type, ENGINE *impl);

#endif
