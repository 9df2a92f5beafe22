#!/usr/bin/env node
// Runs webhooks/google-forms/planfix-flow.gs in a vm context with hand-written fakes of the Apps
// Script services it uses, and checks that what it posts is what the service accepts: the
// payload shape of ParseGoogleFormSubmission, and a Standard Webhooks signature verified here
// independently, with the key derived the way StandardWebhookKey() derives it.
//
// Usage: node apps_script_test.js [path/to/planfix-flow.gs]
// With APPS_SCRIPT_PAYLOAD_OUT set, the body of the first delivery is written to that file.
// Node only, no npm packages. Exit code 0 when every case passes, 1 otherwise.
'use strict';

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const scriptPath = path.resolve(process.argv[2] ||
                                path.join(__dirname, '..', '..', 'webhooks', 'google-forms',
                                          'planfix-flow.gs'));
const samplePath = path.join(path.dirname(scriptPath), 'form-submitted.json');
const scriptSource = fs.readFileSync(scriptPath, 'utf8');

const kUrl = 'https://flow.example.com/webhooks/google-forms';
const kWhsecSecret = 'whsec_' + Buffer.from('0123456789abcdef0123456789abcdef').toString('base64');
const kPlainSecret = 'plain-secret-not-base64';
const kToleranceSeconds = 300;  // kStandardWebhooksTolerance
const kBodyLimitBytes = 64 * 1024;  // ServerOptions::body_limit_bytes default
const kStart = Date.parse('2026-11-27T10:15:31.000Z');
const kResponseId = 'ACYDBNj2kQ5rT0p1Zp3Wq9sE4bXoJ7yH8uVw';
const kFormId = '1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789';
const kBriefCode = '2001-17-3f9a0c1b2d';

// ---- The service's side, written from the spec and the C++ verifier, not from the script ----

// StandardWebhookKey(): "whsec_<base64>" is base64-decoded (strictly), anything else is raw bytes.
function standardWebhookKey(secret) {
  if (!secret.startsWith('whsec_')) return Buffer.from(secret, 'utf8');
  const encoded = secret.slice('whsec_'.length);
  assert.match(encoded, /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/);
  return Buffer.from(encoded, 'base64');
}

// VerifyStandardWebhook(): returns null when valid, else the reason.
function verifyStandardWebhook(key, headers, bodyBuffer, nowMs) {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signature = headers['webhook-signature'];
  if (!id) return 'missing webhook-id';
  if (id.length > 256 || !/^[\x21-\x7e]+$/.test(id)) return 'bad webhook-id';
  if (!timestamp || !/^[0-9]+$/.test(timestamp)) return 'bad webhook-timestamp';
  if (Math.abs(Number(timestamp) - Math.floor(nowMs / 1000)) > kToleranceSeconds) {
    return 'webhook-timestamp outside the tolerance';
  }
  if (!signature) return 'missing webhook-signature';
  const expected = crypto.createHmac('sha256', key)
                       .update(Buffer.concat([Buffer.from(`${id}.${timestamp}.`), bodyBuffer]))
                       .digest();
  for (const entry of signature.split(' ')) {
    if (!entry.startsWith('v1,')) continue;
    const decoded = Buffer.from(entry.slice(3), 'base64');
    if (decoded.length === expected.length && crypto.timingSafeEqual(decoded, expected)) {
      return null;
    }
  }
  return 'no valid v1 signature';
}

// IsRfc3339Timestamp().
function isRfc3339(text) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-](\d{2}):(\d{2}))$/
                .exec(text);
  if (!m) return false;
  const [month, day, hour, minute, second] = [m[2], m[3], m[4], m[5], m[6]].map(Number);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return false;
  }
  return m[8] === 'Z' || (Number(m[9]) <= 23 && Number(m[10]) <= 59);
}

// JsonDepthWithin(): brackets outside strings.
function jsonDepth(text) {
  let depth = 0, max = 0, inString = false, escaped = false;
  for (const ch of text) {
    if (inString) {
      if (escaped) escaped = false;
      else if (ch === '\\') escaped = true;
      else if (ch === '"') inString = false;
    } else if (ch === '"') {
      inString = true;
    } else if (ch === '{' || ch === '[') {
      max = Math.max(max, ++depth);
    } else if ((ch === '}' || ch === ']') && depth > 0) {
      --depth;
    }
  }
  return max;
}

