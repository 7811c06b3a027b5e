import { asciiDomain, domainMatches } from './schema';

/** The parts of an address that patterns look at: lower case, ASCII domain, `+tag` separate. */
function parseAddress(
  address: string,
): { local: string; base: string; domain: string } | undefined {
  const trimmed = address.trim().replace(/^<|>$/g, '').toLowerCase();
  const at = trimmed.lastIndexOf('@');
  if (at <= 0) return undefined;
  const domain = asciiDomain(trimmed.slice(at + 1));
  if (!domain) return undefined;
  const local = trimmed.slice(0, at);
  return { local, base: local.split('+')[0] ?? local, domain };
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

/**
 * Whether an address matches a pattern: `*`; a domain (`example.com`, `*.example.com`); or
 * `local@domain` where the local part may hold `*`. Case-insensitive; internationalised domains
 * compare in their ASCII form; `user+tag@` also matches `user@`.
 */
export function addressMatches(pattern: string, address: string): boolean {
  if (pattern === '*') return true;
  const parsed = parseAddress(address);
  if (!parsed) return false;
  const at = pattern.lastIndexOf('@');
  if (at < 0) return domainMatches([pattern], parsed.domain);
  if (!domainMatches([pattern.slice(at + 1)], parsed.domain)) return false;
  const local = globToRegExp(pattern.slice(0, at).toLowerCase());
  return local.test(parsed.local) || local.test(parsed.base);
}

export function domainOf(address: string | undefined): string | undefined {
  return address ? parseAddress(address)?.domain : undefined;
}

/** The address in a `From:` value: the last `<...>`, else the word with an `@`. */
export function fromAddress(value: string): string | undefined {
  const angle = [...value.matchAll(/<([^<>]*@[^<>]*)>/g)].at(-1)?.[1];
  return (
    angle ??
    value
      .split(/[\s,;]+/)
      .find((word) => word.includes('@'))
      ?.replace(/^["'(]+|["')]+$/g, '')
  );
}
