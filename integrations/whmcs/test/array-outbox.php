<?php
/**
 * In-memory outbox for test doubles (run.php, the browser test's admin page) and PHP builds without
 * pdo_sqlite; same contract as DraftdeskPdoOutbox. Call make_array_outbox() after draftdesk.php is loaded.
 */

function make_array_outbox(): DraftdeskOutbox
{
    return new class implements DraftdeskOutbox {
        public $rows = [];
        private $nextId = 1;

        public function insert(string $eventId, string $event, string $payload, int $now): bool
        {
            if ($this->find($eventId) !== null) {
                return false;
            }
            $id = $this->nextId++;
            $this->rows[$id] = [
                'id' => $id, 'event_id' => $eventId, 'event' => $event, 'payload' => $payload, 'attempts' => 0,
                'next_attempt_at' => $now, 'delivered_at' => null, 'last_error' => null, 'created_at' => $now,
            ];
            return true;
        }

        public function find(string $eventId): ?array
        {
            foreach ($this->rows as $row) {
                if ($row['event_id'] === $eventId) {
                    return $row;
                }
            }
            return null;
        }

        public function due(int $now, int $limit): array
        {
            $due = array_values(array_filter($this->rows, function ($row) use ($now) {
                return $row['delivered_at'] === null && $row['next_attempt_at'] <= $now;
            }));
            return array_slice($due, 0, $limit);
        }

        public function markDelivered(int $id, int $now): void
        {
            $this->rows[$id]['delivered_at'] = $now;
            $this->rows[$id]['attempts']++;
            $this->rows[$id]['last_error'] = null;
        }

        public function markFailed(int $id, int $attempts, int $nextAttemptAt, string $error): void
        {
            $this->rows[$id]['attempts'] = $attempts;
            $this->rows[$id]['next_attempt_at'] = $nextAttemptAt;
            $this->rows[$id]['last_error'] = $error;
        }

        public function pruneDelivered(int $before): void
        {
            foreach ($this->rows as $id => $row) {
                if ($row['delivered_at'] !== null && $row['delivered_at'] < $before) {
                    unset($this->rows[$id]);
                }
            }
        }
    };
}
