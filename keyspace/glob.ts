/**
 * Redis's glob matcher (util.c stringmatchlen, 7.0), over binary strings (one char per byte).
 *
 * Used by KEYS, SCAN MATCH, HSCAN/SSCAN/ZSCAN MATCH and CONFIG GET (nocase). A faithful port:
 * `*`, `?`, `[...]` classes with `^` negation, `a-z` ranges (reversed ranges allowed), `\`
 * escapes, an unterminated `[` class, the "skip longer matches" cut-off that keeps patterns
 * like `a*a*a*a*b` linear, and the nesting limit against abusive patterns.
 *
 * C details kept on purpose: `char` is signed (bytes >= 0x80 compare as negative numbers in
 * ranges), and reading one past the end of the pattern sees the terminating NUL.
 */

/** Byte at `i` as C's signed char, or 0 (the NUL terminator) past the end. */
function at(s: string, i: number): number {
  if (i >= s.length) return 0;
  const c = s.charCodeAt(i);
  return c >= 128 ? c - 256 : c;
}

/** C tolower in the "C" locale (only A-Z change). */
function lowerc(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

const STAR = 42;
const QMARK = 63;
const LBRACKET = 91;
const RBRACKET = 93;
const BACKSLASH = 92;
const CARET = 94;
const DASH = 45;

/** Shared state of one match: the "skip longer matches" flag (Redis's skipLongerMatches). */
interface MatchState {
  skipLonger: boolean;
}

function matchImpl(
  pat: string,
  p: number,
  str: string,
  s: number,
  nocase: boolean,
  st: MatchState,
  nesting: number,
): boolean {
  if (nesting > 1000) return false;
  const pend = pat.length;
  const send = str.length;
  let plen = pend - p;
  let slen = send - s;
  while (plen > 0 && slen > 0) {
    switch (at(pat, p)) {
      case STAR: {
        while (plen > 0 && at(pat, p + 1) === STAR) {
          p++;
          plen--;
        }
        if (plen === 1) return true;
        while (slen > 0) {
          if (matchImpl(pat, p + 1, str, s, nocase, st, nesting + 1)) return true;
          if (st.skipLonger) return false;
          s++;
          slen--;
        }
        st.skipLonger = true;
        return false;
      }
      case QMARK:
        s++;
        slen--;
        break;
      case LBRACKET: {
        p++;
        plen--;
        const not = at(pat, p) === CARET;
        if (not) {
          p++;
          plen--;
        }
        let match = false;
        const sc = at(str, s);
        for (;;) {
          const pc = at(pat, p);
          if (pc === BACKSLASH && plen >= 2) {
            p++;
            plen--;
            if (at(pat, p) === sc) match = true;
          } else if (pc === RBRACKET && plen > 0) {
            break;
          } else if (plen === 0) {
            p--;
            plen++;
            break;
          } else if (plen >= 3 && at(pat, p + 1) === DASH) {
            let start = pc;
            let end = at(pat, p + 2);
            let c = sc;
            if (start > end) {
              const t = start;
              start = end;
              end = t;
            }
            if (nocase) {
              start = lowerc(start);
              end = lowerc(end);
              c = lowerc(c);
            }
            p += 2;
            plen -= 2;
            if (c >= start && c <= end) match = true;
          } else if (!nocase) {
            if (pc === sc) match = true;
          } else if (lowerc(pc) === lowerc(sc)) {
            match = true;
          }
          p++;
          plen--;
        }
        if (not) match = !match;
        if (!match) return false;
        s++;
        slen--;
        break;
      }
      case BACKSLASH:
        if (plen >= 2) {
          p++;
          plen--;
        }
      /* falls through */
      default: {
        const pc = at(pat, p);
        const sc = at(str, s);
        if (!nocase) {
          if (pc !== sc) return false;
        } else if (lowerc(pc) !== lowerc(sc)) return false;
        s++;
        slen--;
        break;
      }
    }
    p++;
    plen--;
    if (slen === 0) {
      while (plen > 0 && at(pat, p) === STAR) {
        p++;
        plen--;
      }
      break;
    }
  }
  return plen === 0 && slen === 0;
}

/**
 * Does binary string `s` match glob `pattern` (Redis stringmatchlen)? `nocase` folds ASCII
 * letters (CONFIG GET uses it).
 */
export function globMatch(pattern: string, s: string, nocase = false): boolean {
  // Fast paths for the common "match everything" and "prefix*" patterns.
  if (pattern === "*") return true;
  return matchImpl(pattern, 0, s, 0, nocase, { skipLonger: false }, 0);
}
