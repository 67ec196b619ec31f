-- 0010: a password set by someone else must be changed by its owner (issue 15). An admin's reset
-- (station or `greenchannel user reset-password`) sets the flag; the user's own change clears it.
-- While it is set the station answers every call but logout, /api/me and the change itself with
-- 403 password_change_required. Existing accounts start without it.
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0
  CHECK (must_change_password IN (0, 1));
