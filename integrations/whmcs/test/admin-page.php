<?php
/**
 * A small WHMCS-like admin ticket page for the browser test (test/e2e/whmcs-browser.test.ts), served by
 * PHP's built-in server with this file as the router:
 *
 *   DRAFTDESK_URL=… DRAFTDESK_TENANT=… DRAFTDESK_WEBHOOK_SECRET=… DRAFTDESK_API_KEY=… \
 *     php -S 127.0.0.1:8099 integrations/whmcs/test/admin-page.php
 *
 * It loads the real draftdesk.php and replaces only what WHMCS provides (add_hook, localAPI, logActivity,
 * check_token, Capsule) and the outbox (in memory: each request delivers its own event at once). Pages:
 *   GET  /supporttickets.php?action=view&id=N   the ticket view with the Draftdesk panel and a reply form
 *   POST same URL, draftdesk_action=…           the panel's actions (answered by the hook as JSON)
 *   POST same URL, postreply=1                  a staff reply: fires TicketAdminReply as WHMCS does
 */

namespace WHMCS\Database {
    class Capsule
    {
        public static function connection()
        {
            throw new \RuntimeException('no WHMCS database in the browser test; the outbox is in memory');
        }
    }
}

namespace {
    error_reporting(E_ALL);
    ini_set('display_errors', 'stderr');

    define('WHMCS', true);
    foreach (['DRAFTDESK_URL', 'DRAFTDESK_TENANT', 'DRAFTDESK_WEBHOOK_SECRET', 'DRAFTDESK_API_KEY'] as $name) {
        define($name, (string) getenv($name));
    }
    define('DRAFTDESK_PANEL_TIMEOUT', (int) (getenv('DRAFTDESK_PANEL_TIMEOUT') ?: 2));
    define('DRAFTDESK_PANEL_POLL_SECONDS', (float) (getenv('DRAFTDESK_PANEL_POLL_SECONDS') ?: 2));
    define('DRAFTDESK_PANEL_POLL_MAX', (int) (getenv('DRAFTDESK_PANEL_POLL_MAX') ?: 15));
    const TEST_CSRF_TOKEN = 'csrf-token-of-the-test-admin';
    const TEST_ADMIN = 'Jane Doe';

    $GLOBALS['hooks'] = [];
    function add_hook($name, $priority, $callback)
    {
        $GLOBALS['hooks'][$name][] = $callback;
    }

    function run_hook(string $name, array $vars): array
    {
        $out = [];
        foreach (isset($GLOBALS['hooks'][$name]) ? $GLOBALS['hooks'][$name] : [] as $callback) {
            $out[] = $callback($vars);
        }
        return $out;
    }

    /** WHMCS answers a bad CSRF token by stopping the request. */
    function check_token($scope = '')
    {
        if (!isset($_POST['token']) || !hash_equals(TEST_CSRF_TOKEN, (string) $_POST['token'])) {
            http_response_code(403);
            exit('Invalid CSRF token');
        }
    }

    function localAPI($command, $data = [], $adminUser = '')
    {
        if ($command === 'GetTicket') {
            $id = (int) $data['ticketid'];
            return ['result' => 'success', 'ticketid' => $id, 'tid' => 'BRW-' . $id, 'subject' => 'Ticket ' . $id,
                'status' => 'Answered', 'priority' => 'Medium', 'deptname' => 'Technical Support'];
        }
        return ['result' => 'error', 'message' => 'not stubbed'];
    }

    function logActivity($message)
    {
        error_log($message);
    }

    require __DIR__ . '/../draftdesk.php';
    require __DIR__ . '/array-outbox.php';
    draftdesk_outbox(make_array_outbox());

    $ticketId = isset($_GET['id']) ? (int) $_GET['id'] : 0;
    $method = isset($_SERVER['REQUEST_METHOD']) ? $_SERVER['REQUEST_METHOD'] : 'GET';
    if ($ticketId <= 0) {
        http_response_code(404);
        exit('no ticket');
    }

    if ($method === 'POST' && isset($_POST['postreply'])) {
        check_token();
        // WHMCS gives every reply a new id; the test passes the one it expects.
        $replyId = isset($_POST['replyid']) ? (int) $_POST['replyid'] : 0;
        $vars = ['ticketid' => $ticketId, 'replyid' => $replyId, 'admin' => TEST_ADMIN, 'message' => (string) $_POST['message'],
            'status' => 'Answered', 'deptid' => 1, 'deptname' => 'Technical Support', 'priority' => 'Medium'];
        run_hook('TicketAdminReply', $vars);
        $rows = draftdesk_outbox()->due(PHP_INT_MAX, 10);
        $delivered = count($rows) === 0;
        echo '<!doctype html><title>Reply sent</title><p id="reply-sent" data-delivered="' . ($delivered ? '1' : '0') . '">'
            . ($delivered ? 'Reply sent and delivered to Draftdesk.' : 'Reply sent; Draftdesk delivery pending: '
            . draftdesk_h($rows[0]['last_error'])) . '</p>';
        exit;
    }

    // The panel's own actions exit inside the hook; on a GET this is the panel's HTML.
    $panel = implode('', run_hook('AdminAreaViewTicketPage', ['ticketid' => $ticketId]));
    $nextReply = isset($_GET['replyid']) ? (int) $_GET['replyid'] : 1;
    ?>
<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Ticket #<?= $ticketId ?> - WHMCS admin</title>
<script>var csrfToken = '<?= TEST_CSRF_TOKEN ?>';</script></head>
<body>
<h1>View ticket #<?= $ticketId ?></h1>
<?= $panel ?>
<form method="post" id="frmAddTicketReply" action="?action=view&amp;id=<?= $ticketId ?>">
  <input type="hidden" name="token" value="<?= TEST_CSRF_TOKEN ?>">
  <input type="hidden" name="postreply" value="1">
  <input type="hidden" name="replyid" value="<?= $nextReply ?>">
  <textarea name="message" id="replymessage" rows="12" cols="90"></textarea>
  <button type="submit" id="btnPostReply">Add Response</button>
</form>
</body>
</html>
<?php
}
