-- 0005: how a chunk's samples blob is encoded (lossless either way; the samples read back are the
-- integers received, bit for bit, and the study's CRC-32 covers them as int32 little-endian).
--   int32le              4 bytes per sample, two's complement little-endian, interleaved by
--                        sample (n_leads x n): every row written before this migration.
--   delta-zigzag-varint  interleaved by sample; per lead the first sample of the chunk, then the
--                        difference from the previous sample of the same lead, both modulo 2^32,
--                        zigzag-mapped and written as unsigned LEB128 (1..5 bytes). ECG samples
--                        change little from one to the next: about 1 byte per sample instead of 4.
-- Existing rows keep 'int32le' (the default); new rows are written as 'delta-zigzag-varint'.
ALTER TABLE chunks ADD COLUMN encoding TEXT NOT NULL DEFAULT 'int32le'
  CHECK (encoding IN ('int32le', 'delta-zigzag-varint'));
