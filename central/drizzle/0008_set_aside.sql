CREATE TABLE "set_aside" (
	"equipment_id" text NOT NULL,
	"ts" timestamp with time zone NOT NULL,
	"value_centi" bigint NOT NULL,
	"source" text NOT NULL,
	"reason" text NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "set_aside_pkey" PRIMARY KEY("equipment_id","ts")
);
--> statement-breakpoint
CREATE TABLE "set_aside_summary" (
	"equipment_id" text PRIMARY KEY NOT NULL,
	"count" bigint NOT NULL,
	"last_ts" timestamp with time zone NOT NULL,
	"last_centi" bigint NOT NULL,
	"last_reason" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "equipment_limits" ADD COLUMN "sentinels_centi" bigint[] DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE "equipment_limits" ADD COLUMN "valid_min_centi" bigint;--> statement-breakpoint
ALTER TABLE "equipment_limits" ADD COLUMN "valid_max_centi" bigint;--> statement-breakpoint
ALTER TABLE "uploads" ADD COLUMN "set_aside" bigint DEFAULT 0 NOT NULL;