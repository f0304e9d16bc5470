CREATE TABLE "ingest_marks" (
	"xid" "xid8" DEFAULT pg_current_xact_id() NOT NULL,
	"lo" timestamp with time zone NOT NULL,
	"hi" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "ingest_marks_xid_idx" ON "ingest_marks" USING btree ("xid");