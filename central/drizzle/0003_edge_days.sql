CREATE TABLE "edge_days" (
	"edge_id" text NOT NULL,
	"day" date NOT NULL,
	"readings" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "edge_days_pkey" PRIMARY KEY("edge_id","day")
);
