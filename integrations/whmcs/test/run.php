<?php
/**
 * Test harness for draftdesk.php, runnable with a bare php-cli: `php integrations/whmcs/test/run.php`.
 *
 * Stubs what WHMCS provides (add_hook, localAPI, logActivity, Capsule), captures HTTP instead of sending
 * it, fires the hooks and checks headers, body, signature, outbox behaviour, loop prevention and the
 * admin panel. The outbox is SQLite in memory through the real PDO code when pdo_sqlite is available,
 * an in-memory array otherwise.
 *
 * The last line printed is `RESULT <json>` with the captured TicketUserReply delivery (body base64), which
 * test/unit/whmcs-php-hook.test.ts verifies with the TypeScript verifyWebhook().
 *
 * Live mode: with DRAFTDESK_LIVE_URL set, nothing is stubbed on the HTTP side. The hook posts one
 * TicketUserReply to that URL for real (curl or PHP streams), then runs AfterCronJob once with the clock
 * moved an hour ahead so a failed first delivery is retried, and prints `RESULT <json>` with the outbox row.
 */

namespace WHMCS\Database {
    /** Just enough of WHMCS's Capsule for the hook: connection()->getPdo(). */
    class Capsule
    {
        /** @var \PDO|null */
        public static $pdo;

        public static function connection()
        {
            return new class {
                public function getPdo()
                {
                    if (Capsule::$pdo === null) {
                        throw new \RuntimeException('no PDO in this test run');
                    }
                    return Capsule::$pdo;
                }
            };
        }
    }
}

namespace {
    error_reporting(E_ALL);
    ini_set('display_errors', 'stderr');

    define('WHMCS', true);
    $live = getenv('DRAFTDESK_LIVE_URL') ?: '';
    define('DRAFTDESK_URL', $live !== '' ? $live : 'https://draftdesk.test');
    define('DRAFTDESK_TENANT', 'acme-hosting');
    define('DRAFTDESK_WEBHOOK_SECRET', getenv('DRAFTDESK_TEST_SECRET') ?: 'whsec_php_test_secret');
    define('DRAFTDESK_API_KEY', 'ddk_test_api_key');
    define('DRAFTDESK_ADMIN_USERNAME', 'draftdesk');
    define('DRAFTDESK_TIMEOUT', 2);

    require __DIR__ . '/array-outbox.php';

    // --- WHMCS stubs --------------------------------------------------------------------------------

    $GLOBALS['hooks'] = [];
    $GLOBALS['activity'] = [];
    $GLOBALS['localApiCalls'] = [];

    function add_hook($name, $priority, $callback)
    {
        $GLOBALS['hooks'][$name][] = $callback;
    }

    function run_hook(string $name, array $vars): array
    {
        $results = [];
        foreach (isset($GLOBALS['hooks'][$name]) ? $GLOBALS['hooks'][$name] : [] as $callback) {
            $results[] = $callback($vars);
        }
        return $results;
    }

    function localAPI($command, $data = [], $adminUser = '')
    {
        $GLOBALS['localApiCalls'][] = [$command, $data];
        if ($command === 'GetTicket' && (int) $data['ticketid'] === 42) {
            return [
                'result' => 'success', 'ticketid' => 42, 'tid' => 'XKT-482913', 'userid' => 7, 'deptid' => 1,
                'deptname' => 'Technical Support', 'subject' => 'Website down', 'status' => 'Closed', 'priority' => 'High',
                'service' => 'S12',
            ];
        }
        return ['result' => 'error', 'message' => 'Ticket ID Not Found'];
    }

    function logActivity($message)
    {
        $GLOBALS['activity'][] = $message;
    }

    // --- Harness ------------------------------------------------------------------------------------

    $checks = 0;
    $failures = [];

    function check(bool $condition, string $label): void
    {
        global $checks, $failures;
        $checks++;
        if ($condition) {
            echo "  ok  {$label}\n";
        } else {
            $failures[] = $label;
            echo "  FAIL {$label}\n";
        }
    }

    function b64(string $s): string
    {
        return base64_encode($s);
    }

    $sqlite = extension_loaded('pdo_sqlite');
    if ($sqlite) {
        WHMCS\Database\Capsule::$pdo = new PDO('sqlite::memory:');
    }

    require __DIR__ . '/../draftdesk.php';

    if (!$sqlite) {
        draftdesk_outbox(make_array_outbox());
    }
    $outboxKind = $sqlite ? 'sqlite (DraftdeskPdoOutbox)' : 'array (pdo_sqlite missing)';

