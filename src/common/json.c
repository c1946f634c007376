/* json.c - JSON text with the shortest round-trip rendering of reals. */
#include "common/json_int.h"

#include <stdio.h>
#include <stdlib.h>

/* Does every real under j read back unchanged when printed with prec
 * significant digits? */
static int reals_round_trip(const json_t *j, int prec)
{
    if (json_is_real(j)) {
        char txt[40];
        double v = json_real_value(j);
        snprintf(txt, sizeof(txt), "%.*g", prec, v);
        return strtod(txt, NULL) == v;
    }
    if (json_is_object(j)) {
        const char *key;
        const json_t *v;
        json_object_foreach((json_t *)j, key, v) if (!reals_round_trip(v, prec)) return 0;
        return 1;
    }
    if (json_is_array(j)) {
        size_t i;
        const json_t *v;
        json_array_foreach(j, i, v) if (!reals_round_trip(v, prec)) return 0;
    }
    return 1;
}

char *mtl_json_dumps(const json_t *j, size_t flags)
{
    int prec = 1;
    while (prec < 17 && !reals_round_trip(j, prec))
        prec++;
    return json_dumps(j, flags | JSON_REAL_PRECISION(prec));
}
