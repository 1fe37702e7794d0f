-- Yjs updates barely compress, and compressing megabyte snapshots costs the
-- embedded database tens of milliseconds per write: store them uncompressed.
ALTER TABLE "doc_snapshots" ALTER COLUMN "data" SET STORAGE EXTERNAL;
--> statement-breakpoint
ALTER TABLE "doc_updates" ALTER COLUMN "data" SET STORAGE EXTERNAL;
