/** One challenge of a WWW-Authenticate header: the scheme (lower case) and its parameters. */
export interface AuthChallenge {
  scheme: string;
  /** Parameter names in lower case, values unquoted. */
  params: Record<string, string>;
}

const TOKEN_CHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const TOKEN68_CHAR = /[A-Za-z0-9\-._~+/=]/;

/**
 * Parses a WWW-Authenticate header (RFC 7235 §4.1), e.g.
 * `Bearer realm="https://auth.example/token",service="registry",scope="repository:a:pull,push"`.
 * Quoted values may hold commas and escaped quotes; several challenges may share one header.
 * Unparseable trailing input is ignored: the header comes from the network.
 */
export function parseChallenges(header: string): AuthChallenge[] {
  const out: AuthChallenge[] = [];
  let i = 0;
  const skip = (chars: string) => {
    while (i < header.length && chars.includes(header[i] as string)) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < header.length && TOKEN_CHAR.test(header[i] as string)) i++;
    return header.slice(start, i);
  };
  /** True when a `name =` follows at the cursor (a parameter, not the next challenge's scheme). */
  const paramAhead = (): boolean => {
    const save = i;
    const name = token();
    skip(" \t");
    // `abc==` is a token68 value, not a parameter named abc.
    const isParam = name !== "" && header[i] === "=" && header[i + 1] !== "=";
    i = save;
    return isParam;
  };
  const value = (): string => {
    if (header[i] !== '"') return token();
    i++;
    let v = "";
    while (i < header.length && header[i] !== '"') {
      if (header[i] === "\\" && i + 1 < header.length) i++;
      v += header[i];
      i++;
    }
    i++; // closing quote
    return v;
  };

  while (i < header.length) {
    skip(" \t,");
    const scheme = token();
    if (scheme === "") break;
    const challenge: AuthChallenge = { scheme: scheme.toLowerCase(), params: {} };
    out.push(challenge);
    skip(" \t");
    if (!paramAhead()) {
      // A token68 credential (unused by registries) or nothing: skip it.
      while (i < header.length && TOKEN68_CHAR.test(header[i] as string)) i++;
      continue;
    }
    for (;;) {
      const name = token().toLowerCase();
      skip(" \t");
      i++; // "="
      skip(" \t");
      challenge.params[name] = value();
      skip(" \t");
      if (header[i] !== ",") break;
      i++;
      skip(" \t,");
      if (!paramAhead()) break;
    }
  }
  return out;
}

/** Quotes a parameter value as RFC 7230 quoted-string (for tests and fake servers). */
export function quoteParam(value: string): string {
  return `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}
