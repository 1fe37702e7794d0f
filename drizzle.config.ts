import { defineConfig } from 'drizzle-kit'

// Only used to generate server/migrations from the schema; the server runs
// the checked-in SQL itself (server/src/store/migrate.ts).
export default defineConfig({
  dialect: 'postgresql',
  schema: './server/src/store/schema.ts',
  out: './server/migrations',
})
