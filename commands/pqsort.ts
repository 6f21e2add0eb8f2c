/**
 * pqsort.c: Redis's partial quicksort (NetBSD's qsort, from Bentley & McIlroy's "Engineering a
 * Sort Function") that only sorts the partitions overlapping [lrange, rrange]. The elements in
 * that range end up where a full sort would put them; ties come out in the order this algorithm
 * leaves them, which is what SORT ... BY ... LIMIT and GEOSEARCH ... COUNT answer, so it is
 * ported step for step. As Redis 7.0.15 runs it, a partition that needed no swap is not handed
 * to an insertion sort (measured against redis-server: `pqsort_test.ts`).
 */

/** Sort `v` in place so that positions lrange..rrange hold what a full sort would put there. */
export function pqsort<T>(
  v: T[],
  cmp: (a: T, b: T) => number,
  lrange: number,
  rrange: number,
): void {
  const swap = (i: number, j: number) => {
    const t = v[i];
    v[i] = v[j];
    v[j] = t;
  };
  const vecswap = (i: number, j: number, n: number) => {
    for (let k = 0; k < n; k++) swap(i + k, j + k);
  };
  const c = (i: number, j: number) => cmp(v[i], v[j]);
  const med3 = (a: number, b: number, d: number) =>
    c(a, b) < 0 ? (c(b, d) < 0 ? b : c(a, d) < 0 ? d : a) : (c(b, d) > 0 ? b : c(a, d) < 0 ? a : d);
  const outside = (l: number, r: number) =>
    (lrange < l && rrange < l) || (lrange > r && rrange > r);

  // C recurses into the left part and loops on the right one; the parts are disjoint, so a
  // stack of pending parts gives the same result without deep recursion.
  const todo: number[] = [0, v.length];
  while (todo.length !== 0) {
    let n = todo.pop()!;
    let a = todo.pop()!;
    for (;;) {
      if (n < 7) {
        for (let pm = a + 1; pm < a + n; pm++) {
          for (let pl = pm; pl > a && c(pl - 1, pl) > 0; pl--) swap(pl, pl - 1);
        }
        break;
      }
      let pm = a + Math.floor(n / 2);
      if (n > 7) {
        let pl = a;
        let pn = a + n - 1;
        if (n > 40) {
          const d = Math.floor(n / 8);
          pl = med3(pl, pl + d, pl + 2 * d);
          pm = med3(pm - d, pm, pm + d);
          pn = med3(pn - 2 * d, pn - d, pn);
        }
        pm = med3(pl, pm, pn);
      }
      swap(a, pm);
      let pa = a + 1;
      let pb = pa;
      let pc = a + n - 1;
      let pd = pc;
      for (;;) {
        let r: number;
        while (pb <= pc && (r = c(pb, a)) <= 0) {
          if (r === 0) swap(pa++, pb);
          pb++;
        }
        while (pb <= pc && (r = c(pc, a)) >= 0) {
          if (r === 0) swap(pc, pd--);
          pc--;
        }
        if (pb > pc) break;
        swap(pb++, pc--);
      }
      const pn = a + n;
      let r = Math.min(pa - a, pb - pa);
      vecswap(a, pb - r, r);
      r = Math.min(pd - pc, pn - pd - 1);
      vecswap(pb, pn - r, r);
      if ((r = pb - pa) > 1 && !outside(a, a + r - 1)) todo.push(a, r);
      if ((r = pd - pc) > 1) {
        a = pn - r;
        n = r;
        if (!outside(a, a + r - 1)) continue;
      }
      break;
    }
  }
}
