// planfix-flow: posts every brief-form submission to the service (POST /webhooks/google-forms),
// signed per Standard Webhooks. Bound to the brief form; install with installTriggers().
// Contract: webhooks/google-forms/README.md. Test: tests/google_forms_script/apps_script_test.js.
//
// Script Properties (Project Settings → Script Properties), never written in this file:
//   PLANFIX_FLOW_URL     the endpoint, e.g. https://flow.example.com/webhooks/google-forms
//   PLANFIX_FLOW_SECRET  the service's PLANFIX_FLOW_GOOGLE_WEBHOOK_SECRET, as written there
//                        ("whsec_<base64>" or a plain string). It signs these deliveries
//                        only; every editor of the form can read it. Brief codes are
//                        signed with a key only the service holds: nothing here makes one.
//
// Google does not retry a failed trigger run, so this script retries by itself: a few times
// within the run, then from a queue in Script Properties that retryQueued() (a time-driven
// trigger) drains. The service also reconciles through the Forms API, so nothing here is the
// only copy of a brief.

// ---- Configuration ----------------------------------------------------------------------

// Titles of the pre-filled short-answer question that carries the brief code. A title matches
// when it equals one of these (case and surrounding spaces ignored), or when one of its
// " / "-separated parts does (bilingual titles such as "Код брифу / Brief code").
var BRIEF_CODE_TITLES = ['Brief code', 'Код брифу'];

// Tries within one trigger run, and the pause before the second; each further pause doubles.
// Worst case the run spends MAX_TRIES fetch timeouts plus the pauses, well under the 6-minute
// limit of an Apps Script execution.
var MAX_TRIES = 4;
var FIRST_BACKOFF_MS = 1000;
// A Retry-After longer than this is not waited for within the run; the queue takes over.
var MAX_BACKOFF_MS = 30000;

// How often retryQueued() runs (ScriptApp allows 1, 5, 10, 15 or 30 minutes), the pause
// after a queued delivery fails (doubling up to the maximum), and when a queued delivery is
// given up (the service's reconciliation has long since fetched the response by then).
var QUEUE_TRIGGER_MINUTES = 10;
var QUEUE_FIRST_BACKOFF_MS = 5 * 60 * 1000;
var QUEUE_MAX_BACKOFF_MS = 2 * 60 * 60 * 1000;
var QUEUE_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;
// retryQueued() stops starting deliveries after this long, to end before the 6-minute limit.
var QUEUE_RUN_BUDGET_MS = 4 * 60 * 1000;

// ---- Internal constants -----------------------------------------------------------------

var URL_PROPERTY = 'PLANFIX_FLOW_URL';
var SECRET_PROPERTY = 'PLANFIX_FLOW_SECRET';
// A Script Properties value holds at most 9 kB, so a queued body is stored in chunks. 2,500
// UTF-16 code units are at most 7,500 UTF-8 bytes.
var QUEUE_META_PREFIX = 'planfix_flow.queue.meta.';
var QUEUE_BODY_PREFIX = 'planfix_flow.queue.body.';
var QUEUE_CHUNK_CHARS = 2500;
var WEBHOOK_SECRET_PREFIX = 'whsec_';

// ---- Triggers ---------------------------------------------------------------------------

// The installable "On form submit" trigger. Delivers the response, or queues it for
// retryQueued() when the service stays unreachable. Throws (so the run shows as failed and
// Google e-mails the trigger's owner) when the service rejects the payload for good (not
// queued), and when an operator must act: the script is not configured, or the service
// answers 401/403/404 (queued, so fixing the secret or the URL delivers it).
function onFormSubmit(e) {
  if (!e || !e.response) {
    throw new Error('planfix-flow: onFormSubmit runs from the form-submit trigger; to set up, ' +
                    'run installTriggers()');
  }
  var form = e && e.source && typeof e.source.getId === 'function' ? e.source
                                                                   : FormApp.getActiveForm();
  var payload = buildPayload_(form, e.response);
  var body = JSON.stringify(payload);
  var webhookId = payload.responseId;
  var config = readConfig_();
  if (!config) {
    enqueue_(webhookId, body, 'the script is not configured');
    throw new Error('planfix-flow: set the Script Properties ' + URL_PROPERTY + ' and ' +
                    SECRET_PROPERTY + '; response ' + webhookId + ' is queued');
  }
  var outcome = deliver_(config, webhookId, body, MAX_TRIES);
  if (outcome.delivered) return;
  if (outcome.permanent) {
    throw new Error('planfix-flow: the service rejected response ' + webhookId + ': ' +
                    outcome.detail);
  }
  enqueue_(webhookId, body, outcome.detail);
  if (outcome.needsOperator) {
    throw new Error('planfix-flow: check ' + URL_PROPERTY + ', ' + SECRET_PROPERTY +
                    ' and the service\'s clock; response ' + webhookId + ' is queued: ' +
                    outcome.detail);
  }
  Logger.log('planfix-flow: response %s queued for retryQueued(): %s', webhookId,
             outcome.detail);
}

