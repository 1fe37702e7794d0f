CREATE TABLE "board_bans" (
	"id" text PRIMARY KEY NOT NULL,
	"board_id" text NOT NULL,
	"kind" text NOT NULL,
	"value" text NOT NULL,
	"name" text NOT NULL,
	"expires_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "board_timers" (
	"board_id" text PRIMARY KEY NOT NULL,
	"state" text NOT NULL,
	"duration_ms" integer NOT NULL,
	"ends_at" timestamp with time zone,
	"remaining_ms" integer,
	"actor_kind" text,
	"actor_id" text,
	"actor_name" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "boards" ADD COLUMN "capacity" integer;--> statement-breakpoint
ALTER TABLE "boards" ADD COLUMN "lobby" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "boards" ADD COLUMN "guest_tools" jsonb;--> statement-breakpoint
ALTER TABLE "boards" ADD COLUMN "guest_comments" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "boards" ADD COLUMN "locked_frames" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "guests" ADD COLUMN "browser_id" text;--> statement-breakpoint
ALTER TABLE "guests" ADD COLUMN "address_hash" text;--> statement-breakpoint
ALTER TABLE "guests" ADD COLUMN "admission" text DEFAULT 'admitted' NOT NULL;--> statement-breakpoint
ALTER TABLE "guests" ADD COLUMN "knocked_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "guests" ADD COLUMN "knock_message" text;--> statement-breakpoint
ALTER TABLE "board_bans" ADD CONSTRAINT "board_bans_board_id_boards_id_fk" FOREIGN KEY ("board_id") REFERENCES "public"."boards"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "board_timers" ADD CONSTRAINT "board_timers_board_id_boards_id_fk" FOREIGN KEY ("board_id") REFERENCES "public"."boards"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "board_bans_lookup_idx" ON "board_bans" USING btree ("board_id","kind","value");