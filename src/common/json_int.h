/*
 * json_int.h - one rendering of JSON numbers for every document we emit
 * (not installed).
 */
#ifndef MTL_JSON_INT_H
#define MTL_JSON_INT_H

#include <stddef.h>

#include <jansson.h>

/* json_dumps() with the reals written as the reference's serializer writes
 * them (serde_json: the shortest text that reads back as the same double,
 * so 0.95 and not 0.94999999999999996). jansson takes one precision per
 * dump: the smallest one that round-trips every real of the document is
 * used, which is each real's shortest form as long as it needs at most 15
 * digits (any precision <= 15 gives back such a decimal unchanged). flags
 * must not carry a JSON_REAL_PRECISION. Returns NULL when out of memory. */
char *mtl_json_dumps(const json_t *j, size_t flags);

#endif
