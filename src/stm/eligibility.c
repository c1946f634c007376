/* eligibility.c - the lottery. The reference decides "won" by comparing
 * q = 2^512 / (2^512 - ev) with exp(x), x = -(stake/total) * ln(1 - phi_f),
 * through a Taylor expansion on exact rationals with an error term 3*|next
 * term| and at most 1000 steps (mithril-stm eligibility.rs). That procedure
 * is not always the mathematical answer (for large x its early error bound
 * is too small), so we replay the same steps: first in doubles, and exactly
 * with OpenSSL bignums whenever a double comparison is too close to call. */
#include <math.h>
#include <openssl/bn.h>
#include <sodium.h>

#include "stm_int.h"

#define TAYLOR_BOUND 1000

void stm_dense_mapping(uint8_t ev[64], const uint8_t *msgp, size_t len, uint64_t index,
                       const uint8_t sigma[MTL_STM_SIG_BYTES])
{
    crypto_generichash_state st;
    uint8_t le[8];
    for (int i = 0; i < 8; i++)
        le[i] = (uint8_t)(index >> (8 * i));
    crypto_generichash_init(&st, NULL, 0, 64);
    crypto_generichash_update(&st, (const uint8_t *)"map", 3);
    crypto_generichash_update(&st, msgp, len);
    crypto_generichash_update(&st, le, 8);
    crypto_generichash_update(&st, sigma, MTL_STM_SIG_BYTES);
    crypto_generichash_final(&st, ev, 64);
}

/* 2^512 - ev as 64 little-endian bytes; returns 1 when ev == 0 (result 2^512). */
static int complement512(uint8_t out[64], const uint8_t ev[64])
{
    int borrow = 0, zero = 1;
    for (int i = 0; i < 64; i++) {
        int v = 0 - ev[i] - borrow;
        borrow = v < 0;
        out[i] = (uint8_t)(v & 0xff);
        if (ev[i])
            zero = 0;
    }
    return zero;
}

/* q = 2^512 / (2^512 - ev) as a double (relative error ~2^-52). */
static double q_double(const uint8_t ev[64])
{
    uint8_t d[64];
    if (complement512(d, ev))
        return 1.0;
    int top = 63;
    while (top > 0 && d[top] == 0)
        top--;
    uint64_t hi = 0;
    int lo = top - 7 < 0 ? 0 : top - 7;
    for (int i = top; i >= lo; i--)
        hi = (hi << 8) | d[i];
    /* d ~= hi * 2^(8*lo)  =>  q = 2^(512 - 8*lo) / hi */
    return ldexp(1.0 / (double)hi, 512 - 8 * lo);
}

/* Exact replay with bignums: integers only, phi = P/D, next term T/(D*xd*(j+1)). */
static int taylor_exact(const uint8_t ev[64], uint64_t stake, uint64_t total, double c)
{
    int won = 0;
    BN_CTX *ctx = BN_CTX_new();
    BIGNUM *qn = BN_new(), *qd = BN_new(), *xn = BN_new(), *xd = BN_new(), *P = BN_new(),
           *D = BN_new(), *T = BN_new(), *E = BN_new(), *L = BN_new(), *R = BN_new(),
           *tmp = BN_new(), *t3 = BN_new(), *jj = BN_new();
    if (!ctx || !qn || !qd || !xn || !xd || !P || !D || !T || !E || !L || !R || !tmp || !t3 ||
        !jj)
        goto out;
    uint8_t be[65] = {0}, d[64];
    /* qn = 2^512, qd = 2^512 - ev */
    BN_zero(qn);
    BN_set_bit(qn, 512);
    if (complement512(d, ev)) {
        BN_copy(qd, qn);
    } else {
        for (int i = 0; i < 64; i++)
            be[i] = d[63 - i];
        BN_bin2bn(be, 64, qd);
    }
    /* x = stake * |c| / total, with c = mant * 2^e exactly. */
    int e;
    double m = frexp(-c, &e);
    uint64_t mant = (uint64_t)ldexp(m, 53);
    e -= 53;
    BN_set_word(xn, mant);
    BN_set_word(tmp, stake);
    BN_mul(xn, xn, tmp, ctx);
    BN_set_word(xd, total);
    if (e >= 0)
        BN_lshift(xn, xn, e);
    else
        BN_lshift(xd, xd, -e);
    BN_one(P);
    BN_one(D);
    BN_copy(T, xn); /* xn^j */
    for (int j = 1; j <= TAYLOR_BOUND; j++) {
        /* P = P*xd*j + xn^j ; D = D*xd*j */
        BN_set_word(jj, (BN_ULONG)j);
        BN_mul(P, P, xd, ctx);
        BN_mul(P, P, jj, ctx);
        BN_add(P, P, T);
        BN_mul(D, D, xd, ctx);
        BN_mul(D, D, jj, ctx);
        BN_mul(T, T, xn, ctx); /* xn^(j+1) */
        /* E = D*xd*(j+1); L = qn*E; base = P*xd*(j+1); t3 = 3T */
        BN_set_word(jj, (BN_ULONG)(j + 1));
        BN_mul(E, D, xd, ctx);
        BN_mul(E, E, jj, ctx);
        BN_mul(L, qn, E, ctx);
        BN_mul(tmp, P, xd, ctx);
        BN_mul(tmp, tmp, jj, ctx);
        BN_mul_word(t3, 0);
        BN_copy(t3, T);
        BN_mul_word(t3, 3);
        BN_add(R, tmp, t3); /* phi + err, times E */
        BN_mul(R, R, qd, ctx);
        if (BN_cmp(L, R) > 0)
            goto out; /* q > phi + err: lost */
        BN_sub(R, tmp, t3); /* phi - err */
        BN_mul(R, R, qd, ctx);
        if (BN_cmp(L, R) < 0) {
            won = 1;
            goto out;
        }
    }
out:
    BN_free(qn), BN_free(qd), BN_free(xn), BN_free(xd), BN_free(P), BN_free(D), BN_free(T);
    BN_free(E), BN_free(L), BN_free(R), BN_free(tmp), BN_free(t3), BN_free(jj);
    BN_CTX_free(ctx);
    return won;
}

int mtl_stm_lottery_won(double phi_f, const uint8_t ev[64], uint64_t stake, uint64_t total_stake)
{
    if (fabs(phi_f - 1.0) < 2.220446049250313e-16)
        return 1;
    if (total_stake == 0)
        return 0;
    double c = log(1.0 - phi_f);
    if (!isfinite(c))
        return 0;
    double x = (double)stake * -c / (double)total_stake;
    double q = q_double(ev);
    double phi = 1.0, term = x;
    /* Replay in doubles while every comparison is clear by a wide margin. */
    for (int j = 1; j <= TAYLOR_BOUND; j++) {
        phi += term;
        term = term * x / (double)(j + 1);
        double err = 3.0 * term;
        double tol = 1e-9 * (q + phi + err);
        double hi = phi + err, lo = phi - err;
        if (fabs(q - hi) <= tol || fabs(q - lo) <= tol)
            return taylor_exact(ev, stake, total_stake, c);
        if (q > hi)
            return 0;
        if (q < lo)
            return 1;
    }
    return 0;
}
