-- Calibrated confidence and the customer's language on drafts (issue 11).
--
-- confidence_score now holds the calibrated probability (0-100: "80" means about 80% of such drafts were
-- right on the evaluation set); confidence_raw keeps the points the breakdown adds up to, so the raw
-- signal and its mapping can both be audited and a later recalibration can re-map old drafts.
-- calibration records which per-embedding-space calibration (thresholds, confidence map) the draft used
-- and where its low-retrieval threshold came from (tenant setting, calibration table, or fallback).
-- language is the ISO 639-1 code detected on the customer's text and passed to the prompt.
-- All nullable: drafts made before this migration have none of them.
ALTER TABLE ai_replies
  ADD COLUMN confidence_raw real CHECK (confidence_raw >= 0 AND confidence_raw <= 100),
  ADD COLUMN calibration jsonb,
  ADD COLUMN language varchar(8);
