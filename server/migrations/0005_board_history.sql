CREATE TABLE "board_versions" (
	"id" text PRIMARY KEY NOT NULL,
	"board_id" text NOT NULL,
	"seq" bigint NOT NULL,
	"kind" text NOT NULL,
	"reason" text,
	"name" text,
	"actor_kind" text,
	"actor_id" text,
	"actor_name" text,
	"data" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "doc_history_base" (
	"board_id" text PRIMARY KEY NOT NULL,
	"data" "bytea" NOT NULL,
	"last_seq" bigint NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "boards" ADD COLUMN "editors_may_restore" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "doc_updates" ADD COLUMN "actor" text;--> statement-breakpoint
ALTER TABLE "board_versions" ADD CONSTRAINT "board_versions_board_id_boards_id_fk" FOREIGN KEY ("board_id") REFERENCES "public"."boards"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "doc_history_base" ADD CONSTRAINT "doc_history_base_board_id_boards_id_fk" FOREIGN KEY ("board_id") REFERENCES "public"."boards"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "board_versions_board_idx" ON "board_versions" USING btree ("board_id","seq");--> statement-breakpoint
-- Boards compacted before history existed: their history starts at their snapshot (the log before it is gone).
INSERT INTO "doc_history_base" ("board_id", "data", "last_seq") SELECT "board_id", "data", "last_seq" FROM "doc_snapshots";
