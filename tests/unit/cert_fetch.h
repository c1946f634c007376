/* cert_fetch.h - the chain walk's fetch callback over a JSON object of
 * certificates keyed by hash (the reference's certificates.json). */
#ifndef MTL_TEST_CERT_FETCH_H
#define MTL_TEST_CERT_FETCH_H

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/common_int.h"

static inline mtl_err fetch_from(void *ctx, const char *hash, char **json, size_t *len)
{
    json_t *c = json_object_get((json_t *)ctx, hash);
    if (!c)
        return mtl_seterr(MTL_ERR_NOT_FOUND, "no certificate %s", hash);
    char *s = json_dumps(c, JSON_COMPACT | JSON_PRESERVE_ORDER);
    *json = mtl_strdup(s);
    *len = strlen(s);
    free(s);
    return *json ? MTL_OK : MTL_ERR_NOMEM;
}

#endif
