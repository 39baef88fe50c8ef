<?php
/**
 * Draftdesk for WHMCS — hook file for includes/hooks/.
 *
 * - Sends ticket events (TicketOpen, TicketUserReply, TicketAdminReply, TicketClose, TicketStatusChange)
 *   to Draftdesk as signed webhooks. Every event is written to an outbox table first and then delivered,
 *   so nothing is lost while Draftdesk is unreachable: AfterCronJob retries what is still pending.
 * - Skips the replies Draftdesk itself posted (no loops).
 * - Shows the current Draftdesk draft on the admin ticket page, with an "Insert draft" button.
 *
 * Signature (v2): X-Draftdesk-Signature = "v2=" . hex(HMAC-SHA256(webhook secret,
 * "<timestamp>.<event id>.<raw body>")), identical to signWebhookV2 in shared/whmcs/signature.ts. The event
 * id is signed, so a captured request cannot be replayed under another id. (Hooks before 1.1 sent v1,
 * "sha256=" over "<timestamp>.<raw body>"; Draftdesk accepts it until the tenant requires v2.)
 *
 * Compatible with PHP 7.4 and later. See README.md in this folder for installation.
 */

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

use WHMCS\Database\Capsule;

// ---------------------------------------------------------------------------------------------------
// Configuration. Edit these, or define them earlier (e.g. in configuration.php) to keep secrets out of
// this file.

/** Base URL of your Draftdesk API, without a trailing slash. */
if (!defined('DRAFTDESK_URL')) {
    define('DRAFTDESK_URL', 'https://draftdesk.example.com');
}
/** Your tenant slug in Draftdesk. */
if (!defined('DRAFTDESK_TENANT')) {
    define('DRAFTDESK_TENANT', 'your-tenant-slug');
}
/** Webhook secret shown once when the tenant was created (or rotated) in Draftdesk. */
if (!defined('DRAFTDESK_WEBHOOK_SECRET')) {
    define('DRAFTDESK_WEBHOOK_SECRET', '');
}
/** Draftdesk API key (x-api-key) used by the admin ticket panel to read drafts. Empty hides the panel. */
if (!defined('DRAFTDESK_API_KEY')) {
    define('DRAFTDESK_API_KEY', '');
}
/** WHMCS admin username Draftdesk posts approved replies as; its replies are never sent back. */
if (!defined('DRAFTDESK_ADMIN_USERNAME')) {
    define('DRAFTDESK_ADMIN_USERNAME', 'draftdesk');
}
/** Invisible marker Draftdesk appends to replies it posts (mirrors DRAFTDESK_REPLY_MARKER in signature.ts). */
if (!defined('DRAFTDESK_REPLY_MARKER')) {
    define('DRAFTDESK_REPLY_MARKER', "\u{200B}\u{2060}\u{200B}\u{2060}");
}
/** Seconds a webhook delivery may take; kept short because it runs while the customer or agent waits. */
if (!defined('DRAFTDESK_TIMEOUT')) {
    define('DRAFTDESK_TIMEOUT', 3);
}
/** Seconds the admin ticket page waits for the draft before showing the page without it. */
if (!defined('DRAFTDESK_PANEL_TIMEOUT')) {
    define('DRAFTDESK_PANEL_TIMEOUT', 2);
}
if (!defined('DRAFTDESK_OUTBOX_TABLE')) {
    define('DRAFTDESK_OUTBOX_TABLE', 'mod_draftdesk_outbox');
}
/** Pending events retried per cron run. */
if (!defined('DRAFTDESK_CRON_BATCH')) {
    define('DRAFTDESK_CRON_BATCH', 50);
}
/** Delivered events are kept this many days for troubleshooting, then pruned. */
if (!defined('DRAFTDESK_KEEP_DAYS')) {
    define('DRAFTDESK_KEEP_DAYS', 14);
}

/** Hook variables forwarded to Draftdesk; anything else WHMCS passes stays in WHMCS. */
const DRAFTDESK_FORWARDED_VARS = [
    'ticketid', 'ticketmask', 'userid', 'deptid', 'deptname', 'subject', 'message',
    'priority', 'replyid', 'status', 'admin', 'adminid',
];

