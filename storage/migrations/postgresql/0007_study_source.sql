-- 0007: where a study came from when a cart agent read it from a file (issue 13): the file's
-- format and name and the device that wrote it (manufacturer, model, serial number, software),
-- as the file states them. NULL for studies streamed by a cart that speaks the protocol itself
-- and for every row written before this migration.
ALTER TABLE studies ADD COLUMN source_format TEXT;
ALTER TABLE studies ADD COLUMN source_file TEXT;
ALTER TABLE studies ADD COLUMN source_manufacturer TEXT;
ALTER TABLE studies ADD COLUMN source_model TEXT;
ALTER TABLE studies ADD COLUMN source_serial TEXT;
ALTER TABLE studies ADD COLUMN source_software TEXT;
