/*
 * The page micro-model of bench/micro_page.ts in Promela, for `npm run bench`: N pages (spin
 * -DN=1..6, default 4), each with a refcount 0..3 and a pincount 0..2; per page, get, put, pin
 * and unpin, each enabled when its counter has room. One process loops over the 4N actions; each
 * is a d_step whose first statement is its guard, so SPIN stores one state per counter vector
 * (12^N, as pincheck does) and takes one transition per enabled (state, action) pair. The
 * assertion is the invariant micro_model() checks in every state.
 */
#ifndef N
#define N 4
#endif
#define RMAX 3
#define PMAX 2

byte ref[N];
byte pin[N];

#define PAGE(k) \
  :: d_step { ref[k] < RMAX -> ref[k]++ } \
  :: d_step { ref[k] > 0 -> ref[k]-- } \
  :: d_step { pin[k] < PMAX -> pin[k]++; assert(pin[k] <= PMAX) } \
  :: d_step { pin[k] > 0 -> pin[k]-- }

active proctype pages()
{
  do
  PAGE(0)
#if N > 1
  PAGE(1)
#endif
#if N > 2
  PAGE(2)
#endif
#if N > 3
  PAGE(3)
#endif
#if N > 4
  PAGE(4)
#endif
#if N > 5
  PAGE(5)
#endif
  od
}
