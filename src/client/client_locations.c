/* client_locations.c - the locations of an artifact part (immutables,
 * ancillary, digests), tried in the artifact's order: each failed location
 * is announced with its URL and why, and the error when all fail lists
 * every one of them (the reference tries them all too). */
#include <stdio.h>
#include <string.h>

#include "client_services.h"

size_t client_locations(const json_t *art, const char *part, int templated, const char **out,
                        size_t cap)
{
    size_t i, n = 0;
    json_t *loc;
    json_array_foreach(json_object_get(json_object_get(art, part), "locations"), i, loc)
    {
        const char *type = json_string_value(json_object_get(loc, "type"));
        json_t *uri = json_object_get(loc, "uri");
        const char *u = json_string_value(templated ? json_object_get(uri, "Template") : uri);
        /* the reference drops the location types it does not know */
        if (!u || !type || (strcmp(type, "cloud_storage") != 0 && strcmp(type, "aggregator") != 0))
            continue;
        if (n < cap)
            out[n++] = u;
    }
    return n;
}

void client_loc_failed(struct client_loc_errors *le, const struct client_events *ev,
                       const char *what, const char *url, int more)
{
    const char *why = mtl_err_detail();
    if (le->tried++ == 0)
        snprintf(le->first, sizeof(le->first), "%s", why);
    if (le->used < sizeof(le->msg))
        le->used +=
            (size_t)snprintf(le->msg + le->used, sizeof(le->msg) - le->used, "%s[%d] %s: %s",
                             le->tried > 1 ? "; " : "", le->tried, url, why);
    if (more)
        client_emitf(ev, CLIENT_EVENT_WARNING, 0,
                     "%s: location %s failed (%s); trying the next one", what, url, why);
}

mtl_err client_loc_all_failed(const struct client_loc_errors *le, mtl_err code, const char *what)
{
    if (le->tried == 0)
        return mtl_seterr(MTL_ERR_NOT_FOUND, "%s: the artifact lists no usable location", what);
    if (le->tried == 1) /* one location: its own error as it was */
        return mtl_seterr(code, "%s", le->first);
    return mtl_seterr(code, "%s: all %d locations failed: %s", what, le->tried, le->msg);
}