// ParseGoogleFormSubmission()'s rules, as assertions.
function assertAcceptedPayload(bodyBuffer) {
  const text = bodyBuffer.toString('utf8');
  assert.ok(Buffer.from(text, 'utf8').equals(bodyBuffer), 'the body is valid UTF-8');
  assert.ok(jsonDepth(text) <= 8, 'nesting within kGoogleFormMaxJsonDepth');
  const root = JSON.parse(text);
  assert.equal(typeof root, 'object');
  assert.ok(root !== null && !Array.isArray(root), 'the body is an object');
  for (const name of ['responseId', 'formId', 'timestamp']) {
    assert.equal(typeof root[name], 'string', `${name} is a string`);
    assert.notEqual(root[name], '', `${name} is not empty`);
  }
  assert.ok(isRfc3339(root.timestamp), `timestamp ${root.timestamp} is RFC 3339`);
  for (const name of ['respondentEmail', 'briefCode']) {
    if (name in root && root[name] !== null) assert.equal(typeof root[name], 'string', name);
  }
  assert.ok(Array.isArray(root.answers), 'answers is a list');
  assert.ok(root.answers.length <= 500, 'at most kGoogleFormMaxAnswers answers');
  root.answers.forEach((answer, i) => {
    const where = `answers[${i}]`;
    assert.ok(answer && typeof answer === 'object' && !Array.isArray(answer), `${where} object`);
    assert.equal(typeof answer.title, 'string', `${where}.title is a string`);
    assert.notEqual(answer.title, '', `${where}.title is not empty`);
    if ('questionId' in answer && answer.questionId !== null) {
      assert.equal(typeof answer.questionId, 'string', `${where}.questionId`);
    }
    assert.ok('value' in answer, `${where}.value present`);
    assert.ok(isAnswerValue(answer.value), `${where}.value ${JSON.stringify(answer.value)}`);
  });
  return root;
}

function isAnswerValue(value) {
  if (typeof value === 'string') return true;
  if (!Array.isArray(value)) return false;
  if (value.length === 0 || typeof value[0] === 'string') {
    return value.every((v) => typeof v === 'string');
  }
  return value.every((row) => Array.isArray(row) && row.every((v) => typeof v === 'string'));
}

// ---- Fakes of the Apps Script services ----------------------------------------------------

// Java bytes: Apps Script hands byte arrays to scripts as numbers in -128..127.
function toJavaBytes(buffer) {
  return Array.from(buffer, (b) => (b > 127 ? b - 256 : b));
}
function fromJavaBytes(bytes) {
  assert.ok(Array.isArray(bytes), 'a byte array');
  for (const b of bytes) assert.ok(Number.isInteger(b) && b >= -128 && b <= 127, `byte ${b}`);
  return Buffer.from(bytes.map((b) => b & 0xff));
}
function bytesOf(value) {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : fromJavaBytes(value);
}

function makeEnum(names) {
  const out = {};
  for (const name of names) out[name] = {name, toString: () => name};
  return out;
}
const ItemType = makeEnum(['CHECKBOX', 'CHECKBOX_GRID', 'DATE', 'GRID', 'LIST', 'MULTIPLE_CHOICE',
                           'PARAGRAPH_TEXT', 'SCALE', 'TEXT', 'TIME']);

function formatLog(format, ...args) {
  if (typeof format !== 'string') return String(format);
  return format.replace(/%s/g, () => String(args.shift()));
}

class Harness {
  constructor({secret = kWhsecSecret, url = kUrl, responder} = {}) {
    this.now = kStart;
    this.fetches = [];
    this.sleeps = [];
    this.logs = [];
    this.triggers = [];
    this.properties = new Map();
    this.responder = responder || (() => ({status: 200, body: '{"status":"stored","event_id":1}'}));
    this.form = {getId: () => kFormId};
    if (url !== null) this.properties.set('PLANFIX_FLOW_URL', url);
    if (secret !== null) this.properties.set('PLANFIX_FLOW_SECRET', secret);
    this.context = vm.createContext(this.globals());
    vm.runInContext(scriptSource, this.context, {filename: scriptPath});
  }

