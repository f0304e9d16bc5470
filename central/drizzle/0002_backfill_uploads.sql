CREATE TABLE "uploads" (
	"upload_id" text PRIMARY KEY NOT NULL,
	"file_name" text NOT NULL,
	"token_id" bigint,
	"status" text NOT NULL,
	"bytes" bigint DEFAULT 0 NOT NULL,
	"rows" bigint DEFAULT 0 NOT NULL,
	"inserted" bigint DEFAULT 0 NOT NULL,
	"duplicates" bigint DEFAULT 0 NOT NULL,
	"conflicts" bigint DEFAULT 0 NOT NULL,
	"rejected" bigint DEFAULT 0 NOT NULL,
	"extra_columns" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"errors" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"errors_total" bigint DEFAULT 0 NOT NULL,
	"committed_line" bigint DEFAULT 0 NOT NULL,
	"committed_bytes" bigint DEFAULT 0 NOT NULL,
	"detail" text,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	CONSTRAINT "uploads_status_check" CHECK (status in ('complete', 'incomplete', 'failed')),
	CONSTRAINT "uploads_errors_cap_check" CHECK (jsonb_array_length(errors) <= 1000)
);
--> statement-breakpoint
ALTER TABLE "uploads" ADD CONSTRAINT "uploads_token_id_tokens_id_fk" FOREIGN KEY ("token_id") REFERENCES "public"."tokens"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "uploads_started_at_idx" ON "uploads" USING btree ("started_at");