// The time-driven trigger: one try per queued delivery that is due, oldest first. Stops at the
// first failure that says the service is down (the rest would fail the same way).
function retryQueued() {
  var lock = LockService.getScriptLock();
  if (!lock.tryLock(5000)) {
    Logger.log('planfix-flow: another retryQueued() is running');
    return;
  }
  var rejected = [];
  try {
    var config = readConfig_();
    var entries = readQueue_();
    if (entries.length === 0) return;
    if (!config) {
      Logger.log('planfix-flow: %s queued deliveries wait for %s and %s', entries.length,
                 URL_PROPERTY, SECRET_PROPERTY);
      return;
    }
    var started = Date.now();
    for (var i = 0; i < entries.length; i++) {
      var entry = entries[i];
      var now = Date.now();
      if (now - started > QUEUE_RUN_BUDGET_MS) break;
      if (now - entry.meta.queuedAt > QUEUE_MAX_AGE_MS) {
        dequeue_(entry.meta.id);
        Logger.log('planfix-flow: gave up on response %s after %s tries (last: %s); the ' +
                   'service\'s Forms API reconciliation is its copy', entry.meta.id,
                   entry.meta.attempts, entry.meta.lastError);
        continue;
      }
      if (entry.meta.nextAttemptAt > now) continue;
      if (entry.body === null) {
        Logger.log('planfix-flow: queued response %s is incomplete; dropped', entry.meta.id);
        dequeue_(entry.meta.id);
        continue;
      }
      var outcome = deliver_(config, entry.meta.id, entry.body, 1);
      if (outcome.delivered) {
        dequeue_(entry.meta.id);
        continue;
      }
      if (outcome.permanent) {
        dequeue_(entry.meta.id);
        rejected.push(entry.meta.id + ': ' + outcome.detail);
        continue;
      }
      reschedule_(entry.meta, outcome.detail);
      break;
    }
  } finally {
    lock.releaseLock();
  }
  if (rejected.length > 0) {
    throw new Error('planfix-flow: the service rejected queued responses: ' +
                    rejected.join('; '));
  }
}

// Run once from the editor (Run → installTriggers) and authorise. Safe to run again: it
// replaces this script's own triggers instead of adding duplicates.
function installTriggers() {
  var handlers = {onFormSubmit: true, retryQueued: true};
  var existing = ScriptApp.getProjectTriggers();
  for (var i = 0; i < existing.length; i++) {
    if (handlers[existing[i].getHandlerFunction()]) ScriptApp.deleteTrigger(existing[i]);
  }
  ScriptApp.newTrigger('onFormSubmit').forForm(FormApp.getActiveForm()).onFormSubmit().create();
  ScriptApp.newTrigger('retryQueued').timeBased().everyMinutes(QUEUE_TRIGGER_MINUTES).create();
  if (!readConfig_()) {
    Logger.log('planfix-flow: triggers installed, but set the Script Properties %s and %s',
               URL_PROPERTY, SECRET_PROPERTY);
  } else {
    Logger.log('planfix-flow: triggers installed');
  }
}

// ---- The payload ------------------------------------------------------------------------

// The JSON object of webhooks/google-forms/README.md ("The payload").
function buildPayload_(form, response) {
  var itemResponses = response.getItemResponses();
  var answers = [];
  var briefCode = '';
  for (var i = 0; i < itemResponses.length; i++) {
    var item = itemResponses[i].getItem();
    var title = String(item.getTitle() || '').trim();
    var value = answerValue_(item.getType(), itemResponses[i].getResponse());
    if (briefCode === '' && typeof value === 'string' && isBriefCodeTitle_(title)) {
      briefCode = value.trim();
    }
    answers.push({
      // The service requires a title; an untitled question still gets a stable one.
      title: title !== '' ? title : 'Untitled question ' + item.getId(),
      // Apps Script's item id, not the Forms API questionId (a different number), so it goes
      // in a member of its own; the service ignores it and matches answers by title.
      itemId: String(item.getId()),
      value: value
    });
  }
  return {
    responseId: String(response.getId()),
    formId: String(form.getId()),
    timestamp: response.getTimestamp().toISOString(),
    respondentEmail: String(response.getRespondentEmail() || ''),
    briefCode: briefCode,
    answers: answers
  };
}

