UPDATE "spine_locks" SET "taken_at" = CAST(? AS TIMESTAMP) WHERE "name" = CAST(? AS VARCHAR(255));

INSERT INTO "spine_locks" ("name", "taken_at") VALUES (CAST(? AS VARCHAR(255)), CAST(? AS TIMESTAMP));

DELETE FROM "weekly" WHERE "symbol" = ?;

