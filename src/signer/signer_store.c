/* signer_store.c - the signer's durable state, one small file per item in
 * DATA_STORES_DIRECTORY, each written atomically (temp + rename + fsync). */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "signer_int.h"

#define STORE_FILE_MAX (16u << 20)
/* The store's directory is at most this long (signer_store_init refuses
 * longer ones), so that its file names (under 64 bytes) fit in 4096. */
#define STORE_DIR_MAX (4096 - 64)

static void path_of(char *out, size_t cap, const char *dir, const char *what, uint64_t epoch,
                    const char *ext)
{
    int n = snprintf(out, cap, "%s/%s-%llu%s", dir, what, (unsigned long long)epoch, ext);
    MTL_ASSERT(n > 0 && (size_t)n < cap); /* STORE_DIR_MAX */
}

mtl_err signer_store_init(const char *dir)
{
    char tmp[4096];
    MTL_CHECK(strlen(dir) <= STORE_DIR_MAX, MTL_ERR_CONFIG,
              "DATA_STORES_DIRECTORY: longer than %d bytes: %.80s...", STORE_DIR_MAX, dir);
    MTL_TRY(mtl_path_fmt(tmp, sizeof(tmp), "%s", dir));
    for (char *p = tmp + 1; *p; p++) /* mkdir -p */
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
                return mtl_seterr(MTL_ERR_IO, "mkdir %s: %s", tmp, strerror(errno));
            *p = '/';
        }
    if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
        return mtl_seterr(MTL_ERR_IO, "mkdir %s: %s", tmp, strerror(errno));
    return MTL_OK;
}

mtl_err signer_store_get_initializer(const char *dir, uint64_t epoch,
                                     struct mtl_stm_initializer **out)
{
    char p[4096];
    path_of(p, sizeof(p), dir, "protocol_initializer", epoch, ".key");
    *out = NULL;
    struct stat st;
    if (stat(p, &st) != 0) {
        if (errno == ENOENT)
            return MTL_OK;
        return mtl_seterr(MTL_ERR_IO, "stat %s: %s", p, strerror(errno));
    }
    /* A key readable by others is not trusted to be secret any more. */
    MTL_CHECK((st.st_mode & 077) == 0, MTL_ERR_STATE,
              "%s: mode %03o, expected 0600 (secret key exposed?)", p,
              (unsigned)(st.st_mode & 0777));
    uint8_t *data = NULL;
    size_t len = 0;
    MTL_TRY(mtl_read_file(p, 4096, &data, &len));
    mtl_err e = mtl_stm_initializer_import(out, data, len);
    mtl_stm_secret_free(data, len);
    if (e != MTL_OK)
        return mtl_err_wrap(e, "protocol initializer %s", p);
    return MTL_OK;
}

mtl_err signer_store_put_initializer(const char *dir, uint64_t epoch,
                                     const struct mtl_stm_initializer *init)
{
    char p[4096];
    path_of(p, sizeof(p), dir, "protocol_initializer", epoch, ".key");
    uint8_t *bytes = NULL;
    size_t len = 0;
    MTL_TRY(mtl_stm_initializer_export(init, &bytes, &len));
    mtl_err e = mtl_atomic_write(p, bytes, len, 0600);
    mtl_stm_secret_free(bytes, len);
    return e;
}

int signer_store_is_registered(const char *dir, uint64_t epoch)
{
    char p[4096];
    path_of(p, sizeof(p), dir, "registered", epoch, "");
    return access(p, F_OK) == 0;
}

mtl_err signer_store_mark_registered(const char *dir, uint64_t epoch)
{
    char p[4096];
    path_of(p, sizeof(p), dir, "registered", epoch, "");
    return mtl_atomic_write(p, "", 0, 0600);
}

static mtl_err load_json(const char *p, json_t **out)
{
    *out = NULL;
    uint8_t *data = NULL;
    size_t len = 0;
    if (access(p, F_OK) != 0)
        return MTL_OK;
    MTL_TRY(mtl_read_file(p, STORE_FILE_MAX, &data, &len));
    json_error_t je;
    *out = json_loadb((const char *)data, len, 0, &je);
    mtl_free(data);
    MTL_CHECK(*out, MTL_ERR_BAD_ENCODING, "%s: invalid JSON: %s", p, je.text);
    return MTL_OK;
}

