CREATE TABLE "conflicts" (
	"id" bigint GENERATED ALWAYS AS IDENTITY (sequence name "conflicts_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"equipment_id" text NOT NULL,
	"ts" timestamp with time zone NOT NULL,
	"stored_centi" bigint NOT NULL,
	"rejected_centi" bigint NOT NULL,
	"source" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "conflicts_pkey" PRIMARY KEY("equipment_id","ts","id")
);
--> statement-breakpoint
CREATE TABLE "edge_batches" (
	"edge_id" text NOT NULL,
	"batch_id" text NOT NULL,
	"answer" jsonb,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "edge_batches_pkey" PRIMARY KEY("edge_id","batch_id")
);
--> statement-breakpoint
CREATE TABLE "edges" (
	"edge_id" text PRIMARY KEY NOT NULL,
	"last_sync_at" timestamp with time zone NOT NULL,
	"backlog" bigint,
	"oldest_unsynced_ms" bigint,
	"readings_total" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "equipment" (
	"equipment_id" text PRIMARY KEY NOT NULL,
	"first_ts" timestamp with time zone NOT NULL,
	"last_ts" timestamp with time zone NOT NULL,
	"last_centi" bigint NOT NULL,
	"last_source" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "readings" (
	"equipment_id" text NOT NULL,
	"ts" timestamp with time zone NOT NULL,
	"value_centi" bigint NOT NULL,
	"source" text NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "readings_pkey" PRIMARY KEY("equipment_id","ts")
);
--> statement-breakpoint
CREATE TABLE "rollup_day" (
	"equipment_id" text NOT NULL,
	"bucket" timestamp with time zone NOT NULL,
	"count" bigint NOT NULL,
	"sum_centi" numeric NOT NULL,
	"min_centi" bigint NOT NULL,
	"max_centi" bigint NOT NULL,
	"sum_sq_centi" numeric NOT NULL,
	CONSTRAINT "rollup_day_pkey" PRIMARY KEY("equipment_id","bucket")
);
--> statement-breakpoint
CREATE TABLE "rollup_hour" (
	"equipment_id" text NOT NULL,
	"bucket" timestamp with time zone NOT NULL,
	"count" bigint NOT NULL,
	"sum_centi" numeric NOT NULL,
	"min_centi" bigint NOT NULL,
	"max_centi" bigint NOT NULL,
	"sum_sq_centi" numeric NOT NULL,
	CONSTRAINT "rollup_hour_pkey" PRIMARY KEY("equipment_id","bucket")
);
--> statement-breakpoint
CREATE TABLE "tokens" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "tokens_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"name" text NOT NULL,
	"role" text NOT NULL,
	"edge_id" text,
	"hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "tokens_role_check" CHECK (role in ('admin', 'edge', 'ingest', 'vendor', 'viewer')),
	CONSTRAINT "tokens_edge_binding_check" CHECK ((role = 'edge') = (edge_id is not null))
);
--> statement-breakpoint
CREATE UNIQUE INDEX "tokens_hash_key" ON "tokens" USING btree ("hash");