-- What the CDR (src/calls/cdr.ts CallRecord) and the ACD's events carry that
-- 001 had no place for. Runs unchanged on PostgreSQL 15+ and PGlite.

-- The offers made for a call, in order, as the call saw them: the operator
-- rung, when, how it ended, and the operator leg's final SIP status. The same
-- offers also arrive from the ACD's side as queue_events (OFFER, RINGNOANSWER,
-- RINGCANCELED, CONNECT), and reports count those, never these rows, so an
-- offer is not counted twice; 'unreachable' and the SIP status exist only here.
CREATE TABLE call_offers (
  call_id  text NOT NULL REFERENCES calls (call_id) ON DELETE CASCADE,
  seq      integer NOT NULL CHECK (seq >= 0),
  agent_id text NOT NULL,
  at       timestamptz NOT NULL,
  outcome  text NOT NULL CHECK (outcome IN ('answered', 'rejected', 'no-answer', 'cancelled', 'unreachable')),
  status   smallint CHECK (status BETWEEN 100 AND 699),
  PRIMARY KEY (call_id, seq)
);

-- The ACD's wrap-up-ended event names the operator and the queue, not the
-- contact: WRAPUP_END rows may have no call_id (Asterisk writes 'NONE' there).
ALTER TABLE queue_events ALTER COLUMN call_id DROP NOT NULL;
ALTER TABLE queue_events ADD CONSTRAINT queue_events_call_named CHECK (call_id IS NOT NULL OR event = 'WRAPUP_END');

-- A CDR carries the survey score but not the flow's scale: NULL scale means
-- "not recorded", rather than a made-up one. The score is still a DTMF digit.
ALTER TABLE surveys ALTER COLUMN scale_min DROP NOT NULL;
ALTER TABLE surveys ALTER COLUMN scale_max DROP NOT NULL;
ALTER TABLE surveys ADD CONSTRAINT surveys_scale_complete CHECK ((scale_min IS NULL) = (scale_max IS NULL));
ALTER TABLE surveys ADD CONSTRAINT surveys_score_digit CHECK (score BETWEEN 0 AND 9);

-- CDR search pages newest first, by (ended_at DESC NULLS LAST, call_id DESC):
-- with call_id in the index, in that order, a page is one index scan, ties
-- included. It replaces the ended_at-only index: time ranges use it as well.
CREATE INDEX calls_ended_page_idx ON calls (ended_at DESC NULLS LAST, call_id DESC);
DROP INDEX calls_ended_idx;