static mtl_err save_json(const char *p, const json_t *j)
{
    char *txt = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    MTL_CHECK(txt, MTL_ERR_NOMEM, "out of memory");
    mtl_err e = mtl_atomic_write(p, txt, strlen(txt), 0600);
    free(txt);
    return e;
}

mtl_err signer_store_get_stakes(const char *dir, uint64_t epoch, json_t **out)
{
    char p[4096];
    path_of(p, sizeof(p), dir, "stakes", epoch, ".json");
    MTL_TRY(load_json(p, out));
    if (*out && !json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        return mtl_seterr(MTL_ERR_BAD_ENCODING, "%s: expected an object", p);
    }
    return MTL_OK;
}

mtl_err signer_store_put_stakes(const char *dir, uint64_t epoch, json_t *stakes)
{
    char p[4096];
    path_of(p, sizeof(p), dir, "stakes", epoch, ".json");
    return save_json(p, stakes);
}

int signer_store_is_signed(const char *dir, uint64_t epoch, const char *entity_json)
{
    char p[4096];
    path_of(p, sizeof(p), dir, "signed", epoch, ".json");
    json_t *arr = NULL;
    if (load_json(p, &arr) != MTL_OK || !json_is_array(arr)) {
        json_decref(arr);
        return 0;
    }
    size_t i;
    json_t *v;
    int found = 0;
    json_array_foreach(arr, i, v) found |=
        json_is_string(v) && strcmp(json_string_value(v), entity_json) == 0;
    json_decref(arr);
    return found;
}

mtl_err signer_store_mark_signed(const char *dir, uint64_t epoch, const char *entity_json)
{
    char p[4096];
    path_of(p, sizeof(p), dir, "signed", epoch, ".json");
    json_t *arr = NULL;
    MTL_TRY(load_json(p, &arr));
    if (!json_is_array(arr)) { /* absent or damaged: start over (may re-sign once) */
        json_decref(arr);
        arr = json_array();
    }
    mtl_err e = arr && json_array_append_new(arr, json_string(entity_json)) == 0
                    ? save_json(p, arr)
                    : mtl_seterr(MTL_ERR_NOMEM, "out of memory");
    json_decref(arr);
    return e;
}

mtl_err signer_store_prune(const char *dir, uint64_t current, uint64_t retention, unsigned *removed)
{
    *removed = 0;
    DIR *d = opendir(dir);
    MTL_CHECK(d, MTL_ERR_IO, "opendir %s: %s", dir, strerror(errno));
    /* Signing at epoch e uses the key stored under e-1 and the next AVK the
     * one under e: keys below e-1 are of no further use. */
    uint64_t key_floor = current >= 1 ? current - 1 : 0;
    uint64_t data_floor = retention && current > retention ? current - retention : 0;
    struct dirent *de;
    mtl_err e = MTL_OK;
    while ((de = readdir(d))) {
        static const struct {
            const char *prefix;
            int secret;
        } kinds[] = {
            {"protocol_initializer-", 1}, {"registered-", 1}, {"stakes-", 0}, {"signed-", 0}};
        for (size_t k = 0; k < MTL_ARRAY_LEN(kinds); k++) {
            size_t pl = strlen(kinds[k].prefix);
            if (strncmp(de->d_name, kinds[k].prefix, pl) != 0)
                continue;
            char *end = NULL;
            unsigned long long ep = strtoull(de->d_name + pl, &end, 10);
            if (end == de->d_name + pl)
                continue;
            uint64_t floor = kinds[k].secret ? key_floor : data_floor;
            if (ep >= floor)
                continue;
            char p[4096];
            if (mtl_path_fmt(p, sizeof(p), "%s/%s", dir, de->d_name) == MTL_OK && unlink(p) == 0)
                (*removed)++;
            else if (e == MTL_OK)
                e = mtl_seterr(MTL_ERR_IO, "unlink %s: %s", p, strerror(errno));
        }
    }
    closedir(d);
    return e;
}