  call(name, ...args) {
    assert.equal(typeof this.context[name], 'function', `the script defines ${name}()`);
    return this.context[name](...args);
  }

  queueKeys() {
    return [...this.properties.keys()].filter((k) => k.startsWith('planfix_flow.queue.'));
  }

  globals() {
    const harness = this;
    const RealDate = Date;
    class FakeDate extends RealDate {
      constructor(...args) {
        if (args.length === 0) super(harness.now);
        else super(...args);
      }
      static now() {
        return harness.now;
      }
    }
    const store = {
      getProperty: (key) => (harness.properties.has(key) ? harness.properties.get(key) : null),
      setProperty(key, value) {
        harness.setProperties({[key]: value});
        return store;
      },
      setProperties(values, deleteAllOthers) {
        if (deleteAllOthers) harness.properties.clear();
        harness.setProperties(values);
        return store;
      },
      deleteProperty(key) {
        harness.properties.delete(key);
        return store;
      },
      getProperties: () => Object.fromEntries(harness.properties),
      getKeys: () => [...harness.properties.keys()],
    };
    let locked = false;
    const lock = {
      tryLock() {
        if (locked) return false;
        locked = true;
        return true;
      },
      waitLock() {
        if (locked) throw new Error('Lock timeout');
        locked = true;
      },
      releaseLock() {
        locked = false;
      },
      hasLock: () => locked,
    };
    const createTrigger = (handler, kind, extra) => ({
      create() {
        const trigger = Object.assign({handler, kind, getHandlerFunction: () => handler}, extra);
        harness.triggers.push(trigger);
        return trigger;
      },
    });
    return {
      Date: FakeDate,
      console: {
        log: (...a) => harness.logs.push(formatLog(...a)),
        info: (...a) => harness.logs.push(formatLog(...a)),
        warn: (...a) => harness.logs.push(formatLog(...a)),
        error: (...a) => harness.logs.push(formatLog(...a)),
      },
      Logger: {log: (...a) => harness.logs.push(formatLog(...a))},
      Utilities: {
        computeHmacSha256Signature(value, key) {
          const hmac = crypto.createHmac('sha256', bytesOf(key));
          return toJavaBytes(hmac.update(bytesOf(value)).digest());
        },
        base64Encode: (data) => bytesOf(data).toString('base64'),
        base64Decode: (text) => toJavaBytes(Buffer.from(text, 'base64')),
        newBlob(data) {
          const buffer = bytesOf(data);
          return {
            getBytes: () => toJavaBytes(buffer),
            getDataAsString: () => buffer.toString('utf8'),
          };
        },
        sleep(ms) {
          assert.ok(Number.isFinite(ms) && ms >= 0, `sleep(${ms})`);
          harness.sleeps.push(ms);
          harness.now += ms;
        },
      },
      UrlFetchApp: {
        fetch(url, params) {
          const headers = Object.assign({}, params.headers);
          const request = {
            url,
            params,
            headers,
            body: bytesOf(params.payload),
            at: harness.now,
          };
          harness.fetches.push(request);
          harness.now += 200;  // the round trip
          const answer = harness.responder(request, harness.fetches.length - 1);
          if (answer instanceof Error) throw answer;
          if (!params.muteHttpExceptions && answer.status >= 400) {
            throw new Error(`Request failed for ${url} returned code ${answer.status}`);
          }
          return {
            getResponseCode: () => answer.status,
            getContentText: () => answer.body || '',
            getHeaders: () => Object.assign({}, answer.headers),
            getAllHeaders: () => Object.assign({}, answer.headers),
          };
        },
      },
      PropertiesService: {getScriptProperties: () => store},
      LockService: {getScriptLock: () => lock},
      FormApp: {getActiveForm: () => harness.form, ItemType},
      ScriptApp: {
        getProjectTriggers: () => harness.triggers.slice(),
        deleteTrigger(trigger) {
          harness.triggers = harness.triggers.filter((t) => t !== trigger);
        },
        newTrigger(handler) {
          return {
            forForm(form) {
              assert.equal(form, harness.form, 'the trigger is on the bound form');
              return {onFormSubmit: () => createTrigger(handler, 'formSubmit')};
            },
            timeBased() {
              return {
                everyMinutes(minutes) {
                  assert.ok([1, 5, 10, 15, 30].includes(minutes), `everyMinutes(${minutes})`);
                  return createTrigger(handler, 'clock', {minutes});
                },
              };
            },
          };
        },
      },
    };
  }

