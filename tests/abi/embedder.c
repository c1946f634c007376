/* embedder.c - a program linked statically with libmithril.a that has
 * functions of its own named like libmithril's internals (stm_*, pm_*,
 * set_from_json, cert_parse_time, mtl_seterr) and like blst's (blst_p1_add,
 * add_mod_256, and ct_inverse_mod_256 of its assembly, which blst does not
 * hide). It links only if those names are local in the archive, and
 * its own functions are the ones it calls; the library still works
 * (keygen, proof of possession, registration: blst inside). */
#include <stdio.h>
#include <string.h>

#include "mithril/mithril.h"

int stm_tree_build(void);
int pm_from_json(void);
int set_from_json(void);
int cert_parse_time(void);
int mtl_seterr(void);
int blst_p1_add(void);
int add_mod_256(void);
int ct_inverse_mod_256(void);
int stm_tree_build(void)
{
    return 1;
}
int pm_from_json(void)
{
    return 2;
}
int set_from_json(void)
{
    return 3;
}
int cert_parse_time(void)
{
    return 4;
}
int mtl_seterr(void)
{
    return 5;
}
int blst_p1_add(void)
{
    return 6;
}
int add_mod_256(void)
{
    return 7;
}
int ct_inverse_mod_256(void)
{
    return 8;
}

int main(void)
{
    int mine = stm_tree_build() + pm_from_json() + set_from_json() + cert_parse_time() +
               mtl_seterr() + blst_p1_add() + add_mod_256() + ct_inverse_mod_256();
    if (mine != 36) {
        fprintf(stderr, "embedder: its own functions were not called (%d)\n", mine);
        return 1;
    }
    struct mtl_stm_params p = {.m = 10, .k = 2, .phi_f = 0.5};
    uint8_t seed[32];
    memset(seed, 7, sizeof(seed));
    struct mtl_stm_initializer *init = NULL;
    struct mtl_stm_keyreg *reg = NULL;
    char *vk = NULL;
    int ok = mtl_init() == MTL_OK && mtl_stm_initializer_new(&init, &p, 100, seed) == MTL_OK &&
             mtl_stm_initializer_vk_jsonhex(init, &vk) == MTL_OK &&
             mtl_stm_keyreg_new(&reg) == MTL_OK &&
             mtl_stm_keyreg_register_jsonhex(reg, 100, vk) == MTL_OK &&
             /* the same key again: the library's own error path */
             mtl_stm_keyreg_register_jsonhex(reg, 100, vk) == MTL_ERR_CONFLICT;
    if (!ok)
        fprintf(stderr, "embedder: libmithril failed: %s\n", mtl_err_detail());
    mtl_free(vk);
    mtl_stm_keyreg_free(reg);
    mtl_stm_initializer_free(init);
    printf("%s\n", ok ? "1 passed, 0 failed" : "0 passed, 1 failed");
    return ok ? 0 : 1;
}