// A string (text, choice, scale, date, time), a list of strings (checkboxes, file uploads) or
// a list of rows, each a list of strings (grids). A multiple-choice grid answers one string
// per row in Apps Script; it is sent as one-element rows so both grids read the same.
function answerValue_(type, raw) {
  var kind = String(type);
  if ((kind === 'GRID' || kind === 'CHECKBOX_GRID') && Array.isArray(raw)) {
    return raw.map(function(row) {
      if (row === null || row === undefined || row === '') return [];
      if (Array.isArray(row)) return stringList_(row);
      return [String(row)];
    });
  }
  if (raw === null || raw === undefined) return '';
  if (!Array.isArray(raw)) return String(raw);
  var nested = raw.some(function(part) { return Array.isArray(part); });
  if (!nested) return stringList_(raw);
  return raw.map(function(row) { return Array.isArray(row) ? stringList_(row) : []; });
}

function stringList_(values) {
  var out = [];
  for (var i = 0; i < values.length; i++) {
    if (values[i] !== null && values[i] !== undefined && values[i] !== '') {
      out.push(String(values[i]));
    }
  }
  return out;
}

function isBriefCodeTitle_(title) {
  var wanted = BRIEF_CODE_TITLES.map(function(t) { return t.trim().toLowerCase(); });
  var candidates = [title].concat(title.split(' / '));
  for (var i = 0; i < candidates.length; i++) {
    if (wanted.indexOf(candidates[i].trim().toLowerCase()) !== -1) return true;
  }
  return false;
}

// ---- Delivery ---------------------------------------------------------------------------

// Null when a property is missing. The key is the secret's bytes, or for "whsec_<base64>" the
// decoded base64, exactly as the service's StandardWebhookKey() derives it.
function readConfig_() {
  var properties = PropertiesService.getScriptProperties();
  var url = String(properties.getProperty(URL_PROPERTY) || '').trim();
  var secret = String(properties.getProperty(SECRET_PROPERTY) || '').trim();
  if (url === '' || secret === '') return null;
  var key = secret.indexOf(WEBHOOK_SECRET_PREFIX) === 0
                ? Utilities.base64Decode(secret.substring(WEBHOOK_SECRET_PREFIX.length))
                : Utilities.newBlob(secret).getBytes();
  return {url: url, key: key};
}

// "v1,<base64 HMAC-SHA256(key, id + '.' + timestamp + '.' + body)>" over the UTF-8 bytes
// (newBlob encodes UTF-8; the id and timestamp are ASCII, so the body's bytes are the ones
// sent).
function sign_(key, webhookId, timestamp, body) {
  var content = Utilities.newBlob(webhookId + '.' + timestamp + '.' + body).getBytes();
  return 'v1,' + Utilities.base64Encode(Utilities.computeHmacSha256Signature(content, key));
}

// Up to `tries` POSTs of `body` with `webhookId`, each signed afresh (the service refuses a
// timestamp more than 5 minutes off). Returns {delivered, permanent, needsOperator, detail}:
// permanent when retrying the same body cannot help (400, 413, 415, ...); needsOperator for
// 401/403/404, a wrong secret, URL or clock or a disabled endpoint, which an operator can fix
// while the delivery waits in the queue. Anything else undelivered is worth retrying later.
function deliver_(config, webhookId, body, tries) {
  var bodyBytes = Utilities.newBlob(body).getBytes();
  var detail = '';
  for (var attempt = 1; attempt <= tries; attempt++) {
    var timestamp = String(Math.floor(Date.now() / 1000));
    var retryAfterMs = null;
    var status = 0;
    try {
      var response = UrlFetchApp.fetch(config.url, {
        method: 'post',
        contentType: 'application/json; charset=utf-8',
        payload: bodyBytes,
        headers: {
          'webhook-id': webhookId,
          'webhook-timestamp': timestamp,
          'webhook-signature': sign_(config.key, webhookId, timestamp, body)
        },
        muteHttpExceptions: true,
        followRedirects: false
      });
      status = response.getResponseCode();
      if (status >= 200 && status < 300) {
        Logger.log('planfix-flow: response %s delivered (HTTP %s, try %s)', webhookId, status,
                   attempt);
        return {delivered: true, permanent: false, needsOperator: false, detail: 'HTTP ' + status};
      }
      detail = 'HTTP ' + status + ' ' + String(response.getContentText() || '').substring(0, 300);
      retryAfterMs = retryAfterMs_(response);
    } catch (error) {
      // DNS failures, refused connections and timeouts throw even with muteHttpExceptions.
      detail = 'fetch failed: ' + (error && error.message ? error.message : String(error));
    }
    Logger.log('planfix-flow: response %s, try %s of %s: %s', webhookId, attempt, tries, detail);
    if (status !== 0 && !isRetryable_(status)) {
      var operatorCanFix = status === 401 || status === 403 || status === 404;
      return {delivered: false, permanent: !operatorCanFix, needsOperator: operatorCanFix,
              detail: detail};
    }
    if (attempt < tries) {
      var pause = FIRST_BACKOFF_MS * Math.pow(2, attempt - 1);
      if (retryAfterMs !== null) {
        if (retryAfterMs > MAX_BACKOFF_MS) break;
        pause = Math.max(pause, retryAfterMs);
      }
      Utilities.sleep(Math.min(pause, MAX_BACKOFF_MS));
    }
  }
  return {delivered: false, permanent: false, needsOperator: false, detail: detail};
}