    $userReply = [
        'ticketid' => 42,
        'replyid' => 9001,
        'userid' => 7,
        'deptid' => 1,
        'deptname' => 'Technical Support',
        'subject' => 'Website down — "500" error',
        'message' => "Hello,\nmy site returns 500 since the PHP upgrade. Нужен возврат? <b>urgent</b> & more",
        'priority' => 'High',
        'status' => 'Customer-Reply',
        'attachments' => ['ignored.png'],
    ];

    // ------------------------------------------------------------------------------------------------
    if ($live !== '') {
        echo "Live delivery to {$live} (outbox: {$outboxKind})\n";
        $realNow = time();
        draftdesk_now(function () use (&$realNow) {
            return $realNow;
        });
        run_hook('TicketUserReply', $userReply);
        $eventId = draftdesk_event_id('TicketUserReply', $userReply, $realNow);
        $first = draftdesk_outbox()->find($eventId);
        $realNow += 3600; // retry is due
        $cron = run_hook('AfterCronJob', []);
        $row = draftdesk_outbox()->find($eventId);
        echo 'RESULT ' . json_encode([
            'mode' => 'live',
            'eventId' => $eventId,
            'firstAttempt' => $first,
            'cron' => $cron,
            'row' => $row,
            'secret' => DRAFTDESK_WEBHOOK_SECRET,
            'transport' => function_exists('curl_init') ? 'curl' : 'stream',
        ], JSON_UNESCAPED_SLASHES) . "\n";
        exit(0);
    }

    echo "Draftdesk WHMCS hook test (PHP " . PHP_VERSION . ", outbox: {$outboxKind})\n";

    // Capturing transport with a scripted status per request.
    $GLOBALS['requests'] = [];
    $GLOBALS['nextStatuses'] = [];
    $GLOBALS['panelAnswer'] = ['status' => 404, 'body' => ''];
    draftdesk_transport(function ($method, $url, $headers, $body, $timeout) {
        $GLOBALS['requests'][] = ['method' => $method, 'url' => $url, 'headers' => $headers, 'body' => $body, 'timeout' => $timeout];
        if ($method === 'GET') {
            return $GLOBALS['panelAnswer'] + ['error' => null];
        }
        $status = count($GLOBALS['nextStatuses']) > 0 ? array_shift($GLOBALS['nextStatuses']) : 200;
        return ['status' => $status, 'body' => '{"ok":true}', 'error' => $status === 0 ? 'Connection refused' : null];
    });
    $clock = 1_800_000_000;
    draftdesk_now(function () use (&$clock) {
        return $clock;
    });

    $expectedHooks = ['TicketOpen', 'TicketUserReply', 'TicketAdminReply', 'TicketClose', 'TicketStatusChange', 'AfterCronJob', 'AdminAreaViewTicketPage'];
    check(array_keys($GLOBALS['hooks']) == $expectedHooks, 'registers all seven hooks');

    // --- TicketUserReply: headers, body, signature --------------------------------------------------
    echo "TicketUserReply\n";
    $before = time();
    run_hook('TicketUserReply', $userReply);
    $after = time();
    check(count($GLOBALS['requests']) === 1, 'one webhook request sent');
    $request = $GLOBALS['requests'][0];
    $headers = $request['headers'];
    check($request['method'] === 'POST', 'method is POST');
    check($request['url'] === 'https://draftdesk.test/webhooks/whmcs/acme-hosting', 'posts to /webhooks/whmcs/{tenant}');
    check($request['timeout'] === 2, 'uses the short delivery timeout');
    check($headers['Content-Type'] === 'application/json', 'JSON content type');
    check($headers['X-Draftdesk-Event'] === 'TicketUserReply', 'event header');
    $timestamp = (int) $headers['X-Draftdesk-Timestamp'];
    check(preg_match('/^\d+$/', $headers['X-Draftdesk-Timestamp']) === 1 && $timestamp >= $before && $timestamp <= $after, 'timestamp is wall-clock unix seconds');
    $expectedEventId = hash('sha256', "TicketUserReply|42|9001|Customer-Reply|{$clock}");
    check($headers['X-Draftdesk-Event-Id'] === $expectedEventId, 'event id = sha256(event|ticketid|replyid|status|time)');
    $expectedSignature = 'v2=' . hash_hmac('sha256', $timestamp . '.' . $expectedEventId . '.' . $request['body'], DRAFTDESK_WEBHOOK_SECRET);
    check($headers['X-Draftdesk-Signature'] === $expectedSignature, 'signature = v2 HMAC-SHA256(secret, "timestamp.eventId.body")');
    $decoded = json_decode($request['body'], true);
    check($decoded['event'] === 'TicketUserReply' && $decoded['occurredAt'] === $clock, 'body carries event and occurredAt');
    check($decoded['data']['ticketid'] === 42 && $decoded['data']['replyid'] === 9001, 'body carries ticketid and replyid');
    check($decoded['data']['message'] === $userReply['message'], 'message survives byte for byte (UTF-8, HTML, newlines)');
    check(strpos($request['body'], 'возврат') !== false, 'unicode is sent unescaped');
    check(!isset($decoded['data']['attachments']), 'only the documented hook variables are forwarded');
    check(strpos($request['body'], DRAFTDESK_WEBHOOK_SECRET) === false, 'the secret is not in the body');
    $row = draftdesk_outbox()->find($expectedEventId);
    check($row !== null && $row['delivered_at'] !== null && (int) $row['attempts'] === 1, 'outbox row marked delivered');
    $captured = ['timestamp' => $headers['X-Draftdesk-Timestamp'], 'signature' => $headers['X-Draftdesk-Signature'], 'eventId' => $headers['X-Draftdesk-Event-Id'], 'bodyBase64' => b64($request['body'])];
    echo "  signature: {$headers['X-Draftdesk-Signature']}\n";

