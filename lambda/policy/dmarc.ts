import { asciiDomain } from './schema';

/** Strips RFC 5322 comments, which may nest. */
function withoutComments(value: string): string {
  let depth = 0;
  let out = '';
  for (const char of value) {
    if (char === '(') depth++;
    else if (char === ')' && depth > 0) depth--;
    else if (depth === 0) out += char;
  }
  return out;
}

const RECEIVING_SERVICE = 'amazonses.com';

function authservIdOf(header: string): string {
  return withoutComments(header).split(';')[0]?.trim().split(/\s+/)[0]?.toLowerCase() ?? '';
}

/** The receiving service's DMARC verdict: the domain that passed, if any, and why in words. */
export interface DmarcVerdict {
  passed?: string;
  why: string;
}

/**
 * The DMARC verdict of the receiving service: only the topmost Authentication-Results header
 * counts, and only when its authserv-id is `amazonses.com` (RFC 8601 section 5: a sender can
 * write such headers lower down). When the message carries more than one header with that
 * authserv-id, none is trusted: whether the service adds its own to every message is not
 * confirmed, and a sender's copy could then be the topmost.
 */
export function dmarcVerdict(authenticationResults: readonly string[]): DmarcVerdict {
  const topmost = authenticationResults[0];
  if (!topmost) return { why: 'the message has no Authentication-Results header' };
  if (authservIdOf(topmost) !== RECEIVING_SERVICE) {
    return { why: `its topmost Authentication-Results header is not from ${RECEIVING_SERVICE}` };
  }
  const fromService = authenticationResults.filter((h) => authservIdOf(h) === RECEIVING_SERVICE);
  if (fromService.length > 1) {
    return {
      why: `it has ${fromService.length} Authentication-Results headers from ${RECEIVING_SERVICE} (a sender could have written one), so none counts`,
    };
  }
  const [, ...results] = withoutComments(topmost).split(';');
  const tokenized = results.map((result) => result.trim().split(/\s+/));
  const pass = tokenized.find((tokens) => tokens[0]?.toLowerCase() === 'dmarc=pass');
  if (!pass) {
    const other = tokenized.find((tokens) => /^dmarc=/i.test(tokens[0] ?? ''))?.[0];
    return {
      why: other
        ? `the receiving service's DMARC result is ${other.slice('dmarc='.length).toLowerCase()}`
        : `the ${RECEIVING_SERVICE} header has no DMARC result`,
    };
  }
  const from = pass.find((t) => t.toLowerCase().startsWith('header.from='));
  const passed = from
    ? asciiDomain(from.slice('header.from='.length).replace(/^@/, ''))
    : undefined;
  return passed
    ? { passed, why: `DMARC passed for ${passed}` }
    : { why: 'the DMARC pass names no header.from domain' };
}

/** The domain that passed the receiving service's DMARC check, if any (see `dmarcVerdict`). */
export function dmarcPassDomain(authenticationResults: readonly string[]): string | undefined {
  return dmarcVerdict(authenticationResults).passed;
}
