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

// Each setting keeps a value defined earlier; otherwise it takes the default listed here.
foreach ([
    // Base URL of your Draftdesk API, without a trailing slash.
    'DRAFTDESK_URL' => 'https://draftdesk.example.com',
    // Your tenant slug in Draftdesk.
    'DRAFTDESK_TENANT' => 'your-tenant-slug',
    // Webhook secret shown once when the tenant was created (or rotated) in Draftdesk.
    'DRAFTDESK_WEBHOOK_SECRET' => '',
    // Draftdesk API key (x-api-key) used by the admin ticket panel to read drafts. Empty hides the panel.
    'DRAFTDESK_API_KEY' => '',
    // WHMCS admin username Draftdesk posts approved replies as; its replies are never sent back.
    'DRAFTDESK_ADMIN_USERNAME' => 'draftdesk',
    // Invisible marker Draftdesk appends to replies it posts (mirrors DRAFTDESK_REPLY_MARKER in signature.ts).
    'DRAFTDESK_REPLY_MARKER' => "\u{200B}\u{2060}\u{200B}\u{2060}",
    // Seconds a webhook delivery may take; kept short because it runs while the customer or agent waits.
    'DRAFTDESK_TIMEOUT' => 3,
    // Seconds the admin ticket page waits for the draft before showing the page without it.
    'DRAFTDESK_PANEL_TIMEOUT' => 2,
    'DRAFTDESK_OUTBOX_TABLE' => 'mod_draftdesk_outbox',
    // Pending events retried per cron run.
    'DRAFTDESK_CRON_BATCH' => 50,
    // Delivered events are kept this many days for troubleshooting, then pruned.
    'DRAFTDESK_KEEP_DAYS' => 14,
] as $draftdeskSetting => $draftdeskDefault) {
    if (!defined($draftdeskSetting)) {
        define($draftdeskSetting, $draftdeskDefault);
    }
}
unset($draftdeskSetting, $draftdeskDefault);

/**
 * This file's version, sent as its User-Agent. 1.1: signature v2. 1.2: Insert draft puts the draft's
 * customer-facing text in the reply box (no citation markers; the cited articles listed as References).
 * 1.3: the panel shows what the draft knew about the client's account; TicketOpen sends the ticket's
 * related service.
 */
const DRAFTDESK_HOOK_VERSION = '1.3';

/** Hook variables forwarded to Draftdesk; anything else WHMCS passes stays in WHMCS. */
const DRAFTDESK_FORWARDED_VARS = [
    'ticketid', 'ticketmask', 'userid', 'deptid', 'deptname', 'subject', 'message',
    'priority', 'replyid', 'status', 'admin', 'adminid', 'service',
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
    // Stores a new event; returns false when an event with this id is already stored.
    public function insert(string $eventId, string $event, string $payload, int $now): bool;

    // The stored row for an event id, or null.
    public function find(string $eventId): ?array;

    // Undelivered rows whose next attempt is due, oldest first.
    public function due(int $now, int $limit): array;

    public function markDelivered(int $id, int $now): void;

    public function markFailed(int $id, int $attempts, int $nextAttemptAt, string $error): void;

    public function pruneDelivered(int $before): void;
}

