UPDATE "spine_locks" SET "taken_at" = CAST(? AS TIMESTAMP) WHERE "name" = CAST(? AS VARCHAR(255));

SELECT COLNAME, TYPENAME FROM SYSCAT.COLUMNS WHERE TABSCHEMA = CURRENT SCHEMA AND TABNAME = CAST(? AS VARCHAR(128)) ORDER BY COLNO;

SELECT I.INDNAME, C.COLNAME FROM SYSCAT.INDEXES AS I JOIN SYSCAT.INDEXCOLUSE AS C ON C.INDSCHEMA = I.INDSCHEMA AND C.INDNAME = I.INDNAME WHERE I.TABSCHEMA = CURRENT SCHEMA AND I.TABNAME = CAST(? AS VARCHAR(128)) AND I.UNIQUERULE IN ('P', 'U') AND C.COLORDER <> 'I' ORDER BY I.INDNAME, C.COLSEQ;

SELECT COUNT(*) FROM (SELECT "symbol", "mpid" FROM "weekly" GROUP BY "symbol", "mpid" HAVING COUNT(*) > 1) AS "repeats";

CREATE UNIQUE INDEX "weekly_symbol_mpid_merge_key" ON "weekly" ("symbol", "mpid");

DECLARE GLOBAL TEMPORARY TABLE SESSION."spine:staging" ("spine:seq" BIGINT NOT NULL, "symbol" VARCHAR(48), "mpid" VARCHAR(16), "name" VARCHAR(1000), "trades" BIGINT, "shares" DECIMAL(31,8), "price" DECIMAL(18,6), "ratio" DOUBLE, "ats" BOOLEAN, "week" DATE, "updated_at" TIMESTAMP) ON COMMIT DELETE ROWS NOT LOGGED WITH REPLACE;

INSERT INTO SESSION."spine:staging" ("spine:seq", "symbol", "mpid", "name", "trades", "shares", "price", "ratio", "ats", "week", "updated_at") VALUES (CAST(? AS BIGINT), CAST(? AS VARCHAR(48)), CAST(? AS VARCHAR(16)), CAST(? AS VARCHAR(1000)), CAST(? AS BIGINT), CAST(? AS DECIMAL(31,8)), CAST(? AS DECIMAL(18,6)), CAST(? AS DOUBLE), CAST(? AS BOOLEAN), CAST(? AS DATE), CAST(? AS TIMESTAMP));

LOCK TABLE "weekly" IN EXCLUSIVE MODE;

MERGE INTO "weekly" AS T
USING (SELECT "symbol", "mpid", "name", "trades", "shares", "price", "ratio", "ats", "week", "updated_at" FROM (
  SELECT "symbol", "mpid", "name", "trades", "shares", "price", "ratio", "ats", "week", "updated_at", ROW_NUMBER() OVER (PARTITION BY "symbol", "mpid" ORDER BY "spine:seq" DESC) AS "spine:rank"
  FROM SESSION."spine:staging"
) AS R WHERE "spine:rank" = 1) AS S
ON T."symbol" = S."symbol" AND T."mpid" = S."mpid"
WHEN MATCHED AND (T."name" IS DISTINCT FROM S."name" OR T."trades" IS DISTINCT FROM S."trades" OR T."shares" IS DISTINCT FROM S."shares" OR T."price" IS DISTINCT FROM S."price" OR T."ratio" IS DISTINCT FROM S."ratio" OR T."ats" IS DISTINCT FROM S."ats" OR T."week" IS DISTINCT FROM S."week" OR T."updated_at" IS DISTINCT FROM S."updated_at") THEN UPDATE SET "name" = S."name", "trades" = S."trades", "shares" = S."shares", "price" = S."price", "ratio" = S."ratio", "ats" = S."ats", "week" = S."week", "updated_at" = S."updated_at"
WHEN NOT MATCHED THEN INSERT ("symbol", "mpid", "name", "trades", "shares", "price", "ratio", "ats", "week", "updated_at") VALUES (S."symbol", S."mpid", S."name", S."trades", S."shares", S."price", S."ratio", S."ats", S."week", S."updated_at");

DROP TABLE SESSION."spine:staging";