    // --- Same event again: deduplicated by event id -------------------------------------------------
    echo "Duplicates\n";
    run_hook('TicketUserReply', $userReply);
    check(count($GLOBALS['requests']) === 1, 'the same event at the same moment is stored and sent once');
    check(draftdesk_event_id('TicketUserReply', $userReply, $clock) === $expectedEventId, 'event id is deterministic');
    check(draftdesk_event_id('TicketUserReply', $userReply, $clock + 1) !== $expectedEventId, 'a later event gets a new id');

    // --- Draftdesk down: outbox keeps it, cron retries with backoff ---------------------------------
    echo "Outbox and AfterCronJob\n";
    $GLOBALS['requests'] = [];
    $GLOBALS['nextStatuses'] = [0];
    $clock += 10;
    $open = ['ticketid' => 43, 'ticketmask' => 'QWE-112233', 'userid' => 8, 'deptid' => 2, 'deptname' => 'Billing',
        'subject' => 'Refund', 'message' => 'Please refund', 'priority' => 'Medium'];
    run_hook('TicketOpen', $open);
    $openId = draftdesk_event_id('TicketOpen', $open, $clock);
    $row = draftdesk_outbox()->find($openId);
    check(count($GLOBALS['requests']) === 1 && $row['delivered_at'] === null, 'failed delivery stays in the outbox');
    check((int) $row['attempts'] === 1 && $row['last_error'] === 'Connection refused', 'attempt and error recorded');
    check((int) $row['next_attempt_at'] >= $clock + 60 && (int) $row['next_attempt_at'] <= $clock + 66, 'first retry after ~1 minute');
    $GLOBALS['nextStatuses'] = [503];
    $clock += 70;
    run_hook('AfterCronJob', []);
    $row = draftdesk_outbox()->find($openId);
    check(count($GLOBALS['requests']) === 2 && (int) $row['attempts'] === 2 && $row['last_error'] === 'HTTP 503', 'cron retries, 503 counts as failure');
    check((int) $row['next_attempt_at'] >= $clock + 120, 'backoff doubles');
    run_hook('AfterCronJob', []);
    check(count($GLOBALS['requests']) === 2, 'cron does not retry before the backoff elapsed');
    $clock += 200;
    run_hook('AfterCronJob', []);
    $row = draftdesk_outbox()->find($openId);
    check(count($GLOBALS['requests']) === 3 && $row['delivered_at'] !== null, 'delivered once Draftdesk is back');
    $retry = $GLOBALS['requests'][2];
    check($retry['headers']['X-Draftdesk-Event-Id'] === $openId, 'retry keeps the event id');
    check($retry['headers']['X-Draftdesk-Signature'] === draftdesk_sign(DRAFTDESK_WEBHOOK_SECRET, (int) $retry['headers']['X-Draftdesk-Timestamp'], $openId, $retry['body']), 'retry is signed afresh');
    run_hook('AfterCronJob', []);
    check(count($GLOBALS['requests']) === 3, 'delivered events are not sent again');

