package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// Mail is an e-mail to write to the outbox, already rendered in the
// recipient's language.
type Mail struct {
	To      string
	ToName  string
	Subject string
	Text    string
	HTML    string
}

// OutboxMessage is an outbox row.
type OutboxMessage struct {
	ID        int64
	To        string
	ToName    string
	Subject   string
	Text      string
	HTML      string
	CreatedAt time.Time
	SentAt    *time.Time
	Attempts  int
	LastError string
}

// insertOutbox writes mails inside tx and schedules their delivery in it.
func (s *Store) insertOutbox(ctx context.Context, tx pgx.Tx, mails ...Mail) error {
	for _, m := range mails {
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO outbox (to_address, to_name, subject, text_body, html_body)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, m.To, m.ToName, m.Subject, m.Text, m.HTML).Scan(&id); err != nil {
			return err
		}
		if s.enqueue != nil {
			if err := s.enqueue(ctx, tx, id); err != nil {
				return err
			}
		}
	}
	return nil
}

// SendMail writes mails to the outbox on their own (no other change).
func (s *Store) SendMail(ctx context.Context, mails ...Mail) error {
	return mapErr(s.inTx(ctx, func(tx pgx.Tx) error { return s.insertOutbox(ctx, tx, mails...) }), "send mail")
}

const outboxColumns = `id, to_address, to_name, subject, text_body, html_body, created_at, sent_at, attempts, last_error`

func scanOutbox(row pgx.Row) (OutboxMessage, error) {
	var m OutboxMessage
	err := row.Scan(&m.ID, &m.To, &m.ToName, &m.Subject, &m.Text, &m.HTML, &m.CreatedAt, &m.SentAt, &m.Attempts, &m.LastError)
	return m, err
}

// OutboxMessage returns one outbox row. Returns ENOTFOUND if there is none.
func (s *Store) OutboxMessage(ctx context.Context, id int64) (OutboxMessage, error) {
	m, err := scanOutbox(s.pool.QueryRow(ctx, `SELECT `+outboxColumns+` FROM outbox WHERE id = $1`, id))
	return m, mapErr(err, "outbox message")
}

// MarkOutboxSent records a delivery.
func (s *Store) MarkOutboxSent(ctx context.Context, id int64, at time.Time) error {
	_, err := s.pool.Exec(ctx, `UPDATE outbox SET sent_at = $2, attempts = attempts + 1, last_error = '' WHERE id = $1`, id, at)
	return mapErr(err, "mark outbox sent")
}

// MarkOutboxFailed records a failed delivery attempt.
func (s *Store) MarkOutboxFailed(ctx context.Context, id int64, errText string) error {
	_, err := s.pool.Exec(ctx, `UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = $1`, id, errText)
	return mapErr(err, "mark outbox failed")
}

// RecentOutbox lists the newest messages, for the dev mailbox.
func (s *Store) RecentOutbox(ctx context.Context, limit int) ([]OutboxMessage, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+outboxColumns+` FROM outbox ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, mapErr(err, "recent outbox")
	}
	msgs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (OutboxMessage, error) { return scanOutbox(r) })
	return msgs, mapErr(err, "recent outbox")
}
