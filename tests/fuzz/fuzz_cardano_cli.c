/* fuzz_cardano_cli.c - the chain observer's parsers of cardano-cli's stdout
 * never crash, and what they accept is well formed: a tip's hash is "" or
 * 64 lowercase hex digits, a stake snapshot's pools are bech32 pool1 ids
 * with stake, a stake-distribution table's rows are plausible pool1 ids.
 * Input: one byte choosing the command (0: query tip, 1: stake-snapshot
 * --all-stake-pools, 2: stake-distribution), then its stdout. */
#include <string.h>

#include "chain_observer.h"
#include "common/common_int.h"

static const char *const cmds[] = {"cardano-cli latest query tip",
                                   "cardano-cli latest query stake-snapshot --all-stake-pools",
                                   "cardano-cli latest query stake-distribution"};

static void check_tip(const char *out)
{
    struct app_chain_tip t;
    if (app_cli_tip_parse(cmds[0], out, &t) != MTL_OK) {
        MTL_ASSERT(strstr(mtl_err_detail(), cmds[0])); /* the error names the command */
        return;
    }
    size_t h = strlen(t.hash);
    MTL_ASSERT(h == 0 || (h == 64 && strspn(t.hash, "0123456789abcdef") == 64));
    MTL_ASSERT(strlen(t.era) < sizeof(t.era));
}

static void check_snapshot(const char *out)
{
    struct app_pool_stake *p;
    size_t n;
    if (app_cli_stake_snapshot_parse(cmds[1], out, &p, &n) != MTL_OK) {
        MTL_ASSERT(!p && n == 0);
        return;
    }
    for (size_t i = 0; i < n; i++)
        MTL_ASSERT(strncmp(p[i].pool_id, "pool1", 5) == 0 && p[i].stake > 0);
    mtl_free(p);
}

/* Each row's id; the third refused, to check a refusal stops the table. */
static mtl_err on_row(void *ud, const char *id)
{
    size_t *rows = ud;
    MTL_ASSERT(strncmp(id, "pool1", 5) == 0 && strlen(id) < 64);
    if (++*rows == 3)
        return mtl_seterr(MTL_ERR_EXTERNAL, "row refused");
    return MTL_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    char *out = mtl_strndup((const char *)data + 1, size - 1);
    if (!out)
        return 0;
    size_t rows = 0;
    switch (data[0] % 3) {
    case 0:
        check_tip(out);
        break;
    case 1:
        check_snapshot(out);
        break;
    default:
        if (app_cli_stake_table_parse(cmds[2], out, on_row, &rows) == MTL_OK)
            MTL_ASSERT(rows < 3);
        else if (rows == 3)
            MTL_ASSERT(strcmp(mtl_err_detail(), "row refused") == 0);
    }
    mtl_free(out);
    return 0;
}
