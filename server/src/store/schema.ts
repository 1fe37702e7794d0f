// Drizzle schema, one module per area. The SQL in server/migrations is
// generated from it (`npx drizzle-kit generate`, drizzle.config.ts lists the
// files) and checked in; migrations run at startup.
export * from './schema-boards.js'
export * from './schema-documents.js'
export * from './schema-sessions.js'
export * from './schema-accounts.js'