function isRetryable_(status) {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

// Retry-After in seconds (the service sends no HTTP dates), or null.
function retryAfterMs_(response) {
  var headers = response.getHeaders() || {};
  for (var name in headers) {
    if (String(name).toLowerCase() === 'retry-after') {
      var seconds = Number(headers[name]);
      return isFinite(seconds) && seconds >= 0 ? seconds * 1000 : null;
    }
  }
  return null;
}

// ---- The queue --------------------------------------------------------------------------
// One meta property per queued response ({id, attempts, queuedAt, nextAttemptAt, chunks,
// lastError}) plus the body in chunks. Meta and chunks are written in one setProperties call;
// a reader that finds chunks missing treats the entry as incomplete.

function enqueue_(webhookId, body, reason) {
  var values = {};
  var chunks = 0;
  for (var start = 0; start < body.length; chunks++) {
    var end = Math.min(start + QUEUE_CHUNK_CHARS, body.length);
    // Never split a surrogate pair between two properties.
    var last = body.charCodeAt(end - 1);
    if (end < body.length && last >= 0xD800 && last <= 0xDBFF) end--;
    values[QUEUE_BODY_PREFIX + webhookId + '.' + chunks] = body.substring(start, end);
    start = end;
  }
  var now = Date.now();
  values[QUEUE_META_PREFIX + webhookId] = JSON.stringify({
    id: webhookId,
    attempts: 0,
    queuedAt: now,
    nextAttemptAt: now,
    chunks: chunks,
    lastError: String(reason).substring(0, 300)
  });
  var properties = PropertiesService.getScriptProperties();
  deleteQueued_(properties, webhookId);
  properties.setProperties(values);
}

function reschedule_(meta, reason) {
  meta.attempts += 1;
  meta.lastError = String(reason).substring(0, 300);
  meta.nextAttemptAt = Date.now() + Math.min(
      QUEUE_FIRST_BACKOFF_MS * Math.pow(2, meta.attempts - 1), QUEUE_MAX_BACKOFF_MS);
  PropertiesService.getScriptProperties().setProperty(QUEUE_META_PREFIX + meta.id,
                                                      JSON.stringify(meta));
}

function dequeue_(webhookId) {
  deleteQueued_(PropertiesService.getScriptProperties(), webhookId);
}

function deleteQueued_(properties, webhookId) {
  var keys = properties.getKeys();
  var bodyPrefix = QUEUE_BODY_PREFIX + webhookId + '.';
  for (var i = 0; i < keys.length; i++) {
    if (keys[i] === QUEUE_META_PREFIX + webhookId || keys[i].indexOf(bodyPrefix) === 0) {
      properties.deleteProperty(keys[i]);
    }
  }
}

// Queued entries, oldest first: [{meta, body}], body null when a chunk is missing.
function readQueue_() {
  var all = PropertiesService.getScriptProperties().getProperties();
  var entries = [];
  for (var key in all) {
    if (key.indexOf(QUEUE_META_PREFIX) !== 0) continue;
    var meta;
    try {
      meta = JSON.parse(all[key]);
    } catch (error) {
      continue;
    }
    var parts = [];
    for (var i = 0; i < meta.chunks; i++) {
      var part = all[QUEUE_BODY_PREFIX + meta.id + '.' + i];
      if (part === undefined || part === null) {
        parts = null;
        break;
      }
      parts.push(part);
    }
    entries.push({meta: meta, body: parts === null ? null : parts.join('')});
  }
  entries.sort(function(a, b) { return a.meta.queuedAt - b.meta.queuedAt; });
  return entries;
}
