UPDATE "spine_locks" SET "taken_at" = CAST(? AS TIMESTAMP) WHERE "name" = CAST(? AS VARCHAR(255));

SELECT COLNAME, TYPENAME FROM SYSCAT.COLUMNS WHERE TABSCHEMA = CURRENT SCHEMA AND TABNAME = CAST(? AS VARCHAR(128)) ORDER BY COLNO;

ALTER TABLE "weekly" ADD COLUMN "trades" BIGINT;

ALTER TABLE "weekly" ADD COLUMN "shares" DECIMAL(31,8);

ALTER TABLE "weekly" ADD COLUMN "price" DECIMAL(18,6);

ALTER TABLE "weekly" ADD COLUMN "ratio" DOUBLE;

ALTER TABLE "weekly" ADD COLUMN "ats" BOOLEAN;

ALTER TABLE "weekly" ADD COLUMN "week" DATE;

ALTER TABLE "weekly" ADD COLUMN "updated_at" TIMESTAMP;

DECLARE GLOBAL TEMPORARY TABLE SESSION."spine:staging" ("spine:seq" BIGINT NOT NULL, "symbol" VARCHAR(48), "mpid" VARCHAR(16), "name" VARCHAR(1000), "trades" BIGINT, "shares" DECIMAL(31,8), "price" DECIMAL(18,6), "ratio" DOUBLE, "ats" BOOLEAN, "week" DATE, "updated_at" TIMESTAMP) ON COMMIT DELETE ROWS NOT LOGGED WITH REPLACE;

INSERT INTO SESSION."spine:staging" ("spine:seq", "symbol", "mpid", "name", "trades", "shares", "price", "ratio", "ats", "week", "updated_at") VALUES (CAST(? AS BIGINT), CAST(? AS VARCHAR(48)), CAST(? AS VARCHAR(16)), CAST(? AS VARCHAR(1000)), CAST(? AS BIGINT), CAST(? AS DECIMAL(31,8)), CAST(? AS DECIMAL(18,6)), CAST(? AS DOUBLE), CAST(? AS BOOLEAN), CAST(? AS DATE), CAST(? AS TIMESTAMP));

LOCK TABLE "weekly" IN EXCLUSIVE MODE;

INSERT INTO "weekly" ("symbol", "mpid", "name", "trades", "shares", "price", "ratio", "ats", "week", "updated_at") SELECT "symbol", "mpid", "name", "trades", "shares", "price", "ratio", "ats", "week", "updated_at" FROM SESSION."spine:staging";

DROP TABLE SESSION."spine:staging";