// ---------------------------------------------------------------------------------------------------
// Seams: clock, HTTP transport and outbox storage can be replaced (integrations/whmcs/test/run.php does).

/** Current unix time for event times and retry scheduling; replaceable for tests. */
function draftdesk_now(?callable $set = null): int
{
    static $clock = null;
    if ($set !== null) {
        $clock = $set;
    }
    return $clock !== null ? (int) $clock() : time();
}

/**
 * Sends an HTTP request. Returns ['status' => int (0 on transport failure), 'body' => string, 'error' => ?string].
 * A transport set with draftdesk_transport() replaces the real one.
 */
function draftdesk_http(string $method, string $url, array $headers, ?string $body, int $timeout): array
{
    $transport = draftdesk_transport();
    if ($transport !== null) {
        return $transport($method, $url, $headers, $body, $timeout);
    }
    $lines = [];
    foreach ($headers as $name => $value) {
        $lines[] = $name . ': ' . $value;
    }
    if (function_exists('curl_init')) {
        return draftdesk_http_curl($method, $url, $lines, $body, $timeout);
    }
    return draftdesk_http_stream($method, $url, $lines, $body, $timeout);
}

/** Gets or sets the replacement HTTP transport (a callable with draftdesk_http's signature). */
function draftdesk_transport(?callable $set = null): ?callable
{
    static $transport = null;
    if ($set !== null) {
        $transport = $set;
    }
    return $transport;
}

function draftdesk_http_curl(string $method, string $url, array $lines, ?string $body, int $timeout): array
{
    // Without this curl waits for "100 Continue" before sending bodies over 1 KiB.
    $lines[] = 'Expect:';
    $ch = curl_init($url);
    curl_setopt_array($ch, [
        CURLOPT_CUSTOMREQUEST => $method,
        CURLOPT_RETURNTRANSFER => true,
        CURLOPT_HTTPHEADER => $lines,
        CURLOPT_CONNECTTIMEOUT => max(1, min(2, $timeout)),
        CURLOPT_TIMEOUT => $timeout,
        CURLOPT_FOLLOWLOCATION => false,
    ]);
    if ($body !== null) {
        curl_setopt($ch, CURLOPT_POSTFIELDS, $body);
    }
    $response = curl_exec($ch);
    $status = (int) curl_getinfo($ch, CURLINFO_RESPONSE_CODE);
    $error = $response === false ? curl_error($ch) : null;
    if (PHP_VERSION_ID < 80000) {
        curl_close($ch); // a no-op since PHP 8.0 and deprecated in 8.5
    }
    return ['status' => $response === false ? 0 : $status, 'body' => is_string($response) ? $response : '', 'error' => $error];
}

/** Fallback for PHP builds without the curl extension. */
function draftdesk_http_stream(string $method, string $url, array $lines, ?string $body, int $timeout): array
{
    $context = stream_context_create([
        'http' => [
            'method' => $method,
            'header' => implode("\r\n", $lines),
            'content' => $body === null ? '' : $body,
            'timeout' => $timeout,
            'ignore_errors' => true,
            'follow_location' => 0,
        ],
    ]);
    // fopen + stream metadata reads the status line on every PHP version, without $http_response_header
    // (deprecated in PHP 8.5) or http_get_last_response_headers() (PHP 8.4+).
    $stream = @fopen($url, 'rb', false, $context);
    if ($stream === false) {
        $last = error_get_last();
        return ['status' => 0, 'body' => '', 'error' => $last ? $last['message'] : 'request failed'];
    }
    $meta = stream_get_meta_data($stream);
    $response = stream_get_contents($stream);
    fclose($stream);
    $status = 0;
    $responseHeaders = isset($meta['wrapper_data']) && is_array($meta['wrapper_data']) ? $meta['wrapper_data'] : [];
    foreach ($responseHeaders as $line) {
        // The last status line wins when redirects or 100-continue produced several.
        if (is_string($line) && preg_match('#^HTTP/\S+\s+(\d{3})#', $line, $m)) {
            $status = (int) $m[1];
        }
    }
    if ($status === 0) {
        return ['status' => 0, 'body' => '', 'error' => 'no HTTP status in response'];
    }
    return ['status' => $status, 'body' => $response === false ? '' : $response, 'error' => null];
}

