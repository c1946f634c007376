/*
 * mithril/util.h - small helpers every module uses: memory, secrets, hex,
 * JSON-hex (hex of a JSON text, the reference's encoding of keys and
 * signatures), JSON byte arrays, atomic file writes.
 */
#ifndef MITHRIL_UTIL_H
#define MITHRIL_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "mithril/err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Initialise libmithril (libsodium, CPU feature probes). Idempotent,
 * thread-safe; call once before anything else. */
MTL_API mtl_err mtl_init(void);

/* Version string of libmithril, e.g. "0.1.0". */
MTL_API const char *mtl_version(void);

/* Heap wrappers: all libmithril allocations go through these (tests can
 * inject failures with mtl_alloc_fail_after). mtl_free(NULL) is a no-op. */
MTL_API void *mtl_malloc(size_t n);
MTL_API void *mtl_calloc(size_t count, size_t size);
MTL_API void *mtl_realloc(void *p, size_t n);
MTL_API void mtl_free(void *p);
MTL_API char *mtl_strdup(const char *s);
MTL_API char *mtl_strndup(const char *s, size_t n);
/* Make the Nth next allocation (0 = the very next one) and all later ones
 * fail; -1 turns failure injection off. For tests only. */
MTL_API void mtl_alloc_fail_after(long n);

/* Wipe a secret; never optimised away (sodium_memzero). */
MTL_API void mtl_memzero(void *p, size_t n);
/* Constant-time comparison: 0 when equal. */
MTL_API int mtl_memcmp_ct(const void *a, const void *b, size_t n);

/* Lower-case hex. out must hold 2*len+1 bytes (NUL-terminated). */
MTL_API mtl_err mtl_hex_encode(char *out, size_t outcap, const uint8_t *in, size_t len);
/* Decode hex (either case). Fails on odd length, non-hex chars, or when the
 * output would exceed outcap. *outlen receives the decoded length. */
MTL_API mtl_err mtl_hex_decode(uint8_t *out, size_t outcap, size_t *outlen,
                               const char *hex, size_t hexlen);
/* Allocating variants (free with mtl_free). */
MTL_API mtl_err mtl_hex_encode_alloc(char **out, const uint8_t *in, size_t len);
MTL_API mtl_err mtl_hex_decode_alloc(uint8_t **out, size_t *outlen, const char *hex,
                                     size_t hexlen);

/* JSON-hex: hex of a JSON text. Decoding gives the JSON text (NUL-terminated,
 * free with mtl_free); encoding takes a JSON text. */
MTL_API mtl_err mtl_jsonhex_decode(char **json_text, size_t *json_len, const char *hex);
MTL_API mtl_err mtl_jsonhex_encode(char **hex, const char *json_text, size_t json_len);

/* Serde's shape of a byte array: "[1,2,3]" (no spaces). bytes_to_json writes
 * into a new string (free with mtl_free). bytes_from_json parses exactly
 * `expected` numbers 0..255 (expected 0 = any count up to outcap). */
MTL_API mtl_err mtl_json_bytes_encode(char **json_text, const uint8_t *in, size_t len);
MTL_API mtl_err mtl_json_bytes_decode(uint8_t *out, size_t outcap, size_t *outlen,
                                      const char *json_text, size_t expected);

/* Write a whole file atomically: temp file in the same directory, fsync,
 * rename over path, fsync the directory. mode e.g. 0600 for secrets, 0644. */
MTL_API mtl_err mtl_atomic_write(const char *path, const void *data, size_t len,
                                 unsigned mode);
/* Read a whole file (free with mtl_free); fails past max bytes. The result is
 * NUL-terminated (not counted in *len). */
MTL_API mtl_err mtl_read_file(const char *path, size_t max, uint8_t **data, size_t *len);

#ifdef __cplusplus
}
#endif
#endif
