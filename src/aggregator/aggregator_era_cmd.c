/* aggregator_era_cmd.c - `era list | generate-keypair | generate-tx-datum`
 * (reference mithril-aggregator commands/era_command.rs, tools/era.rs): the
 * supported eras, an era key, and the signed markers datum an operator puts
 * on chain at the era address (cardano-cli --tx-out-inline-datum-file). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "aggregator_int.h"
#include "common/common_int.h"
#include "log.h"
#include "settings.h"

static int era_list(int argc, char **argv)
{
    int json = argc == 1 && strcmp(argv[0], "--json") == 0;
    if (argc > 1 || (argc == 1 && !json)) {
        fprintf(stderr, "usage: mithril-aggregator era list [--json]\n");
        return 2;
    }
    size_t n = mtl_era_supported_count();
    if (json) {
        printf("[");
        for (size_t i = 0; i < n; i++)
            printf("%s\"%s\"", i ? "," : "", mtl_era_supported_name(i));
        printf("]\n");
        return 0;
    }
    /* The reference prints Rust's pretty Debug form of its enum. */
    printf("Supported Eras:\n[\n");
    for (size_t i = 0; i < n; i++) {
        const char *name = mtl_era_supported_name(i);
        printf("    %c%s,\n", toupper((unsigned char)name[0]), name + 1);
    }
    printf("]\n");
    return 0;
}

static int era_keypair(int argc, char **argv)
{
    if (argc != 2 || strcmp(argv[0], "--target-path") != 0) {
        fprintf(stderr, "usage: mithril-aggregator era generate-keypair --target-path DIR\n");
        return 2;
    }
    printf("Era generate keypair to %s\n", argv[1]);
    return agg_keypair_write(argv[1], "era", ".vk");
}

/* The settings of generate-tx-datum, as texts: checked in tx_datum. */
struct datum_args {
    const char *current, *next, *sk;
};
#define MTL_SETTINGS_CFG struct datum_args
static const struct app_setting DATUM_SETTINGS[] = {
    SET_STR(current, "--current-era-epoch", "CURRENT_ERA_EPOCH", "", 0,
            "first epoch of the current era"),
    SET_STR(next, "--next-era-epoch", "NEXT_ERA_EPOCH", "", 0,
            "first epoch of the next era, if decided"),
    SET_STR(sk, "--era-markers-secret-key", "ERA_MARKERS_SECRET_KEY", "", 0,
            "era secret key (JSON-hex)"),
};

/* The markers: the first supported era from the current era epoch, the next
 * one from the next era epoch (null when not decided), signed, in a datum. */
static mtl_err tx_datum(const struct datum_args *v, char **datum)
{
    uint64_t cur, next = 0;
    uint8_t sk[MTL_ERA_SK_BYTES];
    char *payload = NULL;
    MTL_CHECK(v->current[0], MTL_ERR_CONFIG, "--current-era-epoch (CURRENT_ERA_EPOCH): required");
    MTL_CHECK(v->sk[0], MTL_ERR_CONFIG,
              "--era-markers-secret-key (ERA_MARKERS_SECRET_KEY): required");
    MTL_TRY(app_settings_u64("--current-era-epoch", v->current, INT64_MAX, &cur));
    if (v->next[0]) {
        MTL_TRY(app_settings_u64("--next-era-epoch", v->next, INT64_MAX, &next));
        MTL_CHECK(next > cur, MTL_ERR_CONFIG,
                  "next era epoch must be strictly greater than the current era epoch (%llu <= "
                  "%llu)",
                  (unsigned long long)next, (unsigned long long)cur);
    }
    MTL_CHECK(mtl_era_supported_count() == 2, MTL_ERR_INTERNAL,
              "too many eras retrieved, can't generate tx datum");
    struct mtl_era_marker m[2] = {{.has_epoch = 1, .epoch = cur},
                                  {.has_epoch = v->next[0] != '\0', .epoch = next}};
    snprintf(m[0].name, sizeof(m[0].name), "%s", mtl_era_supported_name(0));
    snprintf(m[1].name, sizeof(m[1].name), "%s", mtl_era_supported_name(1));
    mtl_err e = mtl_genesis_vkey_decode(sk, v->sk);
    if (e != MTL_OK)
        return mtl_err_wrap(MTL_ERR_CONFIG, "--era-markers-secret-key: not a JSON-hex Ed25519 key");
    e = mtl_era_payload_sign(&payload, m, 2, sk);
    mtl_memzero(sk, sizeof(sk));
    if (e == MTL_OK)
        e = mtl_era_tx_datum_build(datum, payload);
    mtl_free(payload);
    return e;
}

static int era_tx_datum(int argc, char **argv)
{
    struct datum_args v = {"", "", ""};
    const char *target = NULL;
    char *datum = NULL;
    /* --target-path has no environment variable (as in the reference). */
    for (int i = 0; i + 1 < argc; i++)
        if (strcmp(argv[i], "--target-path") == 0) {
            target = argv[i + 1];
            memmove(&argv[i], &argv[i + 2], sizeof(char *) * (size_t)(argc - i - 2));
            argc -= 2;
            break;
        }
    mtl_err e = app_settings_load(DATUM_SETTINGS, MTL_ARRAY_LEN(DATUM_SETTINGS), &v, argc, argv, 0);
    if (e == MTL_OK && !target)
        e = mtl_seterr(MTL_ERR_CONFIG, "--target-path: required");
    if (e == MTL_OK)
        e = tx_datum(&v, &datum);
    if (e == MTL_OK)
        e = mtl_atomic_write(target, datum, strlen(datum), 0644);
    mtl_free(datum);
    if (e != MTL_OK) {
        fprintf(stderr, "mithril-aggregator era generate-tx-datum: %s\n", mtl_err_detail());
        return e == MTL_ERR_CONFIG ? 2 : 1;
    }
    return 0;
}

int agg_cmd_era(int argc, char **argv)
{
    const char *sub = argc >= 1 ? argv[0] : "";
    if (strcmp(sub, "list") == 0)
        return era_list(argc - 1, argv + 1);
    if (strcmp(sub, "generate-keypair") == 0)
        return era_keypair(argc - 1, argv + 1);
    if (strcmp(sub, "generate-tx-datum") == 0)
        return era_tx_datum(argc - 1, argv + 1);
    fprintf(stderr, "usage: mithril-aggregator era list [--json] | generate-keypair --target-path"
                    " DIR | generate-tx-datum --current-era-epoch E [--next-era-epoch N]"
                    " --era-markers-secret-key JSON_HEX --target-path F\n");
    return 2;
}
