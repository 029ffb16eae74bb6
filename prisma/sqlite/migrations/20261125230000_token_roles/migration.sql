-- Tokens get a role, an optional expiry and revocation. Tokens made before could do
-- everything in their account: they become ADMIN, so nothing a script did stops working.
ALTER TABLE "ApiToken" ADD COLUMN "role" TEXT NOT NULL DEFAULT 'ADMIN';
ALTER TABLE "ApiToken" ADD COLUMN "expiresAt" DATETIME;
ALTER TABLE "ApiToken" ADD COLUMN "revokedAt" DATETIME;