  // Script Properties' limits: 9 kB a value, 500 kB a store.
  setProperties(values) {
    const next = new Map(this.properties);
    for (const [key, value] of Object.entries(values)) {
      const text = String(value);
      if (Buffer.byteLength(text, 'utf8') > 9 * 1024) {
        throw new Error(`Argument too large: value (${key})`);
      }
      next.set(String(key), text);
    }
    let total = 0;
    for (const [key, value] of next) total += Buffer.byteLength(key + value, 'utf8');
    if (total > 500 * 1024) throw new Error('You have exceeded the property storage quota.');
    this.properties = next;
  }
}

// A FormResponse with every kind of answer the payload distinguishes.
function makeEvent(harness, {briefTitle = 'Brief code', extraText = null} = {}) {
  let nextId = 1001;
  const answer = (type, title, response) => {
    const id = nextId++;
    return {
      getItem: () => ({getId: () => id, getTitle: () => title, getType: () => ItemType[type]}),
      getResponse: () => response,
    };
  };
  const itemResponses = [
    answer('TEXT', briefTitle, `  ${kBriefCode} `),
    answer('PARAGRAPH_TEXT',
           'Що ви очікуєте від співпраці? / What do you expect from working with us?',
           extraText === null ? 'Більше заявок з Instagram 🚀\n"і" з Facebook' : extraText),
    answer('CHECKBOX', 'Підрядники, з якими ви працюєте / Contractors you work with',
           ['SEO agency', 'Freelance designer']),
    answer('CHECKBOX', 'Nothing ticked', []),
    answer('GRID', 'Доступи / Account access', ['Надано / Granted', 'Пізніше / Later', null]),
    answer('CHECKBOX_GRID', 'Channels', [['Instagram', 'Facebook'], null, ['TikTok']]),
    answer('DATE', 'Start date', '2026-12-01'),
    answer('SCALE', 'Budget comfort', '4'),
    answer('MULTIPLE_CHOICE', '', 'Yes'),
  ];
  return {
    source: harness.form,
    triggerUid: '123',
    authMode: 'FULL',
    response: {
      getId: () => kResponseId,
      getTimestamp: () => new Date('2026-11-27T10:15:30.123Z'),
      getRespondentEmail: () => 'olena@example.com',
      getItemResponses: () => itemResponses,
      getEditResponseUrl: () => 'https://docs.google.com/forms/d/e/x/viewform?edit2=y',
    },
  };
}

function assertSignedDelivery(request, secret) {
  assert.equal(request.url, kUrl);
  assert.equal(String(request.params.method).toLowerCase(), 'post');
  assert.equal(request.params.muteHttpExceptions, true);
  assert.match(request.params.contentType, /^application\/json(; *charset=utf-8)?$/i);
  for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
    assert.equal(typeof request.headers[name], 'string', `header ${name}`);
    assert.notEqual(request.headers[name], '', `header ${name} is not empty`);
  }
  assert.equal(request.headers['webhook-id'], kResponseId, 'webhook-id is the response id');
  assert.equal(request.headers['webhook-timestamp'], String(Math.floor(request.at / 1000)),
               'webhook-timestamp is this attempt\'s Unix seconds');
  assert.match(request.headers['webhook-signature'], /^v1,[A-Za-z0-9+/]{43}=$/);
  assert.equal(verifyStandardWebhook(standardWebhookKey(secret), request.headers, request.body,
                                     request.at),
               null, 'the signature verifies');
  assert.ok(request.body.length <= kBodyLimitBytes, 'the body is within the service\'s limit');
}

// ---- Cases ----------------------------------------------------------------------------------

const cases = [];
function test(name, body) {
  cases.push({name, body});
}

test('posts the documented payload, signed with a whsec_ secret', () => {
  const harness = new Harness();
  harness.call('onFormSubmit', makeEvent(harness));
  assert.equal(harness.fetches.length, 1);
  const request = harness.fetches[0];
  assertSignedDelivery(request, kWhsecSecret);
  const payload = assertAcceptedPayload(request.body);

  assert.equal(payload.responseId, kResponseId);
  assert.equal(payload.formId, kFormId);
  assert.equal(payload.timestamp, '2026-11-27T10:15:30.123Z');
  assert.equal(payload.respondentEmail, 'olena@example.com');
  assert.equal(payload.briefCode, kBriefCode, 'the brief code is the trimmed answer');
  const values = Object.fromEntries(payload.answers.map((a) => [a.title, a.value]));
  assert.deepEqual(payload.answers.map((a) => a.title), [
    'Brief code',
    'Що ви очікуєте від співпраці? / What do you expect from working with us?',
    'Підрядники, з якими ви працюєте / Contractors you work with',
    'Nothing ticked',
    'Доступи / Account access',
    'Channels',
    'Start date',
    'Budget comfort',
    'Untitled question 1009',
  ], 'one answer per item, in form order, untitled items named');
  assert.equal(values['Що ви очікуєте від співпраці? / What do you expect from working with us?'],
               'Більше заявок з Instagram 🚀\n"і" з Facebook');
  assert.deepEqual(values['Підрядники, з якими ви працюєте / Contractors you work with'],
                   ['SEO agency', 'Freelance designer']);
  assert.deepEqual(values['Nothing ticked'], []);
  assert.deepEqual(values['Доступи / Account access'],
                   [['Надано / Granted'], ['Пізніше / Later'], []], 'a choice grid as rows');
  assert.deepEqual(values['Channels'], [['Instagram', 'Facebook'], [], ['TikTok']]);
  assert.equal(values['Start date'], '2026-12-01');
  for (const answer of payload.answers) {
    assert.equal(answer.questionId, undefined, 'no questionId: the script does not know it');
  }

  // The same members as the sample the C++ suite parses, and the sample passes the same rules.
  const sampleBuffer = fs.readFileSync(samplePath);
  const sample = assertAcceptedPayload(sampleBuffer);
  assert.deepEqual(Object.keys(payload).sort(), Object.keys(sample).sort());
  assert.equal(harness.queueKeys().length, 0, 'nothing queued');

  if (process.env.APPS_SCRIPT_PAYLOAD_OUT) {
    fs.writeFileSync(process.env.APPS_SCRIPT_PAYLOAD_OUT, request.body);
  }
});

test('signs with a plain secret\'s own bytes', () => {
  const harness = new Harness({secret: kPlainSecret});
  harness.call('onFormSubmit', makeEvent(harness));
  assert.equal(harness.fetches.length, 1);
  assertSignedDelivery(harness.fetches[0], kPlainSecret);
});

test('a whsec_ secret is decoded, not used as text', () => {
  const harness = new Harness();
  harness.call('onFormSubmit', makeEvent(harness));
  const request = harness.fetches[0];
  assert.notEqual(verifyStandardWebhook(Buffer.from(kWhsecSecret), request.headers, request.body,
                                        request.at),
                  null);
});

test('finds the brief code under a bilingual title', () => {
  const harness = new Harness();
  harness.call('onFormSubmit', makeEvent(harness, {briefTitle: ' Код брифу / Brief code '}));
  const payload = JSON.parse(harness.fetches[0].body.toString('utf8'));
  assert.equal(payload.briefCode, kBriefCode);
});

test('sends an empty brief code when the form has no such question', () => {
  const harness = new Harness();
  harness.call('onFormSubmit', makeEvent(harness, {briefTitle: 'Company name'}));
  const payload = assertAcceptedPayload(harness.fetches[0].body);
  assert.equal(payload.briefCode, '');
});

test('retries a 500 with the same webhook-id and a new signature', () => {
  const harness = new Harness({
    responder: (request, i) => (i === 0 ? {status: 500, body: '{"error":"internal"}'}
                                        : {status: 200, body: '{"status":"stored"}'}),
  });
  harness.call('onFormSubmit', makeEvent(harness));
  assert.equal(harness.fetches.length, 2);
  const [first, second] = harness.fetches;
  assertSignedDelivery(first, kWhsecSecret);
  assertSignedDelivery(second, kWhsecSecret);
  assert.equal(second.headers['webhook-id'], first.headers['webhook-id']);
  assert.notEqual(second.headers['webhook-timestamp'], first.headers['webhook-timestamp']);
  assert.notEqual(second.headers['webhook-signature'], first.headers['webhook-signature']);
  assert.ok(second.body.equals(first.body), 'the same body');
  assert.equal(harness.sleeps.length, 1);
  assert.ok(harness.sleeps[0] >= 1000, 'a pause before the retry');
  assert.equal(harness.queueKeys().length, 0);
});

test('retries network errors and 429 (honouring Retry-After)', () => {
  const harness = new Harness({
    responder: (request, i) => {
      if (i === 0) return new Error('Address unavailable: https://flow.example.com');
      if (i === 1) return {status: 429, headers: {'Retry-After': '7'}, body: ''};
      return {status: 200, body: '{"status":"stored"}'};
    },
  });
  harness.call('onFormSubmit', makeEvent(harness));
  assert.equal(harness.fetches.length, 3);
  harness.fetches.forEach((request) => assertSignedDelivery(request, kWhsecSecret));
  assert.ok(harness.sleeps[1] >= 7000, `waited the Retry-After (${harness.sleeps})`);
  assert.equal(harness.queueKeys().length, 0);
});

test('after the last try the payload is queued, and retryQueued() delivers it', () => {
  let down = true;
  const harness = new Harness({
    responder: () => (down ? {status: 503, body: '{"error":"unavailable"}'} : {status: 200}),
  });
  harness.call('onFormSubmit', makeEvent(harness));  // must not throw: the queue has it
  assert.equal(harness.fetches.length, 4, 'a bounded number of tries');
  assert.deepEqual(harness.sleeps, [1000, 2000, 4000], 'exponential backoff');
  assert.ok(harness.queueKeys().length >= 2, 'queued (meta and body)');
  const original = harness.fetches[0];

  // Still down: one try, the entry stays and is not retried before its backoff.
  harness.now += 10 * 60 * 1000;
  harness.call('retryQueued');
  assert.equal(harness.fetches.length, 5);
  assert.ok(harness.queueKeys().length >= 2, 'still queued');
  harness.now += 60 * 1000;
  harness.call('retryQueued');
  assert.equal(harness.fetches.length, 5, 'not due yet');

  down = false;
  harness.now += 60 * 60 * 1000;
  harness.call('retryQueued');
  assert.equal(harness.fetches.length, 6);
  const retried = harness.fetches[5];
  assertSignedDelivery(retried, kWhsecSecret);
  assert.equal(retried.headers['webhook-id'], original.headers['webhook-id']);
  assert.notEqual(retried.headers['webhook-signature'], original.headers['webhook-signature']);
  assert.ok(retried.body.equals(original.body), 'the queued body is sent unchanged');
  assert.deepEqual(harness.queueKeys(), [], 'the queue is empty');

  harness.now += 60 * 60 * 1000;
  harness.call('retryQueued');
  assert.equal(harness.fetches.length, 6, 'nothing left to send');
});

