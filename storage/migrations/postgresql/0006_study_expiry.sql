-- 0006: open studies expire (issue 16 #9). A study a cart began and never finished is marked
-- expired after `serve --open-study-expiry-h` (a "study_expired" event records when and what had
-- arrived): it is no longer offered for resuming in the HelloAck and a StudyStart for it is
-- refused. Its stored chunks stay.
ALTER TABLE studies ADD COLUMN expired_ms BIGINT;
