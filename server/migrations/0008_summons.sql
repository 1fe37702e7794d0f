CREATE TABLE "board_summons" (
	"board_id" text PRIMARY KEY NOT NULL,
	"summon" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "board_summons" ADD CONSTRAINT "board_summons_board_id_boards_id_fk" FOREIGN KEY ("board_id") REFERENCES "public"."boards"("id") ON DELETE cascade ON UPDATE no action;