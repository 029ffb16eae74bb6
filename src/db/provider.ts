// Which database a DATABASE_URL names. Both run the same models (prisma/models.prisma), each
// with its own schema folder, generated client and migrations (docs/decisions/databases.md).

export const PROVIDERS = ["sqlite", "postgresql"] as const;
export type Provider = (typeof PROVIDERS)[number];

const POSTGRESQL_URL = /^postgres(ql)?:\/\//;

/** The provider of a `file:` (SQLite) or `postgresql://` URL, or null for anything else. */
export function providerOf(databaseUrl: string): Provider | null {
  if (databaseUrl.startsWith("file:")) return "sqlite";
  if (POSTGRESQL_URL.test(databaseUrl)) return "postgresql";
  return null;
}

/** A URL (a database's, Redis's) with its password replaced, for messages and logs. */
export function redactedUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:/@]*):[^@/]*@/i, "$1:***@");
}