    // --- TicketOpen: the related service the client picked ------------------------------------------
    echo "TicketOpen related service\n";
    check(!isset(json_decode($GLOBALS['requests'][0]['body'], true)['data']['service']), 'a ticket without a related service sends none');
    $GLOBALS['requests'] = [];
    $clock += 5;
    run_hook('TicketOpen', ['ticketid' => 42, 'ticketmask' => 'XKT-482913', 'userid' => 7, 'subject' => 'Site down', 'message' => 'example-shop.com is down']);
    $opened = json_decode($GLOBALS['requests'][0]['body'], true);
    check($opened['data']['service'] === 'S12' && $opened['data']['userid'] === 7, 'TicketOpen sends the related service from localAPI GetTicket, with the client id');

    // --- Loop prevention ----------------------------------------------------------------------------
    echo "Loop prevention\n";
    $GLOBALS['requests'] = [];
    $clock += 5;
    run_hook('TicketAdminReply', ['ticketid' => 42, 'replyid' => 9002, 'admin' => 'Draftdesk', 'message' => 'Approved reply', 'status' => 'Answered']);
    check(count($GLOBALS['requests']) === 0, 'reply by the Draftdesk admin user is skipped');
    run_hook('TicketAdminReply', ['ticketid' => 42, 'replyid' => 9003, 'admin' => 'alice', 'message' => 'Hi' . DRAFTDESK_REPLY_MARKER, 'status' => 'Answered']);
    check(count($GLOBALS['requests']) === 0, 'reply carrying the Draftdesk marker is skipped');
    run_hook('TicketAdminReply', ['ticketid' => 42, 'replyid' => 9004, 'admin' => 'alice', 'message' => 'Human reply', 'status' => 'Answered']);
    check(count($GLOBALS['requests']) === 1 && $GLOBALS['requests'][0]['headers']['X-Draftdesk-Event'] === 'TicketAdminReply', 'a human admin reply is sent');

    // --- TicketClose / TicketStatusChange enrichment -------------------------------------------------
    echo "TicketClose and TicketStatusChange\n";
    $GLOBALS['requests'] = [];
    $clock += 5;
    run_hook('TicketClose', ['ticketid' => 42]);
    $close = json_decode($GLOBALS['requests'][0]['body'], true);
    check($close['event'] === 'TicketClose' && $close['data']['ticketmask'] === 'XKT-482913' && $close['data']['status'] === 'Closed', 'TicketClose enriched from localAPI GetTicket');
    run_hook('TicketStatusChange', ['ticketid' => 42, 'status' => 'On Hold', 'adminid' => 1]);
    $change = json_decode($GLOBALS['requests'][1]['body'], true);
    check($change['data']['status'] === 'On Hold' && $change['data']['adminid'] === 1, 'TicketStatusChange keeps the new status');
    check($GLOBALS['requests'][0]['headers']['X-Draftdesk-Event-Id'] !== $GLOBALS['requests'][1]['headers']['X-Draftdesk-Event-Id'], 'distinct events get distinct ids');

