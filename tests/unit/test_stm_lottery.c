/* test_stm_lottery.c - mtl_stm_lottery_won at its exact boundary, against
 * values computed apart from our code by tests/unit/lottery_boundary.py
 * (300-digit decimals, and a step-by-step Python transcription of the
 * reference's Taylor comparison; the CTest test stm_lottery_vectors checks
 * this table is still what the script computes). For each case, E is the
 * largest winning ev: E and E - 1 win, E + 1 and E + 2 lose. One case
 * (phi_f = 0.95, all the stake) is where the reference's answer is not the
 * mathematical one, and we must give the reference's. */
#include "common/common_int.h"
#include "harness.h"

static const struct {
    double phi_f;
    uint64_t stake, total;
    const char *boundary; /* E, 128 hex digits, big-endian */
} cases[] = {
    {0.2, 1234567, 987654321,
     "00124700e1ebd2a57d25bedf91c85f53def6277ba4a7cbc1201f67dbea54ed10"
     "771a5028f040cf61482708467842c8217f7f7651a64d8656af3a3f84ef2289f3"},
    {0.2, 1, 1,
     "333333333333308629d96814cd38e90a79aefe2705c4d737492748188239295c"
     "59bf2bcd67c96b77ad4bc1a8eaad5a29a70742055896148fd4d38073c6dbe414"},
    {0.8, 1, 2,
     "8d8368e900489d3f86c0b03452af952e98451facee7a3f7a880089983aaf50ed"
     "1183bb349478553570769fd5bc10fdf5e81b0a82a7b6775fa6e6394f0ec9afb9"},
    {0.95, 1, 1, /* reference stops at its first step, below exp(x) */
     "f155efc0e884eb186de3a721588a3f5f51d50e49b82a01b173ed85f1cb9d8de9"
     "7f1cfbfc871245203f46c7d9b3bd6b0c475821557dd3e4094b678e81fbbf8d67"},
    {0.5, 1, 1000000000000000,
     "00000000000031f24f035f3b73d5cd205e91bd16bb574bb356c9a3191c82f629"
     "641bf53823533a0b53100c77dc9928fd4b2a437da98504fcce85de5f96d8da88"},
    {0.05, 3, 7,
     "0590f2a631e78c50b7a8683522281299a2535d20d844e17f9392112cf0230e3c"
     "196f543274d90148f2c3486c4d6de826a0bbac88f89c5db980858a562f200d36"},
    {0.65, 299, 300,
     "a615fdcbcc22f3f206fae0519448c60a1711fab7aaa53e667be295651ddee5a1"
     "37ec884ecc5d1c5ca194d9d1bd61625a3841f294ba1339660151ff90864a1052"},
};

/* ev = E + delta as the 64 little-endian bytes the lottery takes. */
static int ev_at(uint8_t ev[64], const char *hex, int delta)
{
    uint8_t be[64];
    size_t n = 0;
    if (mtl_hex_decode(be, sizeof(be), &n, hex, strlen(hex)) != MTL_OK || n != 64)
        return 0;
    for (int i = 0; i < 64; i++)
        ev[i] = be[63 - i];
    int carry = delta;
    for (int i = 0; i < 64 && carry != 0; i++) {
        int v = ev[i] + carry;
        ev[i] = (uint8_t)(v & 0xff);
        carry = v < 0 ? -1 : v >> 8;
    }
    return carry == 0;
}

TEST(both_sides_of_the_boundary)
{
    for (size_t i = 0; i < MTL_ARRAY_LEN(cases); i++) {
        static const int win[] = {-1, 0}, lose[] = {1, 2};
        uint8_t ev[64];
        for (size_t j = 0; j < 2; j++) {
            CHECK(ev_at(ev, cases[i].boundary, win[j]));
            if (!mtl_stm_lottery_won(cases[i].phi_f, ev, cases[i].stake, cases[i].total))
                TH_FAIL("case %zu (phi_f %g, %llu/%llu): E%+d lost", i, cases[i].phi_f,
                        (unsigned long long)cases[i].stake, (unsigned long long)cases[i].total,
                        win[j]);
            CHECK(ev_at(ev, cases[i].boundary, lose[j]));
            if (mtl_stm_lottery_won(cases[i].phi_f, ev, cases[i].stake, cases[i].total))
                TH_FAIL("case %zu (phi_f %g, %llu/%llu): E%+d won", i, cases[i].phi_f,
                        (unsigned long long)cases[i].stake, (unsigned long long)cases[i].total,
                        lose[j]);
        }
    }
}

TEST(ends_of_the_range)
{
    uint8_t zero[64] = {0}, top[64];
    memset(top, 0xff, sizeof(top));
    for (size_t i = 0; i < MTL_ARRAY_LEN(cases); i++) {
        CHECK(mtl_stm_lottery_won(cases[i].phi_f, zero, cases[i].stake, cases[i].total));
        CHECK(!mtl_stm_lottery_won(cases[i].phi_f, top, cases[i].stake, cases[i].total));
    }
    /* phi_f = 1 wins everything; no stake wins nothing, not even ev = 0
     * (q = 1 is never below 1 - 0: the reference runs out of steps) */
    CHECK(mtl_stm_lottery_won(1.0, top, 1, 100));
    CHECK(!mtl_stm_lottery_won(0.2, zero, 0, 100));
}

int main(void)
{
    mtl_init();
    RUN(both_sides_of_the_boundary);
    RUN(ends_of_the_range);
    return DONE();
}