/** The outbox in WHMCS's own database, through the PDO connection WHMCS exposes via Capsule. */
class DraftdeskPdoOutbox implements DraftdeskOutbox
{
    // @var PDO
    private $pdo;
    // @var string
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

/**
 * The service the client picked when opening the ticket ("S12" a product, "D3" a domain), which the
 * TicketOpen hook does not pass: Draftdesk's account facts start from it.
 */
function draftdesk_related_service(array $data): array
{
    if (isset($data['service']) || !isset($data['ticketid']) || !function_exists('localAPI')) {
        return $data;
    }
    $ticket = localAPI('GetTicket', ['ticketid' => $data['ticketid']]);
    if (is_array($ticket) && isset($ticket['service']) && preg_match('/^[SD]\d+$/i', (string) $ticket['service'])) {
        $data['service'] = (string) $ticket['service'];
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
    if ($event === 'TicketOpen') {
        $data = draftdesk_related_service($data);
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
        'User-Agent' => 'Draftdesk-WHMCS-Hook/' . DRAFTDESK_HOOK_VERSION,
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

/** Seconds between the panel's checks for a regenerated draft, and how many checks before it gives up. */
if (!defined('DRAFTDESK_PANEL_POLL_SECONDS')) {
    define('DRAFTDESK_PANEL_POLL_SECONDS', 2);
}
if (!defined('DRAFTDESK_PANEL_POLL_MAX')) {
    define('DRAFTDESK_PANEL_POLL_MAX', 15);
}

function draftdesk_h($value): string
{
    return htmlspecialchars((string) $value, ENT_QUOTES | ENT_SUBSTITUTE, 'UTF-8');
}

/**
 * Calls the Draftdesk API for the panel with the panel's API key and the short panel timeout, so no panel
 * action can hold the WHMCS page longer than DRAFTDESK_PANEL_TIMEOUT. Returns ['status', 'json' (array|null),
 * 'error' (?string)].
 */
function draftdesk_panel_api(string $method, string $path, ?array $body = null): array
{
    $headers = [
        'Accept' => 'application/json',
        'User-Agent' => 'Draftdesk-WHMCS-Hook/' . DRAFTDESK_HOOK_VERSION,
        'x-api-key' => DRAFTDESK_API_KEY,
        'x-draftdesk-tenant' => DRAFTDESK_TENANT,
    ];
    $payload = null;
    if ($body !== null) {
        $headers['Content-Type'] = 'application/json';
        $payload = json_encode($body, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_INVALID_UTF8_SUBSTITUTE);
    }
    $response = draftdesk_http($method, rtrim(DRAFTDESK_URL, '/') . $path, $headers, $payload, (int) DRAFTDESK_PANEL_TIMEOUT);
    $decoded = $response['body'] !== '' ? json_decode($response['body'], true) : null;
    return [
        'status' => $response['status'],
        'json' => is_array($decoded) ? $decoded : null,
        'error' => $response['status'] > 0 ? null : (string) $response['error'],
    ];
}

/**
 * Reads the current draft: GET {DRAFTDESK_URL}/integrations/whmcs/tickets/{ticketid}/draft with x-api-key.
 * Expected answer: {"draftState"?, "draft": null | {"id"?, "body" (cited, for the agent), "customerBody"? (what
 * Insert draft puts in the reply box), "confidence" (0-100), "confidenceComponents"?:
 * [{"label", "points", "detail"}], "escalated", "escalationReasons": [], "sources": [{"title", "url"?, "kind"?,
 * "score"?}], "account"?: null | {"state", "detail", "readAt", "cached", "facts": [{"title", "status", "text",
 * "cited", "agentsOnly"}]}, "reviewUrl"?}}; 404 means no draft.
 */
function draftdesk_fetch_draft(int $ticketId): array
{
    $response = draftdesk_panel_api('GET', '/integrations/whmcs/tickets/' . $ticketId . '/draft');
    if ($response['status'] === 404) {
        return ['draft' => null, 'draftState' => null];
    }
    if ($response['status'] < 200 || $response['status'] >= 300) {
        return ['error' => $response['status'] > 0 ? 'HTTP ' . $response['status'] : 'unreachable'];
    }
    $decoded = $response['json'];
    if ($decoded === null) {
        return ['error' => 'unexpected answer'];
    }
    return [
        'draft' => isset($decoded['draft']) && is_array($decoded['draft']) ? $decoded['draft'] : null,
        'draftState' => isset($decoded['draftState']) && is_string($decoded['draftState']) ? $decoded['draftState'] : null,
    ];
}

/** The inside of the panel for a fetch result: the draft, its confidence and reasons, sources and buttons. */
function draftdesk_panel_body(array $result): string
{
    if (isset($result['error'])) {
        return '<p class="text-muted">Draftdesk is not reachable right now (' . draftdesk_h($result['error'])
            . '). The ticket works as usual.</p>';
    }
    $draft = $result['draft'];
    $generating = isset($result['draftState']) && $result['draftState'] === 'queued';
    if ($draft === null || !isset($draft['body']) || (string) $draft['body'] === '') {
        return '<p class="text-muted">' . ($generating ? 'Draftdesk is writing a draft for this ticket.' : 'No draft yet for this ticket.') . '</p>';
    }

    $html = '';
    $confidence = isset($draft['confidence']) ? max(0, min(100, (int) round((float) $draft['confidence']))) : null;
    if ($confidence !== null) {
        $label = $confidence >= 75 ? 'success' : ($confidence >= 50 ? 'warning' : 'danger');
        $html .= '<p style="margin-bottom:3px">Confidence: <span class="label label-' . $label . '">' . $confidence . ' / 100</span></p>';
    }
    $components = isset($draft['confidenceComponents']) && is_array($draft['confidenceComponents']) ? $draft['confidenceComponents'] : [];
    if (count($components) > 0) {
        $html .= '<ul class="draftdesk-confidence small text-muted" style="margin:0 0 8px 0">';
        foreach ($components as $component) {
            if (!is_array($component) || !isset($component['label'])) {
                continue;
            }
            $points = isset($component['points']) ? (int) $component['points'] : 0;
            $html .= '<li><strong>' . draftdesk_h($component['label']) . '</strong> ' . ($points > 0 ? '+' : '') . $points
                . (isset($component['detail']) && $component['detail'] !== '' ? ': ' . draftdesk_h($component['detail']) : '') . '</li>';
        }
        $html .= '</ul>';
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
    $html .= '<pre class="draftdesk-draft" style="white-space:pre-wrap;word-wrap:break-word;max-height:320px;overflow:auto">'
        . draftdesk_h($draft['body']) . '</pre>';
    // The text to insert travels in a hidden textarea, so the browser un-escapes it and no JS string
    // building can be broken out of. It is the customer-facing text: the agent reads the draft with its
    // [n] citations above, the customer gets it without markers, the cited articles listed at its end
    // (A Draftdesk older than hook 1.2 sends no customerBody: then the body goes in.)
    $insert = isset($draft['customerBody']) && is_string($draft['customerBody']) && $draft['customerBody'] !== ''
        ? $draft['customerBody'] : $draft['body'];
    $html .= '<textarea id="draftdesk-draft-text" style="display:none" readonly>' . draftdesk_h($insert) . '</textarea>';

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

    if (isset($draft['account']) && is_array($draft['account'])) {
        $html .= draftdesk_panel_account($draft['account']);
    }

    $draftId = isset($draft['id']) ? (int) $draft['id'] : 0;
    $pending = !isset($draft['status']) || $draft['status'] === 'pending';
    $html .= '<div class="draftdesk-actions" data-draft-id="' . $draftId . '">'
        . '<button type="button" class="btn btn-primary btn-sm" id="draftdesk-insert">Insert draft</button> '
        . '<button type="button" class="btn btn-default btn-sm" id="draftdesk-regenerate">Regenerate</button>';
    if ($pending && $draftId > 0) {
        $html .= ' <button type="button" class="btn btn-default btn-sm" id="draftdesk-not-helpful">Not helpful</button>';
    }
    if (isset($draft['reviewUrl']) && preg_match('#^https?://#i', (string) $draft['reviewUrl'])) {
        $html .= ' <a class="btn btn-default btn-sm" target="_blank" rel="noopener noreferrer" href="'
            . draftdesk_h($draft['reviewUrl']) . '">Review in Draftdesk</a>';
    }
    $html .= '</div>';
    if ($pending && $draftId > 0) {
        $html .= '<form id="draftdesk-not-helpful-form" style="display:none;margin-top:8px">'
            . '<input type="text" class="form-control input-sm" id="draftdesk-reason" maxlength="500" required'
            . ' placeholder="What was wrong with it? (e.g. wrong price, outdated steps)">'
            . ' <button type="submit" class="btn btn-default btn-sm" style="margin-top:5px">Send</button></form>';
    }
    return $html;
}

/**
 * The "Account" part of the panel: what the draft knew about the client's WHMCS account and when it was
 * read, or why the draft was made without it (WHMCS down or slow, account facts off).
 */
function draftdesk_panel_account(array $account): string
{
    $state = isset($account['state']) ? (string) $account['state'] : '';
    if ($state === 'unavailable') {
        $detail = isset($account['detail']) && is_scalar($account['detail']) ? (string) $account['detail'] : 'WHMCS did not answer';
        return '<p class="draftdesk-account text-warning"><strong>Account</strong>: drafted without account facts — '
            . draftdesk_h($detail) . '</p>';
    }
    if ($state === 'off') {
        return '<p class="draftdesk-account text-muted small"><strong>Account</strong>: account facts are off for this desk.</p>';
    }
    if ($state !== 'read') {
        return '';
    }
    $read = isset($account['readAt']) && is_string($account['readAt'])
        ? ' <small class="text-muted">read from WHMCS ' . draftdesk_h(str_replace('T', ' ', substr($account['readAt'], 0, 16))) . ' UTC'
            . (!empty($account['cached']) ? ' (cached)' : '') . '</small>'
        : '';
    $facts = isset($account['facts']) && is_array($account['facts']) ? $account['facts'] : [];
    $html = '<p style="margin-bottom:3px" class="draftdesk-account"><strong>Account</strong>' . $read . '</p>';
    if (count($facts) === 0) {
        return $html . '<p class="text-muted small">Nothing in the client\'s account concerns this ticket.</p>';
    }
    $html .= '<ul class="draftdesk-account-facts small">';
    foreach ($facts as $fact) {
        if (!is_array($fact) || !isset($fact['text'])) {
            continue;
        }
        $notes = [];
        if (!empty($fact['cited'])) {
            $notes[] = 'cited';
        }
        if (!empty($fact['agentsOnly'])) {
            $notes[] = 'for agents only, not given to the model';
        }
        $html .= '<li>' . draftdesk_h($fact['text'])
            . (count($notes) > 0 ? ' <small class="text-muted">(' . draftdesk_h(implode(', ', $notes)) . ')</small>' : '') . '</li>';
    }
    return $html . '</ul>';
}

/** Emits a JSON answer for a panel action and ends the request; replaceable for tests. */
function draftdesk_respond_json(int $status, array $body, ?callable $set = null): void
{
    static $responder = null;
    if ($set !== null) {
        $responder = $set;
        return;
    }
    if ($responder !== null) {
        $responder($status, $body);
        return;
    }
    if (!headers_sent()) {
        http_response_code($status);
        header('Content-Type: application/json; charset=utf-8');
        header('Cache-Control: no-store');
    }
    echo json_encode($body, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_INVALID_UTF8_SUBSTITUTE);
    exit;
}

/**
 * The panel's buttons post back to the ticket page they are on (`draftdesk_action`), so the admin's WHMCS
 * session, permissions and CSRF token apply, and the API key never reaches the browser. This proxies the
 * action to Draftdesk within the panel timeout and answers JSON.
 */
function draftdesk_panel_action(int $ticketId, array $post): void
{
    if (function_exists('check_token')) {
        check_token('WHMCS.admin.default'); // WHMCS stops the request itself on a bad token
    }
    $action = isset($post['draftdesk_action']) ? (string) $post['draftdesk_action'] : '';
    try {
        if ($action === 'draft') {
            $result = draftdesk_fetch_draft($ticketId);
            $draft = isset($result['draft']) && is_array($result['draft']) ? $result['draft'] : null;
            draftdesk_respond_json(200, [
                'ok' => !isset($result['error']),
                'draftId' => $draft !== null && isset($draft['id']) ? (int) $draft['id'] : null,
                'draftState' => isset($result['draftState']) ? $result['draftState'] : null,
                'html' => draftdesk_panel_body($result),
            ]);
            return;
        }
        if ($action === 'regenerate') {
            $response = draftdesk_panel_api('POST', '/integrations/whmcs/tickets/' . $ticketId . '/drafts');
        } elseif ($action === 'not_helpful') {
            $draftId = isset($post['draftid']) ? (int) $post['draftid'] : 0;
            $reason = isset($post['reason']) ? trim((string) $post['reason']) : '';
            if ($draftId <= 0 || $reason === '') {
                draftdesk_respond_json(400, ['ok' => false, 'message' => 'Say briefly what was wrong with the draft.']);
                return;
            }
            $response = draftdesk_panel_api('POST', '/integrations/whmcs/drafts/' . $draftId . '/not-helpful', ['reason' => substr($reason, 0, 500)]);
        } else {
            draftdesk_respond_json(400, ['ok' => false, 'message' => 'unknown action']);
            return;
        }
        $ok = $response['status'] >= 200 && $response['status'] < 300;
        $message = $ok ? null : ($response['status'] > 0
            ? (isset($response['json']['error']['message']) ? (string) $response['json']['error']['message'] : 'HTTP ' . $response['status'])
            : 'Draftdesk is not reachable right now');
        draftdesk_respond_json($ok ? 200 : 502, ['ok' => $ok, 'message' => $message]);
    } catch (Throwable $e) {
        draftdesk_respond_json(502, ['ok' => false, 'message' => 'Draftdesk is not reachable right now']);
    }
}

/** AdminAreaViewTicketPage: the HTML of the Draftdesk panel (empty when the panel is not configured). */
function draftdesk_admin_panel(array $vars): string
{
    if (DRAFTDESK_API_KEY === '' || !isset($vars['ticketid'])) {
        return '';
    }
    $ticketId = (int) $vars['ticketid'];
    if (isset($_SERVER['REQUEST_METHOD']) && $_SERVER['REQUEST_METHOD'] === 'POST' && isset($_POST['draftdesk_action'])) {
        draftdesk_panel_action($ticketId, $_POST);
        return '';
    }
    try {
        $result = draftdesk_fetch_draft($ticketId);
    } catch (Throwable $e) {
        $result = ['error' => 'unreachable'];
    }
    // The browser waits a little longer than PHP does, so PHP's own timeout answers first.
    $config = json_encode([
        'timeoutMs' => ((int) DRAFTDESK_PANEL_TIMEOUT + 1) * 1000,
        'pollMs' => (int) (DRAFTDESK_PANEL_POLL_SECONDS * 1000),
        'pollMax' => (int) DRAFTDESK_PANEL_POLL_MAX,
    ]);
    return '<div class="panel panel-default draftdesk-panel" id="draftdesk-panel" style="margin-bottom:15px"'
        . ' data-config="' . draftdesk_h($config) . '">'
        . '<div class="panel-heading"><strong>Draftdesk</strong> suggested reply</div><div class="panel-body">'
        . '<div id="draftdesk-body">' . draftdesk_panel_body($result) . '</div>'
        . '<p id="draftdesk-status" class="small text-muted" style="margin:8px 0 0 0" role="status" aria-live="polite"></p>'
        . '</div></div>' . draftdesk_panel_script();
}

/** The panel's behaviour; event delegation, so a body replaced after Regenerate keeps working. */
function draftdesk_panel_script(): string
{
    return <<<'HTML'
<script>
(function () {
  var panel = document.getElementById('draftdesk-panel');
  if (!panel) { return; }
  var config = JSON.parse(panel.getAttribute('data-config') || '{}');
  var body = document.getElementById('draftdesk-body');
  var status = document.getElementById('draftdesk-status');
  function say(text) { status.textContent = text; }
  function currentDraftId() {
    var actions = body.querySelector('.draftdesk-actions');
    return actions ? actions.getAttribute('data-draft-id') : null;
  }
  function csrfToken() {
    if (window.csrfToken) { return window.csrfToken; }
    var input = document.querySelector('input[name="token"]');
    return input ? input.value : '';
  }
  // Every call ends within the panel timeout: the page never waits on Draftdesk.
  function action(name, fields) {
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, config.timeoutMs || 3000);
    var form = new URLSearchParams();
    form.set('draftdesk_action', name);
    form.set('token', csrfToken());
    Object.keys(fields || {}).forEach(function (k) { form.set(k, fields[k]); });
    return fetch(window.location.href, {
      method: 'POST', body: form, credentials: 'same-origin', signal: controller.signal,
      headers: { 'X-Requested-With': 'XMLHttpRequest' }
    }).then(function (res) {
      return res.json().catch(function () { return { ok: false, message: 'HTTP ' + res.status }; });
    }).catch(function () {
      return { ok: false, message: 'Draftdesk did not answer in time' };
    }).finally(function () { clearTimeout(timer); });
  }
  function poll(previousId, attempt) {
    if (attempt >= (config.pollMax || 15)) {
      say('The new draft is not ready yet. It will show here when you reload the ticket.');
      return;
    }
    setTimeout(function () {
      action('draft').then(function (answer) {
        if (answer.ok && answer.draftId && String(answer.draftId) !== String(previousId)) {
          body.innerHTML = answer.html;
          say('New draft ready.');
        } else if (answer.ok && answer.draftState === 'failed') {
          say('Draftdesk could not write a new draft. Try again later.');
        } else {
          poll(previousId, attempt + 1);
        }
      });
    }, config.pollMs || 2000);
  }
  panel.addEventListener('click', function (event) {
    var target = event.target;
    if (target.id === 'draftdesk-insert') {
      var source = document.getElementById('draftdesk-draft-text');
      var box = document.getElementById('replymessage') || document.querySelector('textarea[name="message"]');
      if (!source || !box) { return; }
      box.value = source.value;
      box.dispatchEvent(new Event('input', { bubbles: true }));
      box.dispatchEvent(new Event('change', { bubbles: true }));
      box.focus();
      if (box.scrollIntoView) { box.scrollIntoView({ behavior: 'smooth', block: 'center' }); }
    } else if (target.id === 'draftdesk-regenerate') {
      var previousId = currentDraftId();
      target.disabled = true;
      say('Writing a new draft…');
      action('regenerate').then(function (answer) {
        target.disabled = false;
        if (!answer.ok) { say('Regenerate failed: ' + (answer.message || 'unknown error')); return; }
        say('Writing a new draft… it appears here when ready.');
        poll(previousId, 0);
      });
    } else if (target.id === 'draftdesk-not-helpful') {
      var form = document.getElementById('draftdesk-not-helpful-form');
      if (form) { form.style.display = 'block'; document.getElementById('draftdesk-reason').focus(); }
    }
  });
  panel.addEventListener('submit', function (event) {
    if (event.target.id !== 'draftdesk-not-helpful-form') { return; }
    event.preventDefault();
    var reason = document.getElementById('draftdesk-reason').value.trim();
    if (!reason) { say('Say briefly what was wrong with the draft.'); return; }
    action('not_helpful', { draftid: currentDraftId(), reason: reason }).then(function (answer) {
      if (!answer.ok) { say('Not recorded: ' + (answer.message || 'unknown error')); return; }
      event.target.style.display = 'none';
      var button = document.getElementById('draftdesk-not-helpful');
      if (button) { button.disabled = true; }
      say('Thanks, recorded as not helpful.');
    });
  });
})();
</script>
HTML;
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
