-- hotline's first schema. Runs unchanged on PostgreSQL 15+ and PGlite.
--
-- Two kinds of tables:
--  * Configuration (operators, skills, queues, numbers, flows, outage notices,
--    API users): edited by administrators, few rows, foreign keys between them
--    and strict CHECKs on ids, so the API cannot store something the ACD or
--    the registrar would refuse.
--  * History (calls and their legs/transfers/recordings/surveys, queue events,
--    operator state changes, callbacks): written from the call path in batches.
--    No foreign keys into configuration: a CDR must be accepted even when the
--    operator or queue it names has since been renamed or deleted, and an FK
--    check per queue event would slow the busiest writes. CHECKs here are only
--    those the calls layer guarantees (enumerations, non-negative durations),
--    so a constraint never turns a real call into a lost record. Each history
--    row carries an idempotency key (calls.call_id, idempotency_key columns):
--    a batch replayed after an outage inserts nothing twice.
-- Durations are integer milliseconds; configuration thresholds are seconds,
-- as in hotline.yaml.

-- ---------------------------------------------------------------- vocabulary

CREATE TABLE skills (
  name        text PRIMARY KEY CHECK (name ~ '^[A-Za-z_][A-Za-z0-9_]{0,63}$'),
  description text
);

CREATE TABLE languages (
  code text PRIMARY KEY CHECK (code ~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$'),
  name text
);

-- ---------------------------------------------------------------- operators

-- The id is also the SIP user name of the operator's softphone. Credentials are
-- HA1 only (RFC 7616): H(user:realm:password); a password is never stored. HA1
-- depends on the realm, so the realm it was computed for is kept with it.
CREATE TABLE operators (
  id         text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
  name       text NOT NULL CHECK (name <> ''),
  ha1_md5    text CHECK (ha1_md5 ~ '^[0-9a-f]{32}$'),
  ha1_sha256 text CHECK (ha1_sha256 ~ '^[0-9a-f]{64}$'),
  ha1_realm  text,
  weight     double precision NOT NULL DEFAULT 1 CHECK (weight > 0),
  enabled    boolean NOT NULL DEFAULT true,
  -- Optimistic locking for the API: an edit names the version it read (409 otherwise).
  version    integer NOT NULL DEFAULT 1 CHECK (version > 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT operators_ha1_has_realm CHECK ((ha1_md5 IS NULL AND ha1_sha256 IS NULL) OR ha1_realm IS NOT NULL)
);

CREATE TABLE operator_skills (
  operator_id text NOT NULL REFERENCES operators (id) ON UPDATE CASCADE ON DELETE CASCADE,
  skill       text NOT NULL REFERENCES skills (name) ON UPDATE CASCADE,
  level       smallint NOT NULL CHECK (level BETWEEN 1 AND 10),
  PRIMARY KEY (operator_id, skill)
);
-- "Who has billing >= 5": the ACD's expressions, the skills report.
CREATE INDEX operator_skills_skill_idx ON operator_skills (skill, level);

CREATE TABLE operator_languages (
  operator_id text NOT NULL REFERENCES operators (id) ON UPDATE CASCADE ON DELETE CASCADE,
  language    text NOT NULL REFERENCES languages (code) ON UPDATE CASCADE,
  PRIMARY KEY (operator_id, language)
);
CREATE INDEX operator_languages_language_idx ON operator_languages (language);

-- ---------------------------------------------------------------- queues

CREATE TABLE queues (
  id                       text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
  name                     text,
  -- A skill expression such as 'internet >= 3 && lang == ru' (checked by the API with the ACD's parser).
  target                   text NOT NULL CHECK (target <> ''),
  strategy                 text NOT NULL DEFAULT 'longest-idle' CHECK (strategy IN (
                             'longest-idle', 'ring-all', 'round-robin', 'top-down', 'fewest-calls',
                             'least-talk-time', 'highest-skill-first', 'random', 'weighted-random')),
  weight                   double precision NOT NULL DEFAULT 1 CHECK (weight >= 0),
  service_level_seconds    double precision NOT NULL DEFAULT 20 CHECK (service_level_seconds > 0),
  short_abandon_seconds    double precision NOT NULL DEFAULT 5 CHECK (short_abandon_seconds >= 0),
  service_level_definition text NOT NULL DEFAULT 'asterisk-sl' CHECK (service_level_definition IN (
                             'asterisk-sl', 'asterisk-sl2', 'offered-excluding-short-abandons', 'removed-within')),
  max_wait_seconds         double precision CHECK (max_wait_seconds > 0),  -- NULL: no limit
  max_length               integer CHECK (max_length > 0),                 -- NULL: no limit
  wrap_up_seconds          double precision NOT NULL DEFAULT 15 CHECK (wrap_up_seconds >= 0),
  ring_timeout_seconds     double precision NOT NULL DEFAULT 20 CHECK (ring_timeout_seconds > 0),
  max_no_answer            integer NOT NULL DEFAULT 3 CHECK (max_no_answer >= 0),
  retry_seconds            double precision NOT NULL DEFAULT 5 CHECK (retry_seconds >= 0),
  enabled                  boolean NOT NULL DEFAULT true,
  version                  integer NOT NULL DEFAULT 1 CHECK (version > 0),
  created_at               timestamptz NOT NULL DEFAULT now(),
  updated_at               timestamptz NOT NULL DEFAULT now()
);

-- Escalation steps in order (FreeSWITCH tier rules): widen the target, raise
-- the priority, or overflow to another queue, counted from the original enqueue time.
CREATE TABLE queue_escalation_steps (
  queue_id      text NOT NULL REFERENCES queues (id) ON UPDATE CASCADE ON DELETE CASCADE,
  step          smallint NOT NULL CHECK (step > 0),
  after_seconds double precision NOT NULL CHECK (after_seconds >= 0),
  target        text CHECK (target <> ''),
  priority      smallint CHECK (priority BETWEEN 0 AND 9),
  -- RESTRICT: a queue others overflow into cannot be deleted from under them.
  overflow_to   text REFERENCES queues (id) ON UPDATE CASCADE ON DELETE RESTRICT,
  PRIMARY KEY (queue_id, step),
  CONSTRAINT queue_escalation_steps_does_something CHECK (target IS NOT NULL OR priority IS NOT NULL OR overflow_to IS NOT NULL),
  CONSTRAINT queue_escalation_steps_not_to_itself CHECK (overflow_to <> queue_id)
);
CREATE INDEX queue_escalation_steps_overflow_idx ON queue_escalation_steps (overflow_to) WHERE overflow_to IS NOT NULL;

-- Explicit membership and order (top-down, round-robin); otherwise the target expression decides.
CREATE TABLE queue_members (
  queue_id    text NOT NULL REFERENCES queues (id) ON UPDATE CASCADE ON DELETE CASCADE,
  operator_id text NOT NULL REFERENCES operators (id) ON UPDATE CASCADE ON DELETE CASCADE,
  position    integer CHECK (position >= 0),
  PRIMARY KEY (queue_id, operator_id),
  -- Deferred: reordering swaps positions inside one transaction.
  CONSTRAINT queue_members_position_unique UNIQUE (queue_id, position) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX queue_members_operator_idx ON queue_members (operator_id);

-- ---------------------------------------------------------------- flows and numbers

CREATE TABLE flows (
  id         text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Every version of every flow file, append-only; the highest version is the
-- current one (a rollback appends a copy of an older text). CDRs name the flow
-- by (id, sha256).
CREATE TABLE flow_versions (
  flow_id    text NOT NULL REFERENCES flows (id) ON UPDATE CASCADE ON DELETE CASCADE,
  version    integer NOT NULL CHECK (version > 0),
  source     text NOT NULL,
  sha256     text NOT NULL,
  changed_by text NOT NULL CHECK (changed_by <> ''),
  changed_via text NOT NULL CHECK (changed_via IN ('seed', 'file', 'api', 'rollback')),
  comment    text,
  changed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (flow_id, version),
  -- The hash is the one the IVR loader computes (SHA-256 of the UTF-8 text): it cannot drift from the text.
  CONSTRAINT flow_versions_sha256_matches CHECK (sha256 = encode(sha256(convert_to(source, 'UTF8')), 'hex'))
);
CREATE INDEX flow_versions_hash_idx ON flow_versions (flow_id, sha256);

-- Dialled number (Request-URI user) -> the flow that answers it.
CREATE TABLE numbers (
  number      text PRIMARY KEY CHECK (number ~ '^[+*#0-9A-Za-z._-]{1,32}$'),
  flow_id     text NOT NULL REFERENCES flows (id) ON UPDATE CASCADE ON DELETE RESTRICT,
  description text,
  version     integer NOT NULL DEFAULT 1 CHECK (version > 0),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX numbers_flow_idx ON numbers (flow_id);

-- Outage announcements by area ("no internet in Zarechny until 18:00"); open-ended when a bound is NULL.
CREATE TABLE outage_notices (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  area       text NOT NULL CHECK (area <> ''),
  prompt     text NOT NULL CHECK (prompt <> ''),
  starts_at  timestamptz,
  ends_at    timestamptz,
  created_by text,
  version    integer NOT NULL DEFAULT 1 CHECK (version > 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT outage_notices_ends_after_start CHECK (ends_at > starts_at)
);
-- "What is current for this area": area, then notices that have not ended.
CREATE INDEX outage_notices_area_idx ON outage_notices (area, ends_at);

-- ---------------------------------------------------------------- registrations

-- SIP bindings (RFC 3261 §10.3, RFC 5626), so softphones stay reachable across a restart.
CREATE TABLE registrations (
  aor              text NOT NULL,
  contact          text NOT NULL,
  expires_at       timestamptz NOT NULL,
  q                real NOT NULL DEFAULT 1 CHECK (q BETWEEN 0 AND 1),
  call_id          text NOT NULL,
  cseq             bigint NOT NULL CHECK (cseq >= 0),
  instance_id      text,
  reg_id           integer CHECK (reg_id > 0),
  path             text[] NOT NULL DEFAULT '{}',
  source_transport text NOT NULL CHECK (source_transport IN ('udp', 'tcp', 'tls', 'ws', 'wss')),
  source_address   text NOT NULL,
  source_port      integer NOT NULL CHECK (source_port BETWEEN 0 AND 65535),
  connection_id    text,
  user_agent       text,
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (aor, contact)
);
CREATE INDEX registrations_expires_idx ON registrations (expires_at);

-- ---------------------------------------------------------------- calls (CDR)

-- One row per call. call_id (the caller leg's SIP Call-ID) is the idempotency
-- key: the writer inserts with ON CONFLICT (call_id) DO NOTHING.
CREATE TABLE calls (
  call_id         text PRIMARY KEY,
  caller          text NOT NULL,
  number          text NOT NULL,
  flow_id         text,
  flow_sha256     text,
  language        text,
  arrived_at      timestamptz NOT NULL,
  ivr_answered_at timestamptz,
  queued_at       timestamptz,
  offered_at      timestamptz,
  connected_at    timestamptz,
  ended_at        timestamptz,
  queue_id        text,
  wait_ms         integer CHECK (wait_ms >= 0),
  agent_id        text,
  talk_ms         integer NOT NULL DEFAULT 0 CHECK (talk_ms >= 0),
  hold_ms         integer NOT NULL DEFAULT 0 CHECK (hold_ms >= 0),
  wrap_up_ms      integer CHECK (wrap_up_ms >= 0),
  disposition     text NOT NULL CHECK (disposition IN (
                    'answered', 'abandoned', 'ivr-only', 'timeout', 'callback', 'voicemail', 'transferred-out', 'failed')),
  hung_up_by      text CHECK (hung_up_by IN ('caller', 'operator', 'system')),
  recording_path  text,
  voicemail_path  text,
  callback_number text,
  survey_score    smallint CHECK (survey_score BETWEEN 0 AND 9),
  -- Flow variables (contract number, chosen menu items...).
  variables       jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(variables) = 'object'),
  CONSTRAINT calls_ends_after_arrival CHECK (ended_at >= arrived_at)
);
-- CDR search (API) and reports: a time range, alone or with one of the filters.
CREATE INDEX calls_arrived_idx ON calls (arrived_at);
CREATE INDEX calls_ended_idx ON calls (ended_at);
CREATE INDEX calls_caller_idx ON calls (caller, arrived_at);
CREATE INDEX calls_agent_idx ON calls (agent_id, arrived_at) WHERE agent_id IS NOT NULL;
CREATE INDEX calls_queue_idx ON calls (queue_id, arrived_at) WHERE queue_id IS NOT NULL;
CREATE INDEX calls_disposition_idx ON calls (disposition, arrived_at);
-- "Every call about contract 123456": WHERE variables->>'contract' = $1 uses this index.
CREATE INDEX calls_contract_idx ON calls ((variables ->> 'contract')) WHERE (variables ->> 'contract') IS NOT NULL;

-- The SIP legs of a call: the caller, each operator rung, transfer targets.
CREATE TABLE call_legs (
  call_id     text NOT NULL REFERENCES calls (call_id) ON DELETE CASCADE,
  leg         smallint NOT NULL CHECK (leg >= 0),
  role        text NOT NULL CHECK (role IN ('caller', 'operator', 'transfer-target')),
  sip_call_id text NOT NULL,
  uri         text NOT NULL,
  agent_id    text,
  status      smallint CHECK (status BETWEEN 100 AND 699),
  started_at  timestamptz NOT NULL,
  answered_at timestamptz,
  ended_at    timestamptz,
  PRIMARY KEY (call_id, leg),
  CONSTRAINT call_legs_ends_after_start CHECK (ended_at >= started_at)
);

CREATE TABLE call_transfers (
  call_id  text NOT NULL REFERENCES calls (call_id) ON DELETE CASCADE,
  seq      smallint NOT NULL CHECK (seq >= 0),
  at       timestamptz NOT NULL,
  transferred_by text NOT NULL CHECK (transferred_by IN ('operator-refer', 'operator-dtmf', 'flow')),
  agent_id text,
  target   text NOT NULL,
  kind     text NOT NULL CHECK (kind IN ('queue', 'external')),
  PRIMARY KEY (call_id, seq)
);

-- Audio files: call recordings (stereo, caller left) and voicemails.
CREATE TABLE recordings (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  call_id     text NOT NULL REFERENCES calls (call_id) ON DELETE CASCADE,
  kind        text NOT NULL CHECK (kind IN ('call', 'voicemail')),
  path        text NOT NULL UNIQUE,
  agent_id    text,
  started_at  timestamptz NOT NULL,
  duration_ms integer NOT NULL CHECK (duration_ms >= 0),
  bytes       bigint NOT NULL CHECK (bytes >= 0),
  deleted_at  timestamptz  -- the file was removed (retention); the row stays for the audit trail
);
CREATE INDEX recordings_call_idx ON recordings (call_id);

-- Post-call survey answers; scale_min..scale_max is the flow's scale at the time.
CREATE TABLE surveys (
  call_id     text NOT NULL REFERENCES calls (call_id) ON DELETE CASCADE,
  question    text NOT NULL DEFAULT 'default',
  score       smallint NOT NULL,
  scale_min   smallint NOT NULL CHECK (scale_min >= 0),
  scale_max   smallint NOT NULL CHECK (scale_max <= 9),
  agent_id    text,
  queue_id    text,
  answered_at timestamptz NOT NULL,
  PRIMARY KEY (call_id, question),
  CONSTRAINT surveys_score_in_scale CHECK (scale_min < scale_max AND score BETWEEN scale_min AND scale_max)
);
CREATE INDEX surveys_agent_idx ON surveys (agent_id, answered_at) WHERE agent_id IS NOT NULL;
CREATE INDEX surveys_answered_idx ON surveys (answered_at);

-- Callback requests: the caller left a number and keeps their place in line.
-- Written while the call is still going, before its CDR exists: no FK to calls.
CREATE TABLE callbacks (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  contact_id   text NOT NULL UNIQUE,  -- the ACD contact id: idempotency key
  call_id      text,                   -- the call it came from (NULL: created through the API)
  queue_id     text NOT NULL,
  number       text NOT NULL CHECK (number <> ''),
  status       text NOT NULL DEFAULT 'waiting' CHECK (status IN ('waiting', 'offered', 'dialing', 'done', 'failed', 'cancelled')),
  assigned_to  text,                   -- operator id, when a supervisor assigned it
  attempts     integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  requested_at timestamptz NOT NULL,
  done_at      timestamptz,
  note         text,
  version      integer NOT NULL DEFAULT 1 CHECK (version > 0),
  CONSTRAINT callbacks_done_after_request CHECK (done_at >= requested_at)
);
CREATE INDEX callbacks_open_idx ON callbacks (queue_id, requested_at) WHERE status IN ('waiting', 'offered', 'dialing');
CREATE INDEX callbacks_requested_idx ON callbacks (requested_at);

-- ---------------------------------------------------------------- event streams

-- One row per ACD fact, in the spirit of Asterisk's queue_log: reports compute
-- offered / answered / abandoned / service level / ASA / AHT from these rows.
-- call_id is the ACD contact id (the call's SIP Call-ID, or a callback's id).
CREATE TABLE queue_events (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at              timestamptz NOT NULL,
  call_id         text NOT NULL,
  queue_id        text NOT NULL,
  agent_id        text,
  event           text NOT NULL CHECK (event IN (
                    'ENTERQUEUE',          -- contact-queued
                    'FULL',                -- contact-refused: queue full
                    'OFFER',               -- an operator's phone rings
                    'RINGNOANSWER',        -- offer-missed: rejected or timed out
                    'RINGCANCELED',        -- offer-cancelled: caller hung up, answered elsewhere...
                    'CONNECT',             -- answered; wait_ms from the original enqueue time
                    'ABANDON',             -- caller hung up while waiting
                    'TIMEOUT',             -- max wait reached
                    'OVERFLOW',            -- moved to data.toQueueId by escalation
                    'ESCALATE',            -- an escalation step applied
                    'CALLBACK',            -- the caller asked to be called back
                    'CALLBACK_CANCELLED',
                    'TRANSFER',            -- the operator sent the caller to data.toQueueId
                    'COMPLETE',            -- the talk ended
                    'WRAPUP_END')),        -- the operator's after-call work ended
  wait_ms         integer CHECK (wait_ms >= 0),
  talk_ms         integer CHECK (talk_ms >= 0),
  wrap_ms         integer CHECK (wrap_ms >= 0),
  data            jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(data) = 'object'),
  idempotency_key text NOT NULL UNIQUE,
  CONSTRAINT queue_events_agent_named CHECK (
    agent_id IS NOT NULL OR event NOT IN ('OFFER', 'RINGNOANSWER', 'RINGCANCELED', 'CONNECT', 'COMPLETE', 'TRANSFER', 'WRAPUP_END'))
);
CREATE INDEX queue_events_queue_idx ON queue_events (queue_id, at);
CREATE INDEX queue_events_agent_idx ON queue_events (agent_id, at) WHERE agent_id IS NOT NULL;
CREATE INDEX queue_events_call_idx ON queue_events (call_id);

-- Every operator state transition; the time in a state (not-ready by reason,
-- occupancy) is the gap to the operator's next row (LEAD() over operator_id, at).
CREATE TABLE operator_state_changes (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at              timestamptz NOT NULL,
  operator_id     text NOT NULL,
  from_state      text NOT NULL CHECK (from_state IN ('logged-out', 'available', 'reserved', 'on-call', 'wrap-up', 'not-ready')),
  to_state        text NOT NULL CHECK (to_state IN ('logged-out', 'available', 'reserved', 'on-call', 'wrap-up', 'not-ready')),
  reason          text CHECK (reason IN ('break', 'lunch', 'training', 'missed-calls', 'other')),
  idempotency_key text NOT NULL UNIQUE,
  CONSTRAINT operator_state_changes_reason_only_not_ready CHECK (reason IS NULL OR to_state = 'not-ready')
);
CREATE INDEX operator_state_changes_operator_idx ON operator_state_changes (operator_id, at);
CREATE INDEX operator_state_changes_at_idx ON operator_state_changes (at);

-- ---------------------------------------------------------------- API access

CREATE TABLE api_users (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  username      text NOT NULL CHECK (username ~ '^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$'),
  display_name  text,
  role          text NOT NULL CHECK (role IN ('admin', 'supervisor', 'operator')),
  -- An operator's login may only change that operator's own state.
  operator_id   text REFERENCES operators (id) ON UPDATE CASCADE ON DELETE CASCADE,
  -- A self-describing password hash (e.g. scrypt$N$r$p$salt$hash); NULL: token-only user.
  password_hash text CHECK (password_hash <> ''),
  disabled      boolean NOT NULL DEFAULT false,
  version       integer NOT NULL DEFAULT 1 CHECK (version > 0),
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  last_login_at timestamptz,
  CONSTRAINT api_users_operator_role CHECK (role <> 'operator' OR operator_id IS NOT NULL)
);
-- Logins are case-insensitive: 'Anna' and 'anna' are one user.
CREATE UNIQUE INDEX api_users_username_key ON api_users (lower(username));

-- API tokens are stored as SHA-256 of the token (they are long random strings,
-- so a fast hash is enough); the clear token is shown once, at creation.
CREATE TABLE api_tokens (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id      bigint NOT NULL REFERENCES api_users (id) ON DELETE CASCADE,
  name         text NOT NULL CHECK (name <> ''),
  token_sha256 text NOT NULL UNIQUE CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
  -- The first characters of the token, to recognise it in a list.
  prefix       text NOT NULL CHECK (length(prefix) BETWEEN 4 AND 12),
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz,
  last_used_at timestamptz,
  revoked_at   timestamptz
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);
