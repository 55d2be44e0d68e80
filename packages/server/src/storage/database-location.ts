/** Which database DATABASE_URL names: a SQLite file, or a PostgreSQL connection string. */
export type DatabaseLocation = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };
