CREATE TABLE "doc_snapshot_parts" (
	"board_id" text NOT NULL,
	"last_seq" bigint NOT NULL,
	"part" integer NOT NULL,
	"data" "bytea" NOT NULL,
	CONSTRAINT "doc_snapshot_parts_board_id_last_seq_part_pk" PRIMARY KEY("board_id","last_seq","part")
);
--> statement-breakpoint
ALTER TABLE "doc_snapshots" ADD COLUMN "parts" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "doc_snapshot_parts" ADD CONSTRAINT "doc_snapshot_parts_board_id_boards_id_fk" FOREIGN KEY ("board_id") REFERENCES "public"."boards"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- As doc_snapshots.data (0001): Yjs bytes barely compress, and compressing
-- costs the embedded database's event loop.
ALTER TABLE "doc_snapshot_parts" ALTER COLUMN "data" SET STORAGE EXTERNAL;
