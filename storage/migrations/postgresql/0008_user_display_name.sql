-- 0008: a user's Chinese display name (issue 15, the admin's users page): what the station shows
-- beside the account name (e.g. 李医生 for dr_li). Empty for every account created before.
ALTER TABLE users ADD COLUMN display_name_zh TEXT NOT NULL DEFAULT ''
  CHECK (char_length(display_name_zh) <= 64);