test('a body larger than one Script Property is queued in chunks and sent whole', () => {
  let down = true;
  const harness = new Harness({responder: () => (down ? {status: 502} : {status: 200})});
  const longText = 'Довга відповідь 🚀 '.repeat(1500);  // about 50 kB of UTF-8
  harness.call('onFormSubmit', makeEvent(harness, {extraText: longText}));
  assert.equal(harness.fetches.length, 4);
  assert.ok(harness.fetches[0].body.length > 9 * 1024);
  assert.ok(harness.queueKeys().length > 2, 'several chunks');
  down = false;
  harness.now += 10 * 60 * 1000;
  harness.call('retryQueued');
  assert.equal(harness.fetches.length, 5);
  assertSignedDelivery(harness.fetches[4], kWhsecSecret);
  assert.ok(harness.fetches[4].body.equals(harness.fetches[0].body));
  const payload = assertAcceptedPayload(harness.fetches[4].body);
  assert.equal(payload.answers[1].value, longText);
  assert.deepEqual(harness.queueKeys(), []);
});

test('a 400 is neither retried nor queued, and the run fails', () => {
  const harness = new Harness({
    responder: () => ({status: 400, body: '{"error":"malformed","detail":"answers[0]"}'}),
  });
  assert.throws(() => harness.call('onFormSubmit', makeEvent(harness)), /400/);
  assert.equal(harness.fetches.length, 1);
  assert.deepEqual(harness.sleeps, []);
  assert.deepEqual(harness.queueKeys(), []);
});

test('a 401 is not retried within the run, fails the run, and waits in the queue', () => {
  let status = 401;
  const harness = new Harness({responder: () => ({status})});
  assert.throws(() => harness.call('onFormSubmit', makeEvent(harness)), /401/);
  assert.equal(harness.fetches.length, 1);
  assert.deepEqual(harness.sleeps, []);
  assert.ok(harness.queueKeys().length >= 2);
  status = 200;
  harness.now += 10 * 60 * 1000;
  harness.call('retryQueued');
  assert.equal(harness.fetches.length, 2);
  assert.deepEqual(harness.queueKeys(), []);
});

test('without Script Properties it queues, fails the run, and sends once configured', () => {
  const harness = new Harness({url: null, secret: null});
  assert.throws(() => harness.call('onFormSubmit', makeEvent(harness)), /PLANFIX_FLOW_URL/);
  assert.equal(harness.fetches.length, 0);
  assert.ok(harness.queueKeys().length >= 2);
  harness.call('retryQueued');
  assert.equal(harness.fetches.length, 0, 'still not configured');
  harness.properties.set('PLANFIX_FLOW_URL', kUrl);
  harness.properties.set('PLANFIX_FLOW_SECRET', kWhsecSecret);
  harness.call('retryQueued');
  assert.equal(harness.fetches.length, 1);
  assertSignedDelivery(harness.fetches[0], kWhsecSecret);
  assert.deepEqual(harness.queueKeys(), []);
});

test('the secret is not hard-coded and never logged', () => {
  assert.ok(!scriptSource.includes(kWhsecSecret));
  assert.doesNotMatch(scriptSource, /whsec_[A-Za-z0-9+/]{8,}/, 'no secret literal');
  const harness = new Harness({responder: () => ({status: 503})});
  harness.call('onFormSubmit', makeEvent(harness));
  harness.call('retryQueued');
  for (const line of harness.logs) assert.ok(!line.includes(kWhsecSecret.slice(6)), line);
});

test('onFormSubmit run by hand says how to set up instead of crashing', () => {
  const harness = new Harness();
  assert.throws(() => harness.call('onFormSubmit'), /installTriggers/);
  assert.equal(harness.fetches.length, 0);
});

test('installTriggers() installs the two triggers once', () => {
  const harness = new Harness();
  harness.call('installTriggers');
  harness.call('installTriggers');
  const installed = harness.triggers.map((t) => `${t.handler}:${t.kind}`).sort();
  assert.deepEqual(installed, ['onFormSubmit:formSubmit', 'retryQueued:clock']);
});

// ---- Runner -------------------------------------------------------------------------------

let failed = 0;
for (const {name, body} of cases) {
  try {
    body();
    console.log(`ok - ${name}`);
  } catch (error) {
    failed++;
    console.log(`not ok - ${name}`);
    console.log(String(error && error.stack ? error.stack : error).replace(/^/gm, '    '));
  }
}
console.log(`${cases.length - failed}/${cases.length} passed (${scriptPath})`);
process.exit(failed === 0 ? 0 : 1);
