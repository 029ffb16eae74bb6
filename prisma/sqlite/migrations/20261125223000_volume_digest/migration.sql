-- A volume's digest is over its chunk list, not every byte of its capacity
-- (src/storage/volume-digest.ts). Templates captured before are given theirs, computed from
-- the chunk list they already record; imprint_volume_digest is registered by src/db/migrate.ts.
ALTER TABLE "TemplateVolume" RENAME COLUMN "sha256" TO "digest";
UPDATE "TemplateVolume" SET "digest" = imprint_volume_digest("lengthBytes", "chunks");