/** Outbox storage: one row per event, kept until delivered. */
interface DraftdeskOutbox
{
    /** Stores a new event; returns false when an event with this id is already stored. */
    public function insert(string $eventId, string $event, string $payload, int $now): bool;

    /** The stored row for an event id, or null. */
    public function find(string $eventId): ?array;

    /** Undelivered rows whose next attempt is due, oldest first. */
    public function due(int $now, int $limit): array;

    public function markDelivered(int $id, int $now): void;

    public function markFailed(int $id, int $attempts, int $nextAttemptAt, string $error): void;

    public function pruneDelivered(int $before): void;
}

/** The outbox in WHMCS's own database, through the PDO connection WHMCS exposes via Capsule. */
class DraftdeskPdoOutbox implements DraftdeskOutbox
{
    /** @var PDO */
    private $pdo;
    /** @var string */
    private $table;

    public function __construct(PDO $pdo, string $table)
    {
        $this->pdo = $pdo;
        $this->pdo->setAttribute(PDO::ATTR_ERRMODE, PDO::ERRMODE_EXCEPTION);
        $this->table = preg_replace('/[^A-Za-z0-9_]/', '', $table);
        $this->createTable();
    }

    private function createTable(): void
    {
        $t = $this->table;
        if ($this->pdo->getAttribute(PDO::ATTR_DRIVER_NAME) === 'sqlite') {
            $this->pdo->exec("CREATE TABLE IF NOT EXISTS {$t} (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                event_id TEXT NOT NULL UNIQUE,
                event TEXT NOT NULL,
                payload TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at INTEGER NOT NULL DEFAULT 0,
                delivered_at INTEGER NULL,
                last_error TEXT NULL,
                created_at INTEGER NOT NULL
            )");
            return;
        }
        $this->pdo->exec("CREATE TABLE IF NOT EXISTS {$t} (
            id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
            event_id CHAR(64) NOT NULL,
            event VARCHAR(64) NOT NULL,
            payload MEDIUMTEXT NOT NULL,
            attempts INT UNSIGNED NOT NULL DEFAULT 0,
            next_attempt_at INT UNSIGNED NOT NULL DEFAULT 0,
            delivered_at INT UNSIGNED NULL,
            last_error VARCHAR(255) NULL,
            created_at INT UNSIGNED NOT NULL,
            UNIQUE KEY draftdesk_event_id (event_id),
            KEY draftdesk_pending (delivered_at, next_attempt_at)
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4");
    }

    public function insert(string $eventId, string $event, string $payload, int $now): bool
    {
        if ($this->find($eventId) !== null) {
            return false;
        }
        try {
            $stmt = $this->pdo->prepare("INSERT INTO {$this->table}
                (event_id, event, payload, attempts, next_attempt_at, created_at) VALUES (?, ?, ?, 0, ?, ?)");
            $stmt->execute([$eventId, $event, $payload, $now, $now]);
            return true;
        } catch (PDOException $e) {
            // Lost a race with a concurrent insert of the same event: the unique key kept one row.
            if ($this->find($eventId) !== null) {
                return false;
            }
            throw $e;
        }
    }

    public function find(string $eventId): ?array
    {
        $stmt = $this->pdo->prepare("SELECT * FROM {$this->table} WHERE event_id = ?");
        $stmt->execute([$eventId]);
        $row = $stmt->fetch(PDO::FETCH_ASSOC);
        return $row ?: null;
    }

    public function due(int $now, int $limit): array
    {
        $stmt = $this->pdo->prepare("SELECT * FROM {$this->table}
            WHERE delivered_at IS NULL AND next_attempt_at <= ? ORDER BY id LIMIT " . (int) $limit);
        $stmt->execute([$now]);
        return $stmt->fetchAll(PDO::FETCH_ASSOC);
    }

    public function markDelivered(int $id, int $now): void
    {
        $stmt = $this->pdo->prepare("UPDATE {$this->table}
            SET delivered_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?");
        $stmt->execute([$now, $id]);
    }

    public function markFailed(int $id, int $attempts, int $nextAttemptAt, string $error): void
    {
        $stmt = $this->pdo->prepare("UPDATE {$this->table}
            SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?");
        $stmt->execute([$attempts, $nextAttemptAt, substr($error, 0, 255), $id]);
    }

    public function pruneDelivered(int $before): void
    {
        $stmt = $this->pdo->prepare("DELETE FROM {$this->table} WHERE delivered_at IS NOT NULL AND delivered_at < ?");
        $stmt->execute([$before]);
    }
}

/** Gets (creating on first use) or replaces the outbox. */
function draftdesk_outbox(?DraftdeskOutbox $set = null): DraftdeskOutbox
{
    static $outbox = null;
    if ($set !== null) {
        $outbox = $set;
    }
    if ($outbox === null) {
        $outbox = new DraftdeskPdoOutbox(Capsule::connection()->getPdo(), DRAFTDESK_OUTBOX_TABLE);
    }
    return $outbox;
}

// ---------------------------------------------------------------------------------------------------
// Events

/** Writes to the WHMCS activity log (System Logs), without ever including the secret. */
function draftdesk_log(string $message): void
{
    $line = 'Draftdesk: ' . $message;
    if (function_exists('logActivity')) {
        logActivity($line);
    } else {
        error_log($line);
    }
}

function draftdesk_configured(): bool
{
    return DRAFTDESK_URL !== '' && DRAFTDESK_TENANT !== '' && DRAFTDESK_WEBHOOK_SECRET !== '';
}

function draftdesk_webhook_url(): string
{
    return rtrim(DRAFTDESK_URL, '/') . '/webhooks/whmcs/' . rawurlencode(DRAFTDESK_TENANT);
}

/** "v2=<hex>" over "<timestamp>.<event id>.<body>", exactly as signWebhookV2 in shared/whmcs/signature.ts. */
function draftdesk_sign(string $secret, int $timestamp, string $eventId, string $body): string
{
    return 'v2=' . hash_hmac('sha256', $timestamp . '.' . $eventId . '.' . $body, $secret);
}

/**
 * Deterministic event id: the same hook firing for the same reply/status at the same moment yields the
 * same id, so Draftdesk can drop duplicates however often the event is delivered.
 */
function draftdesk_event_id(string $event, array $vars, int $occurredAt): string
{
    $parts = [
        $event,
        isset($vars['ticketid']) ? (string) $vars['ticketid'] : '',
        isset($vars['replyid']) ? (string) $vars['replyid'] : '',
        isset($vars['status']) ? (string) $vars['status'] : '',
        (string) $occurredAt,
    ];
    return hash('sha256', implode('|', $parts));
}

/** True for events Draftdesk caused itself: replies posted by its admin user or carrying its marker. */
function draftdesk_is_own_reply(string $event, array $vars): bool
{
    if ($event !== 'TicketAdminReply') {
        return false;
    }
    $admin = isset($vars['admin']) ? (string) $vars['admin'] : '';
    if (DRAFTDESK_ADMIN_USERNAME !== '' && strcasecmp($admin, DRAFTDESK_ADMIN_USERNAME) === 0) {
        return true;
    }
    $message = isset($vars['message']) ? (string) $vars['message'] : '';
    return DRAFTDESK_REPLY_MARKER !== '' && strpos($message, DRAFTDESK_REPLY_MARKER) !== false;
}

/** Fills ticket fields a hook does not pass (TicketClose only has ticketid) from the local API. */
function draftdesk_enrich(array $data): array
{
    if (isset($data['ticketmask']) || !isset($data['ticketid']) || !function_exists('localAPI')) {
        return $data;
    }
    $ticket = localAPI('GetTicket', ['ticketid' => $data['ticketid']]);
    if (!is_array($ticket) || !isset($ticket['result']) || $ticket['result'] !== 'success') {
        return $data;
    }
    $data['ticketmask'] = isset($ticket['tid']) ? $ticket['tid'] : '';
    foreach (['userid', 'deptid', 'deptname', 'subject', 'priority', 'status'] as $field) {
        if (!isset($data[$field]) && isset($ticket[$field])) {
            $data[$field] = $ticket[$field];
        }
    }
    return $data;
}

/** The exact JSON body sent (and signed) for an event. */
function draftdesk_payload(string $event, array $vars, int $occurredAt): string
{
    $data = [];
    foreach (DRAFTDESK_FORWARDED_VARS as $key) {
        if (array_key_exists($key, $vars) && (is_scalar($vars[$key]) || $vars[$key] === null)) {
            $data[$key] = $vars[$key];
        }
    }
    $body = ['event' => $event, 'occurredAt' => $occurredAt, 'data' => draftdesk_enrich($data)];
    $flags = JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_INVALID_UTF8_SUBSTITUTE;
    $json = json_encode($body, $flags);
    if ($json === false) {
        throw new RuntimeException('cannot encode event: ' . json_last_error_msg());
    }
    return $json;
}

/** Handles one ticket hook: store in the outbox, then try to deliver right away. Never throws into WHMCS. */
function draftdesk_handle_event(string $event, array $vars): void
{
    try {
        if (!draftdesk_configured() || draftdesk_is_own_reply($event, $vars)) {
            return;
        }
        $occurredAt = draftdesk_now();
        $eventId = draftdesk_event_id($event, $vars, $occurredAt);
        $outbox = draftdesk_outbox();
        $outbox->insert($eventId, $event, draftdesk_payload($event, $vars, $occurredAt), $occurredAt);
        $row = $outbox->find($eventId);
        if ($row !== null && $row['delivered_at'] === null) {
            draftdesk_deliver($outbox, $row);
        }
    } catch (Throwable $e) {
        draftdesk_log($event . ' not queued: ' . $e->getMessage());
    }
}

/** Seconds until the next attempt: 1, 2, 4 … minutes, capped at 6 hours, plus jitter so retries spread out. */
function draftdesk_backoff(int $attempts): int
{
    $base = (int) min(21600, 60 * (2 ** min(max(0, $attempts - 1), 10)));
    return $base + random_int(0, (int) ($base / 10));
}

/**
 * Delivers one outbox row. It is signed at send time, not at enqueue time, so a retry hours later still
 * falls inside Draftdesk's 5-minute replay window; the event id stays the one stored.
 */
function draftdesk_deliver(DraftdeskOutbox $outbox, array $row): bool
{
    $timestamp = time();
    $payload = (string) $row['payload'];
    $headers = [
        'Content-Type' => 'application/json',
        'User-Agent' => 'Draftdesk-WHMCS-Hook/1.1',
        'X-Draftdesk-Event' => (string) $row['event'],
        'X-Draftdesk-Event-Id' => (string) $row['event_id'],
        'X-Draftdesk-Timestamp' => (string) $timestamp,
        'X-Draftdesk-Signature' => draftdesk_sign(DRAFTDESK_WEBHOOK_SECRET, $timestamp, (string) $row['event_id'], $payload),
    ];
    $response = draftdesk_http('POST', draftdesk_webhook_url(), $headers, $payload, (int) DRAFTDESK_TIMEOUT);
    $now = draftdesk_now();
    if ($response['status'] >= 200 && $response['status'] < 300) {
        $outbox->markDelivered((int) $row['id'], $now);
        return true;
    }
    $attempts = (int) $row['attempts'] + 1;
    $error = $response['status'] > 0 ? 'HTTP ' . $response['status'] : (string) $response['error'];
    $outbox->markFailed((int) $row['id'], $attempts, $now + draftdesk_backoff($attempts), $error);
    return false;
}

/** AfterCronJob: retries due events oldest first and prunes old delivered ones. */
function draftdesk_retry_pending(): array
{
    $result = ['delivered' => 0, 'failed' => 0];
    try {
        if (!draftdesk_configured()) {
            return $result;
        }
        $outbox = draftdesk_outbox();
        $consecutiveFailures = 0;
        foreach ($outbox->due(draftdesk_now(), (int) DRAFTDESK_CRON_BATCH) as $row) {
            if (draftdesk_deliver($outbox, $row)) {
                $result['delivered']++;
                $consecutiveFailures = 0;
                continue;
            }
            $result['failed']++;
            // Draftdesk is evidently down: stop here instead of spending the cron run on timeouts.
            if (++$consecutiveFailures >= 3) {
                break;
            }
        }
        $outbox->pruneDelivered(draftdesk_now() - 86400 * (int) DRAFTDESK_KEEP_DAYS);
        if ($result['failed'] > 0) {
            draftdesk_log('cron retry: ' . $result['delivered'] . ' delivered, ' . $result['failed'] . ' still pending');
        }
    } catch (Throwable $e) {
        draftdesk_log('cron retry failed: ' . $e->getMessage());
    }
    return $result;
}

// ---------------------------------------------------------------------------------------------------
// Admin ticket panel

function draftdesk_h($value): string
{
    return htmlspecialchars((string) $value, ENT_QUOTES | ENT_SUBSTITUTE, 'UTF-8');
}

/**
 * Reads the current draft: GET {DRAFTDESK_URL}/integrations/whmcs/tickets/{ticketid}/draft with x-api-key.
 * Expected answer: {"draft": null | {"body", "confidence" (0-100), "escalated", "escalationReasons": [],
 * "sources": [{"title", "url"?, "kind"?, "score"?}], "reviewUrl"?}}; 404 means no draft.
 */
function draftdesk_fetch_draft(int $ticketId): array
{
    $url = rtrim(DRAFTDESK_URL, '/') . '/integrations/whmcs/tickets/' . $ticketId . '/draft';
    $response = draftdesk_http('GET', $url, [
        'Accept' => 'application/json',
        'User-Agent' => 'Draftdesk-WHMCS-Hook/1.1',
        'x-api-key' => DRAFTDESK_API_KEY,
        'x-draftdesk-tenant' => DRAFTDESK_TENANT,
    ], null, (int) DRAFTDESK_PANEL_TIMEOUT);
    if ($response['status'] === 404) {
        return ['draft' => null];
    }
    if ($response['status'] < 200 || $response['status'] >= 300) {
        return ['error' => $response['status'] > 0 ? 'HTTP ' . $response['status'] : 'unreachable'];
    }
    $decoded = json_decode($response['body'], true);
    if (!is_array($decoded)) {
        return ['error' => 'unexpected answer'];
    }
    return ['draft' => isset($decoded['draft']) && is_array($decoded['draft']) ? $decoded['draft'] : null];
}

/** AdminAreaViewTicketPage: the HTML of the Draftdesk panel (empty when the panel is not configured). */
function draftdesk_admin_panel(array $vars): string
{
    if (DRAFTDESK_API_KEY === '' || !isset($vars['ticketid'])) {
        return '';
    }
    try {
        $result = draftdesk_fetch_draft((int) $vars['ticketid']);
    } catch (Throwable $e) {
        $result = ['error' => 'unreachable'];
    }
    $open = '<div class="panel panel-default draftdesk-panel" id="draftdesk-panel" style="margin-bottom:15px">'
        . '<div class="panel-heading"><strong>Draftdesk</strong> suggested reply</div><div class="panel-body">';
    $close = '</div></div>';
    if (isset($result['error'])) {
        return $open . '<p class="text-muted">Draftdesk is not reachable right now (' . draftdesk_h($result['error'])
            . '). The ticket works as usual.</p>' . $close;
    }
    $draft = $result['draft'];
    if ($draft === null || !isset($draft['body']) || (string) $draft['body'] === '') {
        return $open . '<p class="text-muted">No draft yet for this ticket.</p>' . $close;
    }

    $confidence = isset($draft['confidence']) ? max(0, min(100, (int) round((float) $draft['confidence']))) : null;
    $html = $open;
    if ($confidence !== null) {
        $label = $confidence >= 75 ? 'success' : ($confidence >= 50 ? 'warning' : 'danger');
        $html .= '<p>Confidence: <span class="label label-' . $label . '">' . $confidence . ' / 100</span></p>';
    }
    $reasons = isset($draft['escalationReasons']) && is_array($draft['escalationReasons']) ? $draft['escalationReasons'] : [];
    if (!empty($draft['escalated']) || count($reasons) > 0) {
        $html .= '<div class="alert alert-danger"><strong>Escalated</strong> — review before replying.';
        if (count($reasons) > 0) {
            $html .= '<ul style="margin:5px 0 0 0">';
            foreach ($reasons as $reason) {
                $html .= '<li>' . draftdesk_h(is_scalar($reason) ? $reason : json_encode($reason)) . '</li>';
            }
            $html .= '</ul>';
        }
        $html .= '</div>';
    }
    $html .= '<pre style="white-space:pre-wrap;word-wrap:break-word;max-height:320px;overflow:auto">'
        . draftdesk_h($draft['body']) . '</pre>';
    // The text to insert travels in a hidden textarea, so the browser un-escapes it and no JS string
    // building can be broken out of.
    $html .= '<textarea id="draftdesk-draft-text" style="display:none" readonly>' . draftdesk_h($draft['body']) . '</textarea>';

    $sources = isset($draft['sources']) && is_array($draft['sources']) ? $draft['sources'] : [];
    if (count($sources) > 0) {
        $html .= '<p style="margin-bottom:3px"><strong>Sources</strong></p><ol class="draftdesk-sources">';
        foreach ($sources as $source) {
            if (!is_array($source)) {
                continue;
            }
            $title = isset($source['title']) ? $source['title'] : 'Untitled';
            $url = isset($source['url']) ? (string) $source['url'] : '';
            // Only http(s) links: a javascript: URL from a poisoned article must not become clickable.
            $item = preg_match('#^https?://#i', $url)
                ? '<a href="' . draftdesk_h($url) . '" target="_blank" rel="noopener noreferrer">' . draftdesk_h($title) . '</a>'
                : draftdesk_h($title);
            if (isset($source['kind'])) {
                $item .= ' <small class="text-muted">' . draftdesk_h($source['kind']) . '</small>';
            }
            if (isset($source['score']) && is_numeric($source['score'])) {
                $item .= ' <small class="text-muted">(' . draftdesk_h(number_format((float) $source['score'], 2)) . ')</small>';
            }
            $html .= '<li>' . $item . '</li>';
        }
        $html .= '</ol>';
    }

    $html .= '<button type="button" class="btn btn-primary btn-sm" id="draftdesk-insert">Insert draft</button>';
    if (isset($draft['reviewUrl']) && preg_match('#^https?://#i', (string) $draft['reviewUrl'])) {
        $html .= ' <a class="btn btn-default btn-sm" target="_blank" rel="noopener noreferrer" href="'
            . draftdesk_h($draft['reviewUrl']) . '">Review in Draftdesk</a>';
    }
    $html .= <<<'HTML'
<script>
(function () {
  var button = document.getElementById('draftdesk-insert');
  if (!button) { return; }
  button.addEventListener('click', function () {
    var source = document.getElementById('draftdesk-draft-text');
    var box = document.getElementById('replymessage') || document.querySelector('textarea[name="message"]');
    if (!source || !box) { return; }
    box.value = source.value;
    box.dispatchEvent(new Event('input', { bubbles: true }));
    box.dispatchEvent(new Event('change', { bubbles: true }));
    box.focus();
    if (box.scrollIntoView) { box.scrollIntoView({ behavior: 'smooth', block: 'center' }); }
  });
})();
</script>
HTML;
    return $html . $close;
}

// ---------------------------------------------------------------------------------------------------
// Hook registration

foreach (['TicketOpen', 'TicketUserReply', 'TicketAdminReply', 'TicketClose', 'TicketStatusChange'] as $draftdeskEvent) {
    add_hook($draftdeskEvent, 1, function (array $vars) use ($draftdeskEvent) {
        draftdesk_handle_event($draftdeskEvent, $vars);
    });
}
unset($draftdeskEvent);

add_hook('AfterCronJob', 1, function (array $vars) {
    draftdesk_retry_pending();
});

add_hook('AdminAreaViewTicketPage', 1, function (array $vars) {
    return draftdesk_admin_panel($vars);
});
