CREATE TABLE "board_votes" (
	"id" text PRIMARY KEY NOT NULL,
	"board_id" text NOT NULL,
	"title" text NOT NULL,
	"votes_per_person" integer NOT NULL,
	"anonymous" boolean NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"closed_at" timestamp with time zone,
	"actor_kind" text NOT NULL,
	"actor_id" text NOT NULL,
	"actor_name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "private_notes" (
	"id" text PRIMARY KEY NOT NULL,
	"board_id" text NOT NULL,
	"author_kind" text NOT NULL,
	"author_id" text NOT NULL,
	"author_name" text NOT NULL,
	"element" jsonb NOT NULL,
	"revealed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "vote_ballots" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"vote_id" text NOT NULL,
	"voter_kind" text NOT NULL,
	"voter_id" text NOT NULL,
	"voter_name" text NOT NULL,
	"element_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "boards" ADD COLUMN "private_notes" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "board_votes" ADD CONSTRAINT "board_votes_board_id_boards_id_fk" FOREIGN KEY ("board_id") REFERENCES "public"."boards"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "private_notes" ADD CONSTRAINT "private_notes_board_id_boards_id_fk" FOREIGN KEY ("board_id") REFERENCES "public"."boards"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vote_ballots" ADD CONSTRAINT "vote_ballots_vote_id_board_votes_id_fk" FOREIGN KEY ("vote_id") REFERENCES "public"."board_votes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "board_votes_board_idx" ON "board_votes" USING btree ("board_id","created_at");--> statement-breakpoint
CREATE INDEX "private_notes_board_idx" ON "private_notes" USING btree ("board_id","author_kind","author_id");--> statement-breakpoint
CREATE INDEX "vote_ballots_vote_idx" ON "vote_ballots" USING btree ("vote_id","voter_kind","voter_id");