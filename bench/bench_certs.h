/* bench_certs.h - the chain walk's fetch callback over a JSON object of
 * certificates keyed by hash (the reference's certificates.json). */
#ifndef MTL_BENCH_CERTS_H
#define MTL_BENCH_CERTS_H

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "mithril/mithril.h"

static inline mtl_err bench_fetch(void *ctx, const char *hash, char **json, size_t *len)
{
    json_t *c = json_object_get((json_t *)ctx, hash);
    if (!c)
        return MTL_ERR_NOT_FOUND;
    char *s = json_dumps(c, JSON_COMPACT);
    *json = mtl_strdup(s);
    *len = strlen(s);
    free(s);
    return *json ? MTL_OK : MTL_ERR_NOMEM;
}

#endif