    // --- Admin panel ---------------------------------------------------------------------------------
    echo "AdminAreaViewTicketPage\n";
    $GLOBALS['requests'] = [];
    $GLOBALS['panelAnswer'] = ['status' => 200, 'body' => json_encode(['draft' => [
        'body' => "Hi Anna,\n</textarea><script>alert('x')</script> we restored your site [1].",
        'customerBody' => "Hi Anna,\n</textarea><script>alert('y')</script> we restored your site.\n\nReferences:\n1. PHP upgrade guide — https://kb.example.com/php",
        'id' => 7001,
        'status' => 'pending',
        'confidence' => 82.4,
        'confidenceComponents' => [['label' => 'Retrieval', 'points' => 30, 'detail' => 'best <score> 0.91']],
        'escalated' => true,
        'escalationReasons' => ['refund keyword: "возврат"', '<b>legal</b>'],
        'sources' => [
            ['title' => 'PHP upgrade guide', 'url' => 'https://kb.example.com/php', 'kind' => 'tenant_kb', 'score' => 0.87],
            ['title' => 'Bad <img src=x onerror=alert(1)>', 'url' => 'javascript:alert(1)', 'kind' => 'correction'],
        ],
        'account' => [
            'state' => 'read', 'detail' => null, 'readAt' => '2026-12-10T09:30:12.000Z', 'cached' => true,
            'facts' => [
                ['title' => 'Service "Starter"', 'status' => 'Suspended', 'text' => 'Service "Starter" for example-shop.com: status Suspended <b>', 'cited' => true, 'agentsOnly' => false],
                ['title' => 'Invoice #77', 'status' => 'Collections', 'text' => 'Invoice #77: status Collections', 'cited' => false, 'agentsOnly' => true],
            ],
        ],
    ]])];
    $html = run_hook('AdminAreaViewTicketPage', ['ticketid' => 42])[0];
    $get = $GLOBALS['requests'][0];
    check($get['method'] === 'GET' && $get['url'] === 'https://draftdesk.test/integrations/whmcs/tickets/42/draft', 'fetches GET /integrations/whmcs/tickets/{id}/draft');
    check($get['headers']['x-api-key'] === DRAFTDESK_API_KEY && $get['timeout'] === 2, 'sends x-api-key with a short timeout');
    check(strpos($html, 'Insert draft') !== false && strpos($html, 'id="replymessage"') === false && strpos($html, "getElementById('replymessage')") !== false, 'renders the Insert draft button targeting the reply box');
    check(strpos($html, '82 / 100') !== false && strpos($html, 'label-success') !== false, 'shows the confidence');
    check(strpos($html, 'refund keyword: &quot;возврат&quot;') !== false && strpos($html, '&lt;b&gt;legal&lt;/b&gt;') !== false, 'lists escalation reasons, escaped');
    check(strpos($html, "<script>alert('x')") === false && strpos($html, '&lt;/textarea&gt;&lt;script&gt;') !== false, 'draft text is escaped');
    preg_match('#<pre class="draftdesk-draft"[^>]*>(.*?)</pre>#s', $html, $shown);
    preg_match('#<textarea id="draftdesk-draft-text"[^>]*>(.*?)</textarea>#s', $html, $inserted);
    check(isset($shown[1]) && strpos($shown[1], 'your site [1].') !== false, 'the agent reads the cited body');
    check(isset($inserted[1]) && strpos($inserted[1], 'your site.') !== false && strpos($inserted[1], '[1]') === false
        && strpos($inserted[1], "References:\n1. PHP upgrade guide — https://kb.example.com/php") !== false
        && strpos($inserted[1], "alert('y')") === false, 'Insert draft takes the customer-facing text, escaped');
    check($get['headers']['User-Agent'] === 'Draftdesk-WHMCS-Hook/' . DRAFTDESK_HOOK_VERSION && DRAFTDESK_HOOK_VERSION === '1.3', 'the panel names hook 1.3');
    check(strpos($html, 'href="https://kb.example.com/php"') !== false && strpos($html, 'javascript:alert') === false, 'only http(s) source links');
    check(strpos($html, '<img') === false && strpos($html, '(0.87)') !== false, 'source titles escaped, scores shown');
    check(strpos($html, 'Retrieval</strong> +30: best &lt;score&gt; 0.91') !== false, 'shows the top confidence components in words, escaped');
    check(strpos($html, 'id="draftdesk-regenerate"') !== false && strpos($html, 'id="draftdesk-not-helpful"') !== false && strpos($html, 'data-draft-id="7001"') !== false, 'renders Regenerate and Not helpful for the pending draft');
    check(strpos($html, 'ddk_test_api_key') === false, 'the API key never reaches the browser');
    check(strpos($html, '<strong>Account</strong> <small class="text-muted">read from WHMCS 2026-12-10 09:30 UTC (cached)</small>') !== false, 'shows when the account was read');
    check(strpos($html, 'example-shop.com: status Suspended &lt;b&gt; <small class="text-muted">(cited)</small>') !== false
        && strpos($html, 'Invoice #77: status Collections <small class="text-muted">(for agents only, not given to the model)</small>') !== false, 'lists the account facts the draft knew, escaped, cited and agents-only marked');

