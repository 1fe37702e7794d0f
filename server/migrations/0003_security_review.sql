ALTER TABLE "comments" ADD COLUMN "imported_author" text;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "token_version" integer DEFAULT 0 NOT NULL;