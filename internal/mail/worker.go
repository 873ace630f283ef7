package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/riverqueue/river"

	"madoguchi/internal/portal"
)

// Queue is the river queue mail jobs run in. It is separate from other work
// so a slow or failing relay cannot starve other jobs, and the river client
// must list it in its Queues config or mail is never delivered.
const Queue = "mail"

// maxAttempts with river's default backoff (attempt⁴ seconds) keeps retrying
// for about three weeks, long enough to outlast a relay outage or a
// suspended account being sorted out.
const maxAttempts = 25

// recordTimeout bounds writing a job's outcome to the outbox after ctx may
// already be cancelled.
const recordTimeout = 5 * time.Second

// maxErrorLen keeps an SMTP server's multi-line rejection from bloating the
// outbox row.
const maxErrorLen = 1000

// DeliverArgs is the river job that delivers one outbox message. Insert it in
// the same transaction that writes the outbox row.
type DeliverArgs struct {
	MessageID int64 `json:"message_id"`
}

// Kind is the job kind stored in river_job; renaming it strands queued jobs.
func (DeliverArgs) Kind() string { return "mail_deliver" }

// InsertOpts puts the job on the mail queue. Uniqueness by args means
// inserting a second job for the same message while the first is pending,
// running or completed is a no-op rather than a second delivery.
func (DeliverArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		Queue:       Queue,
		MaxAttempts: maxAttempts,
		UniqueOpts:  river.UniqueOpts{ByArgs: true},
	}
}

// Outbox is the part of the outbox table the Worker needs; the store package
// implements it.
type Outbox interface {
	// OutboxMessage returns the row with id. A missing row must be reported
	// as a portal error with code portal.ENOTFOUND so the job is cancelled
	// rather than retried.
	OutboxMessage(ctx context.Context, id int64) (Message, error)
	// MarkOutboxSent records that the relay accepted the message.
	MarkOutboxSent(ctx context.Context, id int64, at time.Time) error
	// MarkOutboxFailed records a failed attempt and its reason.
	MarkOutboxFailed(ctx context.Context, id int64, errText string) error
}

// Worker delivers DeliverArgs jobs. A message already marked sent is skipped,
// so a job that runs twice sends once.
//
// Retries use river's default policy, inherited from WorkerDefaults (attempt⁴
// seconds with ±10% jitter: 1 s, 16 s, 81 s, 4 min, 10 min, … about 3 weeks
// in total over 25 attempts). Early retries are quick enough for a
// one-time code to still be useful after a brief relay hiccup, and later ones
// are far apart enough not to hammer a relay that is down.
//
// Logs carry the message id, the recipient's domain and the attempt, never
// the recipient's full address or the body: bodies hold sign-in codes and
// approval links.
type Worker struct {
	river.WorkerDefaults[DeliverArgs]
	Outbox Outbox
	Sender Sender
	From   Address
	Now    func() time.Time // nil means time.Now
	Logger *slog.Logger     // nil means slog.Default()
}

var _ river.Worker[DeliverArgs] = (*Worker)(nil)

// Work delivers the message. A failed send is recorded on the outbox row and
// returned so river retries it; a failure that wraps ErrPermanent cancels the
// job instead.
//
// If the send succeeds but recording it fails, the job fails and the next
// attempt sends again. That duplicate carries the same Message-ID, which lets
// receivers discard it; losing the mail instead would be worse.
func (w *Worker) Work(ctx context.Context, job *river.Job[DeliverArgs]) error {
	id := job.Args.MessageID
	log := w.logger().With("message_id", id, "attempt", job.Attempt)

	m, err := w.Outbox.OutboxMessage(ctx, id)
	if err != nil {
		if portal.ErrorCode(err) == portal.ENOTFOUND {
			log.Warn("mail: outbox message not found; cancelling delivery")
			return river.JobCancel(fmt.Errorf("mail: outbox message %d: %w", id, err))
		}
		return fmt.Errorf("mail: load outbox message %d: %w", id, err)
	}
	log = log.With("to_domain", domainOf(m.To))
	if m.SentAt != nil {
		log.Info("mail: already sent; skipping")
		return nil
	}

	// Recording the outcome must happen even when ctx was cancelled during
	// the send: a send that went through but is not marked sent is repeated.
	recordCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()

	if sendErr := w.Sender.Send(ctx, w.From, m); sendErr != nil {
		err := sendErr
		if markErr := w.Outbox.MarkOutboxFailed(recordCtx, id, errorText(sendErr)); markErr != nil {
			err = errors.Join(err, fmt.Errorf("mail: record failure of message %d: %w", id, markErr))
		}
		logged := redact(sendErr.Error(), m.To)
		switch {
		case errors.Is(sendErr, ErrPermanent):
			log.Error("mail: delivery failed permanently; not retrying", "error", logged)
			return river.JobCancel(err)
		case job.Attempt >= job.MaxAttempts && job.MaxAttempts > 0:
			log.Error("mail: delivery failed; giving up", "error", logged)
		default:
			log.Warn("mail: delivery failed; will retry", "error", logged)
		}
		return err
	}

	if err := w.Outbox.MarkOutboxSent(recordCtx, id, w.now()); err != nil {
		log.Error("mail: sent but could not record it; the retry will send again", "error", err)
		return fmt.Errorf("mail: record message %d as sent: %w", id, err)
	}
	log.Info("mail: sent")
	return nil
}

func (w *Worker) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

func (w *Worker) logger() *slog.Logger {
	if w.Logger != nil {
		return w.Logger
	}
	return slog.Default()
}

// domainOf is what logs may say about a recipient.
func domainOf(addr string) string {
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return ""
	}
	return strings.ToLower(addr[i+1:])
}

// redact removes the recipient's address from an error before it is logged;
// SMTP servers and go-mail both like to quote it back.
func redact(s, addr string) string {
	addr = strings.TrimSpace(addr)
	if addr == "" {
		return s
	}
	re := regexp.MustCompile(`(?i)` + regexp.QuoteMeta(addr))
	return re.ReplaceAllLiteralString(s, "<recipient@"+domainOf(addr)+">")
}

// errorText makes err fit a Postgres text column: servers may answer with
// invalid UTF-8 or NUL bytes, which Postgres rejects, and the result is cut
// to maxErrorLen bytes without splitting a character.
func errorText(err error) string {
	s := strings.ToValidUTF8(err.Error(), "\uFFFD")
	s = strings.ReplaceAll(s, "\x00", "")
	if len(s) <= maxErrorLen {
		return s
	}
	n := maxErrorLen
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