    // --- Panel actions: proxied to Draftdesk with the panel timeout, answered as JSON -------------------
    echo "Panel actions\n";
    $GLOBALS['answers'] = [];
    draftdesk_respond_json(0, [], function ($status, $body) {
        $GLOBALS['answers'][] = [$status, $body];
    });
    $_SERVER['REQUEST_METHOD'] = 'POST';
    $GLOBALS['requests'] = [];
    $_POST = ['draftdesk_action' => 'regenerate'];
    run_hook('AdminAreaViewTicketPage', ['ticketid' => 42]);
    $regen = $GLOBALS['requests'][0];
    check($regen['method'] === 'POST' && $regen['url'] === 'https://draftdesk.test/integrations/whmcs/tickets/42/drafts' && $regen['timeout'] === 2 && $regen['headers']['x-api-key'] === DRAFTDESK_API_KEY, 'Regenerate posts to /integrations/whmcs/tickets/{id}/drafts with the key and the panel timeout');
    check($GLOBALS['answers'][0] === [200, ['ok' => true, 'message' => null]], 'Regenerate answers ok');
    $_POST = ['draftdesk_action' => 'not_helpful', 'draftid' => '7001', 'reason' => ' Wrong price '];
    run_hook('AdminAreaViewTicketPage', ['ticketid' => 42]);
    $nh = $GLOBALS['requests'][1];
    check($nh['url'] === 'https://draftdesk.test/integrations/whmcs/drafts/7001/not-helpful' && json_decode($nh['body'], true) === ['reason' => 'Wrong price'], 'Not helpful posts the trimmed reason for the draft');
    $_POST = ['draftdesk_action' => 'not_helpful', 'draftid' => '7001', 'reason' => ''];
    run_hook('AdminAreaViewTicketPage', ['ticketid' => 42]);
    check(count($GLOBALS['requests']) === 2 && $GLOBALS['answers'][2][0] === 400, 'Not helpful without a reason is refused locally');
    $_POST = ['draftdesk_action' => 'draft'];
    run_hook('AdminAreaViewTicketPage', ['ticketid' => 42]);
    $answer = $GLOBALS['answers'][3];
    check($answer[0] === 200 && $answer[1]['draftId'] === 7001 && strpos($answer[1]['html'], 'Insert draft') !== false, 'the draft action answers the new panel body and draft id');
    $GLOBALS['nextStatuses'] = [0];
    $_POST = ['draftdesk_action' => 'regenerate'];
    run_hook('AdminAreaViewTicketPage', ['ticketid' => 42]);
    check($GLOBALS['answers'][4][0] === 502 && $GLOBALS['answers'][4][1]['ok'] === false, 'Draftdesk down: the action answers 502 and the page stays usable');
    $_SERVER['REQUEST_METHOD'] = 'GET';
    $_POST = [];

    $GLOBALS['panelAnswer'] = ['status' => 200, 'body' => json_encode(['draft' => ['body' => 'Restart PHP-FPM.', 'id' => 7002]])];
    $html = run_hook('AdminAreaViewTicketPage', ['ticketid' => 44])[0];
    check(strpos($html, 'readonly>Restart PHP-FPM.</textarea>') !== false, 'without customerBody (an older Draftdesk) the body is inserted');
    check(strpos($html, 'draftdesk-account') === false, 'without an account summary (an older Draftdesk) no Account part');
    $GLOBALS['panelAnswer'] = ['status' => 200, 'body' => json_encode(['draft' => ['body' => 'Check DNS.', 'id' => 7003,
        'account' => ['state' => 'unavailable', 'detail' => 'WHMCS did not answer within 3 s', 'readAt' => null, 'cached' => false, 'facts' => []]]])];
    $html = run_hook('AdminAreaViewTicketPage', ['ticketid' => 44])[0];
    check(strpos($html, 'drafted without account facts — WHMCS did not answer within 3 s') !== false, 'says why a draft has no account facts');
    $GLOBALS['panelAnswer'] = ['status' => 404, 'body' => ''];
    $html = run_hook('AdminAreaViewTicketPage', ['ticketid' => 43])[0];
    check(strpos($html, 'No draft yet') !== false, '404 renders "No draft yet"');
    $GLOBALS['panelAnswer'] = ['status' => 0, 'body' => ''];
    $html = run_hook('AdminAreaViewTicketPage', ['ticketid' => 43])[0];
    check(strpos($html, 'not reachable') !== false, 'Draftdesk down does not break the page');

    // --- Summary -------------------------------------------------------------------------------------
    check(count(array_filter($GLOBALS['activity'], function ($line) {
        return strpos($line, DRAFTDESK_WEBHOOK_SECRET) !== false;
    })) === 0, 'activity log never contains the secret');

    $ok = count($failures) === 0;
    echo ($ok ? "PASS" : "FAIL") . " {$checks} checks" . ($ok ? '' : ': ' . implode('; ', $failures)) . "\n";
    echo 'RESULT ' . json_encode([
        'mode' => 'capture',
        'ok' => $ok,
        'checks' => $checks,
        'failures' => $failures,
        'outbox' => $outboxKind,
        'secret' => DRAFTDESK_WEBHOOK_SECRET,
    ] + $captured, JSON_UNESCAPED_SLASHES) . "\n";
    exit($ok ? 0 : 1);
}
